"""scorecards.yaml -> a validated Config. Every problem of the file is reported at once, with file:line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from insights.catalog.sources import DEFAULT_GLOBS, Source
from insights.errors import ConfigError
from insights.rules.model import Check
from insights.resources import builtin_checks
from insights.rules.parse import CheckReader, did_you_mean, load_checks
from insights.scorecards import Level, Scorecard
from insights.yamlio import load_one

SOURCE_KINDS = ("folder", "file", "git", "repositories", "backstage")
TOP_KEYS = {"version", "catalog", "pagerduty", "store", "checks", "scorecards", "gates", "waivers"}


@dataclass(frozen=True)
class PagerDutySettings:
    url: str = "https://api.pagerduty.com"
    requests_per_minute: int = 900
    concurrency: int = 4
    tags: bool = True
    subdomain: str | None = None  # for an OAuth app: acme for acme.pagerduty.com
    region: str = "us"  # us or eu
    token_url: str | None = None  # OAuth token endpoint; the region's by default
    schedule_coverage: bool = False  # one more request per level-1 schedule
    standards: bool = False  # one more request per 100 services


@dataclass(frozen=True)
class Gates:
    fail_under: float | None = None
    fail_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[Source, ...] = ()
    max_file_bytes: int = 1_000_000
    allowed_hosts: tuple[str, ...] = ()
    pagerduty: PagerDutySettings = field(default_factory=PagerDutySettings)
    store_url: str | None = None
    keep_runs: int | None = None
    keep_days: int | None = None
    checks: tuple[Check, ...] = ()
    scorecards: tuple[Scorecard, ...] = ()
    gates: Gates = field(default_factory=Gates)
    waiver_max_days: int = 180
    hash: str = ""

    @property
    def check_ids(self) -> set[str]:
        return {c.id for c in self.checks}


class _Reader:
    def __init__(self, path: Path):
        self.path, self.problems = path, []

    def problem(self, node, message, key=None):
        line = (getattr(node, "key_lines", {}).get(key) if key else None) or getattr(node, "line", 1)
        self.problems.append(f"{self.path}:{line}: {message}")

    def section(self, data, key, allowed) -> dict:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            self.problem(data, f"`{key}` must be a mapping", key)
            return {}
        for name in value:
            if name not in allowed:
                self.problem(value, f"unknown key `{key}.{name}`{did_you_mean(str(name), allowed)}", name)
        return value

    def sources(self, catalog) -> tuple[Source, ...]:
        items = catalog.get("sources") or []
        result = []
        for item in items if isinstance(items, list) else []:
            kinds = [k for k in SOURCE_KINDS if isinstance(item, dict) and k in item]
            if len(kinds) != 1:
                self.problem(catalog, "each catalog source needs one of " + ", ".join(f"`{k}:`" for k in SOURCE_KINDS),
                             "sources")
                continue
            kind = "list" if kinds[0] == "repositories" else kinds[0]
            location = str(item[kinds[0]])
            if kind in ("folder", "file", "list") and not Path(location).is_absolute():
                location = str((self.path.parent / location).resolve())
            result.append(Source(kind, location, tuple(item.get("globs") or DEFAULT_GLOBS), item.get("ref"),
                                 item.get("token_env"), item.get("filter")))
        return tuple(result)

    def scorecards(self, items, check_ids) -> tuple[Scorecard, ...]:
        cards, seen = [], set()
        check_reader = CheckReader(str(self.path))
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not item.get("id") or not item.get("levels"):
                self.problem(item, "each scorecard needs `id`, `name` and `levels`")
                continue
            if item["id"] in seen:
                self.problem(item, f"duplicate scorecard id {item['id']!r}", "id")
            seen.add(item["id"])
            levels = []
            for level in item["levels"]:
                if not isinstance(level, dict) or not isinstance(level.get("checks"), list):
                    self.problem(item, "each level needs `name` and a list of `checks`", "levels")
                    continue
                for check in level["checks"]:
                    if check not in check_ids:
                        self.problem(level, f"scorecard {item['id']} names unknown check {check!r}"
                                     f"{did_you_mean(str(check), check_ids)}", "checks")
                levels.append(Level(str(level.get("name", "")), tuple(level["checks"])))
            applies_to = check_reader.applies_to(item)
            self.problems += check_reader.problems
            check_reader.problems = []
            cards.append(Scorecard(str(item["id"]), str(item.get("name") or item["id"]), tuple(levels),
                                   applies_to, dict(item.get("weights") or {}),
                                   str(item.get("description") or "")))
        return tuple(cards)


def load_config(path: Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration: {error.strerror}") from error
    data = load_one(text, path=str(path)) or {}
    reader = _Reader(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the configuration must be a mapping")
    for key in data:
        if key not in TOP_KEYS:
            reader.problem(data, f"unknown key `{key}`{did_you_mean(str(key), TOP_KEYS)}", key)
    catalog = reader.section(data, "catalog", {"sources", "max_file_bytes", "allowed_hosts"})
    pagerduty = reader.section(data, "pagerduty", set(PagerDutySettings.__dataclass_fields__))
    store = reader.section(data, "store", {"url", "keep_runs", "keep_days"})
    gates = reader.section(data, "gates", {"fail_under", "fail_on"})
    waivers = reader.section(data, "waivers", {"max_days"})
    # `builtin` (the default) names the checks shipped with insights; other entries are paths.
    check_paths = [builtin_checks() if p == "builtin" else (path.parent / p).resolve()
                   for p in (data.get("checks") or ["builtin"])]
    for check_path in check_paths:
        if not check_path.exists():
            reader.problem(data, f"checks path {check_path} does not exist", "checks")
    checks: list[Check] = []
    try:
        checks = load_checks([p for p in check_paths if p.exists()])
    except ConfigError as error:
        reader.problems += error.problems
    scorecards = reader.scorecards(data.get("scorecards"), {c.id for c in checks})
    for check in gates.get("fail_on") or []:
        if check not in {c.id for c in checks}:
            reader.problem(gates, f"gate names unknown check {check!r}", "fail_on")
    if pagerduty.get("region", "us") not in ("us", "eu"):
        reader.problem(pagerduty, f"`pagerduty.region` must be us or eu, not {pagerduty['region']!r}", "region")
    if reader.problems:
        raise ConfigError(reader.problems)
    digest = hashlib.sha256(text.encode() + b"".join(p.read_bytes() for cp in check_paths
                                                      for p in sorted(cp.glob("*.y*ml")) if cp.is_dir()))
    return Config(
        path=path, sources=reader.sources(catalog), max_file_bytes=int(catalog.get("max_file_bytes", 1_000_000)),
        allowed_hosts=tuple(catalog.get("allowed_hosts") or ()),
        pagerduty=PagerDutySettings(**pagerduty), store_url=store.get("url"),
        keep_runs=store.get("keep_runs"), keep_days=store.get("keep_days"), checks=tuple(checks),
        scorecards=scorecards, gates=Gates(gates.get("fail_under"), tuple(gates.get("fail_on") or ())),
        waiver_max_days=int(waivers.get("max_days", 180)), hash=digest.hexdigest()[:16])
