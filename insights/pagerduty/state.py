"""PagerDutyState: what one collection saw, in the API's own shapes. Its JSON form is the snapshot file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from insights import storable
from insights.errors import ConfigError
from insights.pagerduty.shapes import SNAPSHOT, problem
from insights.yamlio import read_file

SNAPSHOT_FORMAT = "insights.pagerduty-snapshot/1"  # one account
ACCOUNTS_FORMAT = "insights.pagerduty-snapshot/2"  # several accounts, each in format 1's shape
MAX_SNAPSHOT_BYTES = 4 * 1024 ** 3  # a snapshot of 100,000 entities' services is a few hundred MB


@dataclass(frozen=True)
class PagerDutyState:
    services: list[dict] = field(default_factory=list)
    escalation_policies: list[dict] = field(default_factory=list)
    oncalls: list[dict] = field(default_factory=list)
    incidents: list[dict] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)
    # "escalation_policies/PXXXXXX" or "teams/PXXXXXX" -> tag labels
    tags: dict[str, list[str]] = field(default_factory=dict)
    # Optional collections: schedule id -> final schedule's coverage % over the next 7 days;
    # service id -> Service Standards score {"passing": n, "total": n}.
    schedule_coverage: dict[str, float] = field(default_factory=dict)
    # Schedule id -> the uncovered [start, end] spans (UTC) of those 7 days, for schedules that have any.
    schedule_gaps: dict[str, list[list[str]]] = field(default_factory=dict)
    standards: dict[str, dict] = field(default_factory=dict)
    # Incident response over a window (`response.py`): {"source": "analytics", "log_entries" or "incidents",
    # "since", "until", "services": {service id: metrics}, "fallback": why the Analytics API did not serve,
    # "log_entries": overview entries the window held, or "log_entries_unavailable": why they could not be read};
    # empty: not collected.
    incident_response: dict = field(default_factory=dict)
    # Change events (`changes.py`): collected, the newest of each wanted service in the window, and
    # {"since", "until", "counts": {service id: events in the window}}; simulated, the account's events.
    change_events: list[dict] = field(default_factory=list)
    change_events_window: dict = field(default_factory=dict)
    # Ids the catalog names that the key cannot see (GET /services/{id} answered 403): unknown, not missing.
    not_visible: list[str] = field(default_factory=list)
    # Collections that could not be read (an optional one answered 403, say) -> why; their facts are unknown.
    unavailable: dict[str, str] = field(default_factory=dict)
    api_url: str = ""
    collected_at: str = ""
    requests: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"format": SNAPSHOT_FORMAT, **asdict(self)}

    def service_by_id(self) -> dict[str, dict]:
        return {s["id"]: s for s in self.services}


def public_url(url: str) -> str:
    """An API URL as runs and reports show it: no user, password, query or fragment (where a credential
    could hide)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment=""))


def account_record(account: str, state: PagerDutyState) -> dict:
    """What a run records of one account's collection: where, when, how many requests, and which source
    served the incident response (None: not collected)."""
    return {"account": account, "api_url": public_url(state.api_url), "collected_at": state.collected_at,
            "requests": sum(state.requests.values()),
            "response_source": state.incident_response.get("source") if state.incident_response else None}


def iso(moment: datetime) -> str:
    """A time as PagerDuty writes them: UTC, ending in Z."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def now_iso() -> str:
    return iso(datetime.now(timezone.utc).replace(microsecond=0))


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def save_snapshot(state: PagerDutyState | AccountsState, path: Path) -> None:
    Path(path).write_text(json.dumps(state.to_json(), indent=1, sort_keys=True))


def state_from_json(data: dict) -> PagerDutyState:
    known = set(PagerDutyState.__dataclass_fields__)
    return PagerDutyState(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class AccountsState:
    """What a collection of several PagerDuty accounts saw: each account's state by id, and the default
    account's id (entities whose `pagerduty.com/account` names none are judged there)."""
    accounts: dict[str, PagerDutyState]
    default: str

    # The run's record, for code that records one account: every account's, by id.
    @property
    def api_url(self) -> str:
        return ", ".join(f"{account}: {state.api_url}" for account, state in self.accounts.items())

    @property
    def collected_at(self) -> str:
        """The oldest collection's time: the run's data is at least that old."""
        return min((s.collected_at for s in self.accounts.values() if s.collected_at), default="")

    @property
    def requests(self) -> dict[str, int]:
        return {f"{account} {endpoint}": n for account, state in self.accounts.items()
                for endpoint, n in state.requests.items()}

    def runs(self) -> list[dict]:
        """Each account's URL, collection time, request count and response source: what the run records."""
        return [account_record(account, state) for account, state in self.accounts.items()]

    def to_json(self) -> dict:
        return {"format": ACCOUNTS_FORMAT, "default": self.default,
                "accounts": {account: {k: v for k, v in state.to_json().items() if k != "format"}
                             for account, state in self.accounts.items()}}


