"""How a crawl is bounded: sizes, hosts, tokens, time limits and concurrency."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _default_cache() -> Path:
    return Path(os.environ.get("INSIGHTS_CACHE", "~/.cache/insights")).expanduser()


@dataclass
class CrawlSettings:
    max_file_bytes: int = 1_000_000
    # Hosts a Location (or a placeholder) may be fetched from by URL, checked on every redirect too.
    allowed_hosts: tuple[str, ...] = ()
    # Host -> name of the environment variable holding a read token for it (never the token itself).
    url_tokens: dict[str, str] = field(default_factory=dict)
    # Total time for one URL fetch, redirects and body included (not per read).
    fetch_timeout: float = 30.0
    cache_dir: Path = field(default_factory=_default_cache)
    git_timeout: int = 300  # one git command
    repository_timeout: float = 600.0  # every git command of one repository together
    git_concurrency: int = 16  # repositories fetched at once
    # What a clone leaves out: `blob:none` downloads only the YAML files checked out, at the cost of a second
    # request per repository; `blob:limit=1m` (or empty: everything) saves that request for more bytes.
    git_filter: str = "blob:none"
    # The most bytes one answer of a git server may hold, and the most its pack may unpack to (HTTP sources).
    git_max_bytes: int = 256_000_000
    backstage_request_timeout: float = 60.0  # total time for one page of a Backstage API
    backstage_timeout: float = 900.0  # every page of one Backstage source together
    backstage_max_page_bytes: int = 64_000_000
    # Finding code -> severity (`error` or `warning`), applied to every finding of the crawl.
    severity: dict[str, str] = field(default_factory=dict)
