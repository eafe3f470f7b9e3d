"""URLs of catalog files: masking credentials, the raw form of a blob URL, and Location targets resolved the way
Backstage's `defaultScmResolveUrl` resolves them."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
GITHUB_BLOB = re.compile(r"^https?://github\.com/([^/]+)/([^/]+)/(?:blob|raw)/(.+)$")
# Where a repository's files start in the path of a file URL: GitLab `/-/blob/REF/`, GitHub `/blob/REF/`, and
# raw.githubusercontent.com's `/OWNER/REPO/REF/`.
REPOSITORY_PREFIX = (
    re.compile(r"^(.*?/-/(?:blob|raw|tree)/[^/]+)/"),
    re.compile(r"^(/[^/]+/[^/]+/(?:blob|raw|tree)/[^/]+)/"),
)
RAW_GITHUB_PREFIX = re.compile(r"^(/[^/]+/[^/]+/[^/]+)/")


def mask_url(url: str) -> str:
    """The URL with any user and password replaced by `***`, fit for messages and logs."""
    return re.sub(r"://[^/@]*@", "://***@", url)


def is_url(target: str) -> bool:
    return bool(SCHEME.match(target))


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(URL without user and password, user, password), the last two percent-decoded."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), unquote(user) or None, unquote(password) or None


def raw_url(url: str) -> str:
    """Where a file's bytes are: a GitHub `blob` URL becomes raw.githubusercontent.com, a GitLab `/-/blob/`
    becomes `/-/raw/`; any other URL is read as it is."""
    github = GITHUB_BLOB.match(url)
    if github:
        owner, repository, rest = github.groups()
        return f"https://raw.githubusercontent.com/{owner}/{repository}/{rest}"
    return url.replace("/-/blob/", "/-/raw/", 1)


def repository_root(url: str) -> str | None:
    """The URL of the repository folder a file URL lies in (`https://github.com/o/r/blob/main`), or None
    when the URL's shape does not say."""
    parts = urlsplit(url)
    prefixes = (RAW_GITHUB_PREFIX,) if parts.hostname == "raw.githubusercontent.com" else REPOSITORY_PREFIX
    for prefix in prefixes:
        found = prefix.match(parts.path)
        if found:
            return urlunsplit(parts._replace(path=found.group(1), query="", fragment=""))
    return None


def resolve_url(target: str, base: str) -> str:
    """`defaultScmResolveUrl`: a full URL stays as it is; `/x` is relative to the repository root of `base`;
    anything else is relative to `base`'s folder. The base's query is kept, as Backstage keeps it."""
    if is_url(target):
        return target
    root = repository_root(base) if target.startswith("/") else None
    resolved = urlsplit(root + target if root else urljoin(base, target))
    return urlunsplit(resolved._replace(query=urlsplit(base).query, fragment=""))


def inside_repository(url: str, base: str) -> bool:
    """Whether `url` stays in the repository of `base` (True when base's repository cannot be told)."""
    root = repository_root(base)
    return root is None or url.startswith(root + "/")