def load_state(path: Path) -> PagerDutyState | AccountsState:
    """A snapshot of one account (format 1) or of several (format 2), checked against the shapes the facts
    rely on: a broken one is a ConfigError saying where."""
    text = read_file(path, "PagerDuty snapshot", max_bytes=MAX_SNAPSHOT_BYTES)
    try:
        data = storable.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        where = f"{error.lineno}:{error.colno}: " if isinstance(error, json.JSONDecodeError) else " "
        raise ConfigError(f"{path}:{where}the PagerDuty snapshot is not valid JSON: "
                          f"{getattr(error, 'msg', 'nested too deeply')}") from error
    if isinstance(data, dict) and data.get("format") == ACCOUNTS_FORMAT:
        return _accounts(data, path)
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise ConfigError(f"{path}: not a PagerDuty snapshot (expected \"format\": \"{SNAPSHOT_FORMAT}\" or "
                          f"\"{ACCOUNTS_FORMAT}\"); write one with `insights pagerduty snapshot -o FILE`")
    found = problem(data, SNAPSHOT)
    if found:
        raise ConfigError(f"{path}: not a usable PagerDuty snapshot: {found}")
    return state_from_json(data)


def load_snapshot(path: Path, account: str | None = None) -> PagerDutyState:
    """One account's state: a format-1 snapshot's, or one account of a format-2 snapshot (the default one
    unless named)."""
    state = load_state(path)
    if isinstance(state, PagerDutyState):
        return state
    chosen = account or state.default
    if chosen not in state.accounts:
        raise ConfigError(f"{path}: the snapshot has no PagerDuty account {chosen!r} (it has "
                          f"{', '.join(state.accounts)})")
    return state.accounts[chosen]


def _accounts(data: dict, path: Path) -> AccountsState:
    accounts, default = data.get("accounts"), data.get("default")
    if not isinstance(accounts, dict) or not accounts or not isinstance(default, str) or default not in accounts:
        raise ConfigError(f"{path}: not a usable PagerDuty snapshot: format 2 needs `accounts` (one or more, by "
                          "id) and `default`, one of their ids")
    from insights.configread import Invalid
    from insights.configsections import ACCOUNT_ID

    states = {}
    for account, content in accounts.items():
        try:
            ACCOUNT_ID.read(account)
        except Invalid:
            raise ConfigError(f"{path}: not a usable PagerDuty snapshot: account {account[:64]!r} is not "
                              f"{ACCOUNT_ID.what}") from None
        found = problem(content, SNAPSHOT, f"accounts.{account}")
        if found:
            raise ConfigError(f"{path}: not a usable PagerDuty snapshot: {found}")
        states[account] = state_from_json(content)
    return AccountsState(states, default)


def shift_times(state: PagerDutyState, to: datetime) -> PagerDutyState:
    """Move every incident and on-call time so that `collected_at` becomes `to` (keeps demo data fresh)."""
    origin = parse_time(state.collected_at)
    if origin is None:
        return state
    delta = to - origin

    def moved(text):
        if not text:
            return text
        try:
            return iso(parse_time(text) + delta)
        except OverflowError:  # a time at the end of the calendar stays where it is
            return text

    def shift(record, keys):
        return {**record, **{k: moved(record.get(k)) for k in keys if k in record}}

    def incident(record):
        moved_record = shift(record, ("created_at", "updated_at", "last_status_change_at", "resolved_at"))
        if record.get("acknowledgements"):
            moved_record["acknowledgements"] = [shift(a, ("at",)) for a in record["acknowledgements"]]
        return moved_record

    return replace(
        state,
        incidents=[incident(i) for i in state.incidents],
        change_events=[shift(e, ("timestamp",)) for e in state.change_events],
        oncalls=[shift(o, ("start", "end")) for o in state.oncalls],
        collected_at=moved(state.collected_at),
    )


def within(start: str | None, end: str | None, moment: datetime) -> bool:
    """On-call spans with no start/end (always on call) cover every moment."""
    begins, ends = parse_time(start), parse_time(end)
    return (begins is None or begins <= moment) and (ends is None or moment < ends)


def age_hours(text: str | None, moment: datetime) -> float | None:
    created = parse_time(text)
    return None if created is None else (moment - created) / timedelta(hours=1)
