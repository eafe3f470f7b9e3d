"""The simulator's incident log entries (`GET /log_entries`), from the same timelines as its Analytics API
(`simulator_analytics.py`), so that both tell the same story of each incident.

Each incident has a `trigger_log_entry` when created, an `escalate_log_entry` (by timeout) at each escalation,
an `acknowledgement_log_entry` at its first acknowledgement, a `resolve_log_entry` once resolved, and a
`notify_log_entry` for each page (the trigger's and each escalation's). The acknowledgement's type is
the one the `AcknowledgeLogEntry` schema allows; the spec's `LogEntry.type` says `acknowledge_log_entry`
instead. `is_overview=true` leaves out the notifications. No `channel` is shown: the spec's `Channel` is a
`oneOf` of variants that each accept any `type`, so no channel object fits exactly one of them. Entries come
newest first; `since` is inclusive, `until` exclusive, and either may be left out; times are rendered in
`time_zone` (UTC by default). The query is checked against the spec before it gets here (`spec.py`): unknown
parameters, malformed times, zones and `include[]` values are refused with 400.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from datetime import datetime
from zoneinfo import ZoneInfo

from insights.pagerduty.spec import moment

OVERVIEW = frozenset({"trigger_log_entry", "acknowledgement_log_entry", "escalate_log_entry", "resolve_log_entry"})
SUMMARIES = {"trigger_log_entry": "Triggered through the API", "acknowledgement_log_entry": "Acknowledged",
             "escalate_log_entry": "Escalated by timeout", "resolve_log_entry": "Resolved",
             "notify_log_entry": "Notified"}


def _entry_id(incident_id: str, kind: str, n: int) -> str:
    return "R" + hashlib.sha1(f"{incident_id}/{kind}/{n}".encode()).hexdigest()[:13].upper()


def timeline(row: dict) -> list[tuple[datetime, str]]:
    """(time, log entry type) of one incident, from its Analytics row."""
    escalations = row["_escalations"]
    events = [(row["_created"], "trigger_log_entry")] + [(at, "escalate_log_entry") for at in escalations]
    events += [(at, "notify_log_entry") for at in [row["_created"], *escalations]]
    if row["_acked"] is not None:
        events.append((row["_acked"], "acknowledgement_log_entry"))
    if row["_resolved"] is not None:
        events.append((row["_resolved"], "resolve_log_entry"))
    return events


class LogEntries:
    def __init__(self, rows: list[dict], services: dict[str, dict]):
        entries = []
        for row in rows:
            incident = row["_incident"]
            teams = incident.get("teams") or (services.get(row["service_id"]) or {}).get("teams") or []
            for n, (at, kind) in enumerate(sorted(timeline(row), key=lambda e: e[0])):
                entries.append((at, _entry_id(row["id"], kind, n), kind, row, teams))
        entries.sort(key=lambda e: (e[0], e[1]))
        self.entries = entries  # oldest first, so that a time range is found by bisection
        self.times = [e[0] for e in entries]

    def matching(self, query: dict, service_ids: frozenset[str]) -> list[tuple]:
        """The entries the query asks for, newest first."""
        since, until = moment(query.get("since", [None])[0]), moment(query.get("until", [None])[0])
        overview = query.get("is_overview", ["false"])[0] == "true"
        teams = set(query.get("team_ids[]", []))
        low = bisect_left(self.times, since) if since else 0
        high = bisect_left(self.times, until) if until else len(self.entries)
        return [e for e in reversed(self.entries[low:max(low, high)]) if e[3]["service_id"] in service_ids
                and (not overview or e[2] in OVERVIEW) and (not teams or teams & {t["id"] for t in e[4]})]


def shaper(query: dict, incident, service, team):
    """A function showing one entry as the API does: times in `time_zone`, and the `include[]`d objects in
    full (`incident`, `service`, `team` show them) where the rest are references."""
    include = set(query.get("include[]", []))
    zone = ZoneInfo(query.get("time_zone", ["Etc/UTC"])[0])

    def shown(entry: tuple) -> dict:
        at, entry_id, kind, row, teams = entry
        record = row["_incident"]
        service_ref = {"id": row["service_id"], "type": "service_reference", "summary": row["service_name"]}
        shaped = {"id": entry_id, "type": kind, "summary": SUMMARIES[kind],
                  "created_at": at.astimezone(zone).isoformat(),
                  "service": service(row["service_id"]) if "services" in include else service_ref,
                  "incident": incident(record) if "incidents" in include else
                  {"id": record["id"], "type": "incident_reference",
                   "summary": f"[#{record.get('incident_number', 0)}] {record.get('title', '')}"},
                  "teams": [team(t) for t in teams] if "teams" in include else
                  [{"id": t["id"], "type": "team_reference", **({"summary": t["summary"]} if t.get("summary") else {})}
                   for t in teams]}
        acknowledger = next((a["acknowledger"] for a in record.get("acknowledgements") or [] if a.get("acknowledger")),
                            None)
        if kind == "acknowledgement_log_entry" and acknowledger:
            shaped["agent"] = {k: acknowledger[k] for k in ("id", "type", "summary") if k in acknowledger}
        elif kind in ("trigger_log_entry", "resolve_log_entry"):
            shaped["agent"] = service_ref
        return shaped
    return shown
