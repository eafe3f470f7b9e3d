"""The simulator's Analytics API: per-incident metrics derived from its incidents, aggregated per service.

Each incident of the simulated account is triggered at `created_at`, first acknowledged at its first
`acknowledgements[].at` (kept even once resolved; `GET /incidents` hides them as the spec says) or, lacking
that, at `last_status_change_at` when it is acknowledged now, and resolved at `resolved_at`. Until someone
acknowledges it, it escalates every `escalation_delay_in_minutes` of its policy's current level, through the
levels and loops. A high-urgency incident interrupts whoever is paged: once when triggered and once per
escalation; an interruption between 22:00 and 08:00 (UTC: the simulated users' time zone) is a sleep-hour one.
Low-urgency incidents interrupt nobody. The same timelines give the log entries (`simulator_log.py`).

Bodies are checked against the spec first (`spec.check_body`); what the schema cannot say is checked here:
times, the time zone, the one-year range, cursors.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from insights.pagerduty.spec import ApiError, invalid, moment, time_zone
from insights.pagerduty.state import parse_time

SLEEP_HOURS = (22, 8)
MAX_RANGE = timedelta(days=366)
RAW_DEFAULT_LIMIT = 20
METRIC_MEANS = ("seconds_to_first_ack", "seconds_to_resolve")


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    return None if start is None or end is None else max(0, int((end - start).total_seconds()))


def _asleep(moment_: datetime) -> bool:
    hour = moment_.hour
    return hour >= SLEEP_HOURS[0] or hour < SLEEP_HOURS[1]


class Analytics:
    def __init__(self, incidents: list[dict], services: dict[str, dict], policies: dict[str, dict],
                 now: datetime | None = None):
        self.services, self.policies = services, policies
        self.now = now or datetime.now(timezone.utc)  # escalations still to come have not happened yet
        self.rows = [self._derive(i) for i in incidents if parse_time(i.get("created_at"))]

    def _first_ack(self, incident: dict) -> datetime | None:
        times = [parse_time(a.get("at")) for a in incident.get("acknowledgements") or [] if a.get("at")]
        if times:
            return min(times)
        return parse_time(incident.get("last_status_change_at")) if incident.get("status") == "acknowledged" else None

    def _escalations(self, incident: dict, created: datetime, ended: datetime | None) -> list[datetime]:
        service = self.services.get(incident["service"]["id"]) or {}
        policy_id = ((incident.get("escalation_policy") or service.get("escalation_policy")) or {}).get("id")
        policy = self.policies.get(policy_id) or {}
        rules = policy.get("escalation_rules") or []
        steps = [max(1, int(r.get("escalation_delay_in_minutes") or 30)) for r in rules] * (1 + int(policy.get("num_loops") or 0))
        times, at = [], created
        for minutes in steps[:-1]:  # the last level has nowhere to escalate to
            at += timedelta(minutes=minutes)
            if at >= (ended or self.now) or at > self.now:
                break
            times.append(at)
        return times

    def _derive(self, incident: dict) -> dict:
        created = parse_time(incident["created_at"])
        acked = self._first_ack(incident)
        resolved = parse_time(incident.get("resolved_at")) if incident.get("status") == "resolved" else None
        escalations = self._escalations(incident, created, acked or resolved)
        pages = [created, *escalations] if incident.get("urgency") == "high" else []
        service = self.services.get(incident["service"]["id"]) or {}
        team = (incident.get("teams") or service.get("teams") or [{}])[0]
        row = {"id": incident["id"], "incident_number": incident.get("incident_number", 0),
               "service_id": incident["service"]["id"], "service_name": service.get("name") or
               incident["service"].get("summary") or "", "team_id": team.get("id"),
               "team_name": team.get("summary") or team.get("name"), "urgency": incident.get("urgency", "high"),
               "status": incident.get("status", "triggered"), "major": False, "description": incident.get("title", ""),
               "escalation_count": len(escalations), "timeout_escalation_count": len(escalations),
               "manual_escalation_count": 0, "acknowledgement_count": int(acked is not None),
               "total_interruptions": len(pages), "sleep_hour_interruptions": sum(map(_asleep, pages)),
               "auto_resolved": resolved is not None and acked is None,
               "_created": created, "_team": team.get("id"), "_policy": (incident.get("escalation_policy") or {}).get("id")}
        for key, value in (("seconds_to_first_ack", _seconds(created, acked)),
                           ("seconds_to_resolve", _seconds(created, resolved))):
            if value is not None:
                row[key] = value
        row.update(_resolved=resolved, _acked=acked, _escalations=escalations, _incident=incident)
        return row

    def _matching(self, body: dict, visible: frozenset[str]) -> list[dict]:
        filters = body.get("filters") or {}
        start, end = (_time(filters, key) for key in ("created_at_start", "created_at_end"))
        if start and end and end - start > MAX_RANGE:
            raise invalid("`created_at_start` and `created_at_end` may be at most one year apart")
        sets = {key: set(filters[key]) for key in ("service_ids", "team_ids", "escalation_policy_ids") if key in filters}
        rows = []
        for row in self.rows:
            if row["service_id"] not in visible or (start and row["_created"] < start) or (end and row["_created"] >= end):
                continue
            if "urgency" in filters and row["urgency"] != filters["urgency"]:
                continue
            if filters.get("major") is True or filters.get("pd_advance_used") is True \
                    or filters.get("priority_ids") or filters.get("priority_names"):
                continue  # no simulated incident is major, has a priority, or used PD Advance
            if not all(row[{"service_ids": "service_id", "team_ids": "_team", "escalation_policy_ids": "_policy"}[key]]
                       in wanted for key, wanted in sets.items()):
                continue
            if row["acknowledgement_count"] < (filters.get("min_ackowledgements") or 0) \
                    or row["timeout_escalation_count"] < (filters.get("min_timeout_escalations") or 0) \
                    or row["manual_escalation_count"] < (filters.get("min_manual_escalations") or 0):
                continue
            rows.append(row)
        return rows

    def metrics_by_service(self, body: dict, visible: frozenset[str]) -> dict:
        zone = _zone(body)
        unit = body.get("aggregate_unit")
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for row in self._matching(body, visible):
            start = _range_start(row["_created"].astimezone(zone), unit) if unit else None
            groups[(row["service_id"], start)].append(row)
        data = []
        for (service_id, start), rows in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or "")):
            item = {"service_id": service_id, "service_name": rows[0]["service_name"],
                    "total_incident_count": len(rows),
                    "total_incidents_acknowledged": sum(r["acknowledgement_count"] for r in rows),
                    "total_incidents_auto_resolved": sum(r["auto_resolved"] for r in rows),
                    "total_escalation_count": sum(r["escalation_count"] for r in rows),
                    "total_incidents_timeout_escalated": sum(r["timeout_escalation_count"] > 0 for r in rows),
                    "total_incidents_manual_escalated": 0, "total_incidents_reassigned": 0,
                    "total_interruptions": sum(r["total_interruptions"] for r in rows),
                    "total_sleep_hour_interruptions": sum(r["sleep_hour_interruptions"] for r in rows)}
            if rows[0]["team_id"]:
                item.update(team_id=rows[0]["team_id"], team_name=rows[0]["team_name"] or "")
            for key in METRIC_MEANS:
                values = [r[key] for r in rows if key in r]
                if values:
                    item[f"mean_{key}"] = round(sum(values) / len(values))
            if start:
                item["range_start"] = start
            data.append(item)
        echoed = {k: body[k] for k in ("filters", "aggregate_unit", "order", "order_by") if k in body}
        return {**echoed, "time_zone": zone.key, "data": data}

    def raw_incidents(self, body: dict, visible: frozenset[str]) -> dict:
        zone = _zone(body)
        order, order_by = body.get("order", "desc"), body.get("order_by", "created_at")
        limit = body.get("limit", RAW_DEFAULT_LIMIT)
        rows = sorted(self._matching(body, visible), reverse=order == "desc",
                      key=lambda r: (r.get("seconds_to_resolve", -1) if order_by == "seconds_to_resolve" else 0,
                                     r["_created"], r["id"]))
        ids = [r["id"] for r in rows]
        start = 0
        if body.get("starting_after") is not None:
            start = _position(ids, body["starting_after"]) + 1
        elif body.get("ending_before") is not None:
            start = max(0, _position(ids, body["ending_before"]) - limit)
        page = rows[start:start + limit]
        data = [_shown(row, zone) for row in page]
        return {"data": data, "first": data[0]["id"] if data else "", "last": data[-1]["id"] if data else "",
                "limit": limit, "more": start + limit < len(rows), "order": order, "order_by": order_by,
                "time_zone": zone.key, "filters": body.get("filters") or {}}


def _time(filters: dict, key: str) -> datetime | None:
    if key not in filters:
        return None
    try:
        return moment(filters[key])
    except ApiError:
        raise invalid(f"`filters.{key}`: {filters[key]!r} is not an ISO 8601 date and time") from None


def _zone(body: dict) -> ZoneInfo:
    name = body.get("time_zone") or "Etc/UTC"
    if not time_zone(name):
        raise invalid(f"`time_zone`: {name!r} is not a tz database time zone")
    return ZoneInfo(name)


def _range_start(local: datetime, unit: str) -> str:
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        day -= timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    return day.replace(tzinfo=None).isoformat()


def _position(ids: list[str], cursor: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise invalid(f"the cursor {cursor!r} is not in these results") from None


def _shown(row: dict, zone: ZoneInfo) -> dict:
    shown = {k: v for k, v in row.items() if not k.startswith("_") and v is not None}
    shown["created_at"] = row["_created"].astimezone(zone).isoformat()
    if row["_resolved"] is not None:
        shown["resolved_at"] = row["_resolved"].astimezone(zone).isoformat()
    return shown
