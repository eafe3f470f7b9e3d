"""scorecards.yaml -> a validated Config. Every problem of the file and of the checks it uses is reported at
once, each as `file:line:column: message (suggestion)`.

`insights validate` and `insights run` both load the configuration here, so they refuse the same things.
Every setting is read with its type and range (`insights.configread`); nothing unchecked reaches a run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from insights.catalog.severity import check_overrides
from insights.catalog.sources import DEFAULT_GLOBS, GIT_URL, Source
from insights.configread import ENV_VARIABLE, PROSE, Invalid, Kind, Reader, did_you_mean, list_of, load_yaml, \
    mapping_of, shown, text
from insights.configsections import ACCOUNT, ANALYTICS, CATALOG, CHANGE_EVENTS, GATES, NOTIFY, PAGERDUTY, \
    REGION_URLS, STORE, WAIVERS, CatalogSettings, Gates, PagerDutySettings
from insights.errors import ConfigError
from insights.resources import builtin_checks
from insights.rules.model import Check
from insights.rules.parse import CHECK_ID, WEIGHT, applies_to, read_checks
from insights.scorecards import Level, Scorecard
from insights.yamlio import read_file

__all__ = ["CatalogSettings", "Config", "Gates", "PagerDutySettings", "load_config"]

SOURCE_KINDS = ("folder", "file", "git", "repositories", "backstage")
# A source's file links for hosts insights does not know: `{revision}`, `{path}` and `{line}` are filled in.
WEB_URL_TEMPLATE = text(re.compile(r"^https?://\S+$"), "an http(s) URL template with {path} (and {revision}, {line})")
SOURCE_KEYS = (*SOURCE_KINDS, "globs", "ref", "token_env", "filter", "web_url")
TOP_KEYS = ("version", "catalog", "pagerduty", "store", "checks", "scorecards", "gates", "waivers", "notify")
VERSIONS = (1,)
# Globs are relative to the source's root and stay inside it.
GLOB = text(re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$)).+$"), "a glob relative to the source, such as "
            "**/catalog-info.yaml (no leading / and no ..)")
SCORECARD_KEYS = ("id", "name", "description", "applies_to", "levels", "weights")


@dataclass(frozen=True)
class Config:
    path: Path
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    pagerduty: PagerDutySettings = field(default_factory=PagerDutySettings)
    store_url: str | None = None
    keep_runs: int | None = None
    keep_days: int | None = None
    checks: tuple[Check, ...] = ()
    scorecards: tuple[Scorecard, ...] = ()
    gates: Gates = field(default_factory=Gates)
    waiver_max_days: int = 180
    notify: dict = field(default_factory=dict)  # the `notify:` section, see insights.notify.settings_from
    version: int = 1
    hash: str = ""

    @property
    def check_ids(self) -> set[str]:
        return {c.id for c in self.checks}

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.catalog.sources

    @property
    def max_file_bytes(self) -> int:
        return self.catalog.max_file_bytes

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        return self.catalog.allowed_hosts


def _version(value):
    if value not in VERSIONS or isinstance(value, bool):
        raise Invalid(" or ".join(map(str, VERSIONS)), "the only configuration version this insights reads")
    return value


class ConfigReader(Reader):
    def sources(self, catalog) -> tuple[Source, ...]:
        items = catalog.get("sources") if isinstance(catalog, dict) else None
        if items is None:
            return ()
        if not isinstance(items, list):
            self.problem(catalog, f"`catalog.sources` must be a list of sources, not {shown(items)}", "sources",
                         "for example [{folder: ../services}, {git: https://git.example.com/a.git}]")
            return ()
        return tuple(s for s in (self.source(item, catalog) for item in items) if s)

    def source(self, item, catalog) -> Source | None:
        kinds = [k for k in SOURCE_KINDS if isinstance(item, dict) and k in item]
        if len(kinds) != 1:
            self.problem(item if isinstance(item, dict) else catalog, "each catalog source needs exactly one of "
                         + ", ".join(f"`{k}:`" for k in SOURCE_KINDS), None if isinstance(item, dict) else "sources")
            return None
        self.known_keys(item, SOURCE_KEYS, "catalog.sources.")
        kind, key = ("list" if kinds[0] == "repositories" else kinds[0]), kinds[0]
        location = self.value(item, key, text(what="a path or URL"), None, f"catalog.sources.{key}")
        globs = self.value(item, "globs", list_of(GLOB, "a list of globs"), None, "catalog.sources.globs")
        options = {name: self.value(item, name, kind_, None, f"catalog.sources.{name}")
                   for name, kind_ in (("ref", text(what="a branch, tag or commit")), ("token_env", ENV_VARIABLE),
                                       ("filter", text(what="a catalog filter")), ("web_url", WEB_URL_TEMPLATE))}
        if location is None:
            return None
        if kind == "git" and not GIT_URL.match(location) and not location.endswith(".git"):
            self.problem(item, f"`catalog.sources.git` must be a git URL, not {shown(location)}", key,
                         "https://, ssh://, git://, file:// or git@host:path")
            return None
        if kind == "backstage" and not re.match(r"^https?://[^/\s]+", location):
            self.problem(item, f"`catalog.sources.backstage` must be the http(s) URL of a Backstage catalog API, "
                         f"not {shown(location)}", key)
            return None
        if kind in ("folder", "file", "list") and not Path(location).is_absolute():
            location = str((Path(self.path).parent / location).resolve())
        return Source(kind, location, globs or DEFAULT_GLOBS, **options)

    def accounts(self, section) -> tuple[dict, ...]:
        """`pagerduty.accounts`: each a mapping as ACCOUNT describes it, ids unique, a credential named."""
        items = section.get("accounts")
        if items is None:
            return ()
        if not isinstance(items, list):
            self.problem(section, f"`pagerduty.accounts` must be a list of accounts, not {shown(items)}", "accounts",
                         "for example [{id: eu, region: eu, token_env: PAGERDUTY_TOKEN_EU}]")
            return ()
        accounts, seen = [], set()
        for item in items:
            if not isinstance(item, dict):
                self.problem(section, f"each of `pagerduty.accounts` must be a mapping, not {shown(item)}", "accounts")
                continue
            account = self.settings(item, ACCOUNT, "pagerduty.accounts")
            if account["id"] is None:
                continue
            if account["id"] in seen:
                self.problem(item, f"duplicate account id {account['id']!r}", "id")
            wrong = any(item.get(key) is not None and not account[key]  # already a problem of its own
                        for key in ("token_env", "client_id_env", "client_secret_env"))
            if not wrong and not account["token_env"] and not (account["client_id_env"] and account["client_secret_env"]):
                self.problem(item, f"account {account['id']}: name its credential: `token_env`, or `client_id_env` "
                             "and `client_secret_env` (the variables, never the secrets)")
            seen.add(account["id"])
            accounts.append(account)
        return tuple(accounts)

    def scorecards(self, items, parent, check_ids) -> tuple[Scorecard, ...]:
        if items is None:
            return ()
        if not isinstance(items, list):
            self.problem(parent, f"`scorecards` must be a list of scorecards, not {shown(items)}", "scorecards")
            return ()
        cards, seen = [], set()
        for item in items:
            card = self.scorecard(item, parent, check_ids)
            if card and card.id in seen:
                self.problem(item, f"duplicate scorecard id {card.id!r}", "id")
            elif card:
                seen.add(card.id)
                cards.append(card)
        return tuple(cards)

    def scorecard(self, item, parent, check_ids) -> Scorecard | None:
        if not isinstance(item, dict):
            self.problem(parent, f"each scorecard must be a mapping with `id`, `name` and `levels`, not {shown(item)}",
                         "scorecards")
            return None
        self.known_keys(item, SCORECARD_KEYS, "scorecards.")
        card_id = self.value(item, "id", CHECK_ID, None, "scorecards.id")
        label = f"scorecard {card_id or '?'}"
        name = self.value(item, "name", text(what="a name"), card_id, owner=f"{label}: ")
        description = self.value(item, "description", PROSE, "", owner=f"{label}: ")
        where = applies_to(self, item)
        levels = self.levels(item, label, check_ids)
        in_card = {c for level in levels for c in level.checks}
        weights = self.value(item, "weights", mapping_of(text(what="a check id"), WEIGHT, "a mapping of check id to "
                             "weight"), {}, owner=f"{label}: ")
        for check in weights:
            if check not in in_card:
                self.problem(item["weights"], f"{label}: weight for {check!r}, which is not one of its checks"
                             f"{did_you_mean(check, in_card)}", check)
        if card_id is None or not levels:
            return None
        return Scorecard(card_id, name, tuple(levels), where, weights, description)

    def levels(self, item, label, check_ids) -> list[Level]:
        levels = item.get("levels")
        if not isinstance(levels, list) or not levels:
            self.problem(item, f"{label}: `levels` must be a non-empty list of levels, each with `name` and "
                         f"`checks`, not {shown(levels)}", "levels" if "levels" in item else None)
            return []
        result, placed = [], {}
        for level in levels:
            if not isinstance(level, dict):
                self.problem(item, f"{label}: each level must be a mapping with `name` and `checks`, not "
                             f"{shown(level)}", "levels")
                continue
            self.known_keys(level, ("name", "checks"), "levels.")
            name = self.value(level, "name", text(what="a name"), owner=f"{label}: level ")
            checks = self.value(level, "checks", list_of(CHECK_ID, "a list of check ids"), None,
                                owner=f"{label}: level ")
            for check in checks or ():
                if check not in check_ids:
                    self.problem(level, f"{label} names unknown check {check!r}{did_you_mean(check, check_ids)}",
                                 "checks")
                elif check in placed:  # it would count twice in the score
                    self.problem(level, f"{label} lists check {check!r} twice (first in level {placed[check]})",
                                 "checks")
                placed.setdefault(check, name)
            if name is not None and checks:
                result.append(Level(name, checks))
        return result

    def check_paths(self, data) -> list[Path]:
        """`builtin` (the default) names the checks shipped with insights; other entries are paths."""
        names = self.value(data, "checks", list_of(text(what="`builtin` or a path"), "a list of `builtin` and paths "
                                                   "to check files or folders"), ("builtin",))
        paths = [builtin_checks() if name == "builtin" else (Path(self.path).parent / name).resolve()
                 for name in names]
        for path in paths:
            if not path.exists():
                self.problem(data, f"checks path {path} does not exist", "checks")
        return [p for p in paths if p.exists()]


def _hash(text_: str, check_paths: list[Path]) -> str:
    files = [p for cp in check_paths for p in ([cp] if cp.is_file() else sorted(cp.glob("*.y*ml")))]
    return hashlib.sha256(text_.encode() + b"".join(p.read_bytes() for p in files)).hexdigest()[:16]


def load_config(path: Path) -> Config:
    path = Path(path)
    text_ = read_file(path, "configuration")
    duplicates: list[str] = []
    data = load_yaml(text_, path=str(path), duplicates=duplicates)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(duplicates + [f"{path}:1:1: the configuration must be a mapping of sections, not "
                                        f"{shown(data)}"])
    reader = ConfigReader(str(path))
    reader.problems += duplicates
    reader.known_keys(data, TOP_KEYS)
    version = reader.value(data, "version", Kind("1", _version), 1)
    catalog = reader.fields(data, "catalog", CATALOG, extra=("sources",))
    pagerduty = reader.fields(data, "pagerduty", PAGERDUTY, extra=("analytics", "change_events", "accounts"))
    section = data.get("pagerduty") if isinstance(data.get("pagerduty"), dict) else {}
    pagerduty["analytics"] = reader.fields(section, "analytics", ANALYTICS, name="pagerduty.analytics")
    pagerduty["change_events"] = reader.fields(section, "change_events", CHANGE_EVENTS, name="pagerduty.change_events")
    pagerduty["accounts"] = reader.accounts(section)
    # Where the required standards are written: a name the account lacks is only known after collection.
    pagerduty["standards_required_line"] = (getattr(section, "key_lines", None) or {}).get("standards_required", 0)
    store = reader.fields(data, "store", STORE)
    gates = reader.fields(data, "gates", GATES)
    waivers = reader.fields(data, "waivers", WAIVERS)
    notify = reader.fields(data, "notify", NOTIFY)
    sources = reader.sources(data.get("catalog"))
    check_paths = reader.check_paths(data)
    found = read_checks(check_paths)
    reader.problems += found.problems
    scorecards = reader.scorecards(data.get("scorecards"), data, found.ids)
    for problem in check_overrides(catalog["severity"]):
        reader.problem(data["catalog"], f"`catalog.severity`: {problem}", "severity")
    for check in gates["fail_on"]:
        if check not in found.ids:
            reader.problem(data["gates"], f"gate names unknown check {check!r}{did_you_mean(check, found.ids)}",
                           "fail_on")
    ids = [a["id"] for a in pagerduty["accounts"]]
    if ids and pagerduty["default_account"] and pagerduty["default_account"] not in ids:
        reader.problem(data["pagerduty"], f"`pagerduty.default_account` {pagerduty['default_account']!r} is not one "
                       f"of `pagerduty.accounts`{did_you_mean(pagerduty['default_account'], ids)}", "default_account")
    if reader.problems:
        raise ConfigError(reader.in_order())
    if pagerduty["url"] is None:
        pagerduty["url"] = REGION_URLS[pagerduty["region"]]

    return Config(
        path=path, catalog=CatalogSettings(sources=sources, **catalog), pagerduty=PagerDutySettings(**pagerduty),
        store_url=store["url"], keep_runs=store["keep_runs"], keep_days=store["keep_days"],
        checks=tuple(found.checks), scorecards=scorecards, gates=Gates(**gates), waiver_max_days=waivers["max_days"], notify=notify,
        version=version, hash=_hash(text_, check_paths))

