"""The plain sections of `scorecards.yaml`: each key with its kind, range and default, and the typed
settings they become. README's Configuration table lists the same keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from insights.catalog.sources import Source
from insights.errors import ConfigError
from insights.configread import BOOLEAN, ENV_VARIABLE, HOST, MISSING, Field, Invalid, Kind, choice, integer, list_of, \
    mapping_of, nullable, number, text, url

REGION_URLS = {"us": "https://api.pagerduty.com", "eu": "https://api.eu.pagerduty.com"}
FINDING_CODE = text(re.compile(r"^[a-z0-9][a-z0-9-]*$"), "a finding code such as placeholder-annotation")
ACCOUNT_ID = text(re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"), "an account id such as eu or acme-prod")


def _time_zone(value):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(value, str) or not value.strip():
        raise Invalid("a time zone name such as Europe/Berlin")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise Invalid("a time zone name such as Europe/Berlin") from error
    return value


TIME_ZONE = Kind("a time zone name such as Europe/Berlin", _time_zone)
SUBDOMAIN = text(re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE),
                 "a PagerDuty subdomain such as acme (for acme.pagerduty.com)")
DATABASE_DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb")
WEEK = 7 * 24 * 3600  # longer than any wait a run should make: a larger timeout is a typo
CENTURY = 36_500  # days: date arithmetic beyond this overflows


def seconds(default: float) -> Field:
    return Field(number(0, WEEK, low_open=True), default)


def _database_url(value):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    what = "a database URL such as sqlite:///insights.db or postgresql+psycopg://user@host/db"
    if not isinstance(value, str):
        raise Invalid(what)
    try:
        parsed = make_url(value)
        dialect = parsed.get_backend_name()
    except (ArgumentError, ValueError):
        raise Invalid(what) from None
    if dialect not in DATABASE_DIALECTS:
        raise Invalid(what, f"insights stores runs in {', '.join(DATABASE_DIALECTS)}, not {dialect}")
    if _in_memory(parsed):
        raise Invalid(what, IN_MEMORY)
    return value


IN_MEMORY = "an in-memory SQLite database keeps nothing between connections, so no run could be stored; name a file"


def _in_memory(parsed) -> bool:
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def refuse_in_memory(url: str) -> str:
    """`url`, unless it names an in-memory SQLite database (ConfigError: nothing could be stored there)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 (a URL SQLAlchemy cannot read is the store's to report)
        return url
    if _in_memory(parsed):
        raise ConfigError(f"database URL {url}: {IN_MEMORY} such as sqlite:///insights.db")
    return url


DATABASE_URL = Kind("a database URL such as sqlite:///insights.db", _database_url)

CATALOG = {
    "max_file_bytes": Field(integer(1, 1 << 40), 1_000_000),
    "allowed_hosts": Field(list_of(HOST, "a list of host names"), ()),
    "severity": Field(mapping_of(FINDING_CODE, choice("error", "warning"), "a mapping of finding code to error "
                                 "or warning"), {}),
    "url_tokens": Field(mapping_of(HOST, ENV_VARIABLE, "a mapping of host name to environment variable name"), {}),
    "fetch_timeout_s": seconds(30.0),
    "git_concurrency": Field(integer(1, 256), 16),
    "git_timeout_s": seconds(300.0),
    "git_filter": Field(text(re.compile(r"^(blob:none|blob:limit=\d+[kmg]?|)$"), "blob:none, blob:limit=N[kmg] "
                                                                               "or empty"), "blob:none"),
    "git_max_bytes": Field(integer(1_000_000, 1 << 40), 256_000_000),
    "source_deadline_s": seconds(900.0),
}
# Where an account is and how it is asked: the `pagerduty` section's and each of `pagerduty.accounts`.
ENDPOINT = {
    "url": Field(nullable(url("https", "http", example="https://api.eu.pagerduty.com")), None),
    "region": Field(choice(*REGION_URLS), "us"),
    "subdomain": Field(nullable(SUBDOMAIN), None),
    "token_url": Field(nullable(url("https", "http", example="https://identity.pagerduty.com/oauth/token")), None),
}
BUDGET = {
    "requests_per_minute": Field(integer(1, 100_000), 900),
    "concurrency": Field(integer(1, 32), 4),
    "request_timeout_s": seconds(30.0),
    "max_wait_s": seconds(120.0),
    "deadline_s": seconds(1800.0),
    "max_retries": Field(integer(0, 20), 5),
    "breaker_failures": Field(integer(1, 10_000), 10),
    "max_body_bytes": Field(integer(1_000_000, 2_000_000_000), 64_000_000),
}
PAGERDUTY = {
    **ENDPOINT,
    **BUDGET,
    "tags": Field(BOOLEAN, True),
    "schedule_coverage": Field(BOOLEAN, False),
    "standards": Field(BOOLEAN, False),
    "standards_required": Field(list_of(text(what="a standard's id, name or type"), "a list of standards"), ()),
    "default_account": Field(nullable(ACCOUNT_ID), None),
}
# Incident response over a window: the Analytics API, or the incidents' own times where it is not available.
ANALYTICS = {
    "enabled": Field(BOOLEAN, False),
    "window_days": Field(integer(1, 180), 30),
    "api": Field(BOOLEAN, True),
    "time_zone": Field(TIME_ZONE, "Etc/UTC"),
}
CHANGE_EVENTS = {
    "enabled": Field(BOOLEAN, False),
    "window_days": Field(integer(1, 365), 30),
}
# One of several PagerDuty accounts (`pagerduty.accounts`), picked by the `pagerduty.com/account` annotation.
ACCOUNT = {
    "id": Field(ACCOUNT_ID, MISSING),
    **ENDPOINT,
    "token_env": Field(nullable(ENV_VARIABLE), None),
    "client_id_env": Field(nullable(ENV_VARIABLE), None),
    "client_secret_env": Field(nullable(ENV_VARIABLE), None),
    **BUDGET,
}
STORE = {
    "url": Field(nullable(DATABASE_URL), None),
    "keep_runs": Field(nullable(integer(1, 1_000_000_000)), None),
    "keep_days": Field(nullable(integer(1, CENTURY)), None),
}
GATES = {
    "fail_under": Field(nullable(number(0, 100)), None),
    "fail_on": Field(list_of(text(what="a check id"), "a list of check ids"), ()),
    "allow_unknown": Field(BOOLEAN, False),
    "fail_on_new_failures": Field(BOOLEAN, False),
    "fail_on_new_entity_failures": Field(BOOLEAN, False),
    "max_shrink_percent": Field(nullable(number(0, 100)), 20.0),
}
WAIVERS = {"max_days": Field(integer(1, CENTURY), 180)}
# Read into a plain mapping; insights.notify.NotifySettings is built from it where notifications are sent.
NOTIFY = {
    "teams": Field(mapping_of(text(what="a team name"), ENV_VARIABLE,
                              "a mapping of team name to the environment variable holding its webhook URL"), {}),
    "default": Field(nullable(ENV_VARIABLE), "INSIGHTS_NOTIFY_WEBHOOK"),
    "format": Field(choice("slack", "json"), "slack"),
    "base_url": Field(nullable(url("https", "http", example="https://reports.example.com/insights/")), None),
    "initial": Field(BOOLEAN, False),
    "max_attempts": Field(integer(1, 100), 5),
    "backoff": Field(number(0, 3600), 1.0),
    "max_backoff": Field(number(0, 3600), 30.0),
    "max_seconds": Field(number(0, 86_400), 120.0),
    "timeout": seconds(10.0),
    "interval": Field(number(0, 3600), 1.0),
}


@dataclass(frozen=True)
class CatalogSettings:
    sources: tuple[Source, ...] = ()
    max_file_bytes: int = 1_000_000
    allowed_hosts: tuple[str, ...] = ()  # lower case, as URLs' host names are compared
    severity: dict[str, str] = field(default_factory=dict)  # finding code -> error or warning
    url_tokens: dict[str, str] = field(default_factory=dict)  # host -> environment variable with its token
    fetch_timeout_s: float = 30.0
    git_concurrency: int = 16
    git_timeout_s: float = 300.0
    git_filter: str = "blob:none"
    git_max_bytes: int = 256_000_000  # one answer of a git server over HTTP, and what its pack unpacks to
    source_deadline_s: float = 900.0  # one repository or Backstage API, every request of it together


@dataclass(frozen=True)
class PagerDutySettings:
    url: str = REGION_URLS["us"]  # as configured, or the region's API host when not
    region: str = "us"  # us or eu
    subdomain: str | None = None  # for an OAuth app: acme for acme.pagerduty.com
    token_url: str | None = None  # OAuth token endpoint; the region's by default
    requests_per_minute: int = 900
    concurrency: int = 4
    request_timeout_s: float = 30.0
    max_wait_s: float = 120.0  # longest wait for the rate limit or a retry
    deadline_s: float = 1800.0  # the whole collection
    max_retries: int = 5  # failed attempts (network, time limit, 5xx) retried per request; 429s do not count
    breaker_failures: int = 10  # failures in a row, across all workers, that stop the collection
    max_body_bytes: int = 64_000_000  # the largest answer read
    tags: bool = True
    schedule_coverage: bool = False  # one more request per level-1 schedule
    standards: bool = False  # one more request per 100 services
    standards_required: tuple[str, ...] = ()  # a check each: the standards a team requires (by id, name or type)
    standards_required_line: int = 0  # the line of `standards_required` in the file (0: not written)
    analytics: dict = field(default_factory=lambda: {n: f.default for n, f in ANALYTICS.items()})
    change_events: dict = field(default_factory=lambda: {n: f.default for n, f in CHANGE_EVENTS.items()})
    accounts: tuple[dict, ...] = ()  # several accounts: each as ACCOUNT describes it
    default_account: str | None = None  # for entities naming no account; the first account's by default


@dataclass(frozen=True)
class Gates:
    """The CI gates: the `gates` section, or the command-line options that override it (`gates.gate_settings`)."""
    fail_under: float | None = None  # mean score, 0 to 100
    fail_on: tuple[str, ...] = ()  # check ids
    allow_unknown: bool = False  # an unknown outcome of a `fail_on` check does not trip the gate
    fail_on_new_failures: bool = False
    fail_on_new_entity_failures: bool = False
    max_shrink_percent: float | None = 20.0  # 0 to 100; None or 100: no gate on a shrinking catalog
