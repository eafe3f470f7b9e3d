"""Incident response over a window, per service: PagerDuty's Analytics API where the account has it, else the
incident list.

The Analytics API (PagerDuty's Advanced plan; a Scoped OAuth app needs `analytics.write`, as the spec says,
although these queries only read) gives PagerDuty's own per-service aggregates for the whole window
(`POST /analytics/metrics/incidents/services` without `aggregate_unit`: one request for every service) and
every incident's times with cursor paging (`POST /analytics/raw/incidents`, 1,000 a page), from which the
percentiles come. The spec sets no maximum on `service_ids`; batches are kept to 1,000 ids, and when most of
a large account is wanted no service filter is sent at all.

Where the Analytics API answers 402 or 403, or is turned off, the same window is read from `GET /incidents`
(`since`/`until`, statuses all). Incident objects carry `created_at`, `resolved_at` and `urgency`, so counts and
times to resolve are known. They do not carry times to acknowledge (the spec: `acknowledgements` "will be empty
if the status is resolved") nor escalations: those come from the window's log entries (`log_entries.py`), the
acknowledgement and escalation entries of the window's incidents. A high-urgency incident wakes its responder
when triggered, and again at each escalation, between 22:00 and 08:00 in `time_zone`, as the Analytics API
counts it. Where the log entries cannot be read (403), times to acknowledge and escalations stay unknown and
the sleep-hour count is the triggers'. The state says which source served (`analytics`, `log_entries`: the
incident list with its log entries, or `incidents`: the list alone), why the Analytics API did not, and how many
log entries the window held (`log_entries`, for the request bound in `cost.py`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from insights.errors import PagerDutyError
from insights.pagerduty.client import ID_BATCH, WHOLE_LIST_SHARE, OffsetCapExceeded, PagerDutyClient
from insights.pagerduty.log_entries import Timeline, collect_timelines
from insights.pagerduty.state import iso, parse_time

METRICS, RAW = "POST /analytics/metrics/incidents/services", "POST /analytics/raw/incidents"
RAW_PAGE = 1000  # the raw endpoint's largest `limit`
ANALYTICS_ID_BATCH = 1000
UNAVAILABLE = (402, 403)  # the plan lacks the Analytics API, or the key may not use it
SLEEP_HOURS = (22, 8)  # the Analytics API's sleep hours: from 22:00 to 08:00 local time


@dataclass(frozen=True)
class ResponseOptions:
    window_days: int = 30  # 1 to 180: `GET /incidents` takes at most six months
    analytics_api: bool = True  # False: read `GET /incidents` without trying the Analytics API
    time_zone: str = "Etc/UTC"  # the Analytics API's `time_zone`

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        until = now.astimezone(timezone.utc).replace(microsecond=0)
        return until - timedelta(days=self.window_days), until


def collect_response(client: PagerDutyClient, pool, service_ids: list[str], account_services: int,
                     options: ResponseOptions, now: datetime | None = None) -> dict:
    """{"source", "since", "until", "services": {id: metrics}, "fallback"?} for the given services."""
    since, until = options.window(now or datetime.now(timezone.utc))
    window = {"since": iso(since), "until": iso(until)}
    fallback = None
    if options.analytics_api and client.credential.lacks("analytics.write"):
        fallback = "the OAuth app was not granted analytics.write"
    elif options.analytics_api:
        try:
            services = _analytics(client, pool, service_ids, account_services, since, until, options.time_zone)
            return {"source": "analytics", **window, "services": services}
        except PagerDutyError as error:
            if error.status not in UNAVAILABLE:
                raise
            fallback = (f"{error.endpoint} answered HTTP {error.status}: the Analytics API needs PagerDuty's "
                        "Advanced plan (and, for an OAuth app, analytics.write)")
    services, entries, refused = _from_incidents(client, pool, service_ids, account_services, since, until,
                                                 options.time_zone)
    logged = {"log_entries_unavailable": refused} if refused else {"log_entries": entries}
    return {"source": "incidents" if refused else "log_entries", **window, "services": services,
            **({"fallback": fallback} if fallback else {}), **logged}


def _groups(service_ids: list[str], account_services: int) -> list[list[str] | None]:
    """Service filters, one per request or cursor: None (the whole account) when most of a large account is
    wanted, else batches of ids."""
    if len(service_ids) > ANALYTICS_ID_BATCH and len(service_ids) > account_services / 2:
        return [None]
    return [service_ids[i:i + ANALYTICS_ID_BATCH] for i in range(0, len(service_ids), ANALYTICS_ID_BATCH)]


def _filters(ids: list[str] | None, since: datetime, until: datetime) -> dict:
    return {"created_at_start": iso(since), "created_at_end": iso(until), **({"service_ids": ids} if ids else {})}


def _analytics(client, pool, service_ids, account_services, since, until, time_zone) -> dict[str, dict]:
    groups = _groups(service_ids, account_services)
    rows = [row for future in [pool.submit(client.post, "/analytics/metrics/incidents/services",
                                           {"filters": _filters(ids, since, until), "time_zone": time_zone},
                                           endpoint=METRICS) for ids in groups]
            for row in future.result()["data"]]
    wanted = set(service_ids)
    metrics = {row["service_id"]: row for row in rows if row["service_id"] in wanted}
    expected = sum(row.get("total_incident_count") or 0 for row in rows)
    futures = [pool.submit(_raw, client, _filters(ids, since, until), time_zone, expected) for ids in groups]
    per_service: dict[str, list[dict]] = defaultdict(list)
    for future in futures:
        for incident in future.result():
            if incident["service_id"] in wanted:
                per_service[incident["service_id"]].append(incident)
    return {service_id: _from_analytics(metrics.get(service_id, {}), per_service.get(service_id, []))
            for service_id in service_ids}


def _raw(client, filters: dict, time_zone: str, expected: int) -> list[dict]:
    """Every incident the filters match, page after page by cursor. The metrics already counted them: an
    answer that keeps going well past that count is broken, not long."""
    body = {"filters": filters, "limit": RAW_PAGE, "order": "asc", "order_by": "created_at", "time_zone": time_zone}
    items: list[dict] = []
    cursor = None
    while True:
        page = client.post("/analytics/raw/incidents", {**body, **({"starting_after": cursor} if cursor else {})},
                           endpoint=RAW)
        items += page["data"]
        if not page["more"]:
            return items
        if not page["data"] or not page.get("last") or page["last"] == cursor:
            raise PagerDutyError(f"PagerDuty {RAW} says there is more but gave no cursor past {cursor!r}",
                                 endpoint=RAW)
        if len(items) > 2 * expected + RAW_PAGE:
            raise PagerDutyError(f"PagerDuty {RAW} gave {len(items)} incidents, far more than the "
                                 f"{expected} its metrics counted", endpoint=RAW)
        cursor = page["last"]


def p90(values: list[float]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value at least 90% of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _from_analytics(row: dict, incidents: list[dict]) -> dict:
    acks = [i["seconds_to_first_ack"] for i in incidents if i.get("seconds_to_first_ack") is not None]
    high_acks = [i["seconds_to_first_ack"] for i in incidents
                 if i.get("urgency") == "high" and i.get("seconds_to_first_ack") is not None]
    resolves = [i["seconds_to_resolve"] for i in incidents if i.get("seconds_to_resolve") is not None]
    count = row.get("total_incident_count")
    return {"total_incident_count": len(incidents) if count is None else count,
            "total_incidents_acknowledged": row.get("total_incidents_acknowledged", len(acks)),
            "mean_seconds_to_first_ack": row.get("mean_seconds_to_first_ack", _mean(acks)),
            "mean_seconds_to_resolve": row.get("mean_seconds_to_resolve", _mean(resolves)),
            "total_escalation_count": row.get("total_escalation_count") or 0,
            "total_sleep_hour_interruptions": row.get("total_sleep_hour_interruptions") or 0,
            "high_urgency_incident_count": sum(i.get("urgency") == "high" for i in incidents),
            "resolved_incident_count": len(resolves), "p90_seconds_to_first_ack": p90(acks),
            "p90_seconds_to_first_ack_high_urgency": p90(high_acks), "p90_seconds_to_resolve": p90(resolves)}


def _from_incidents(client, pool, service_ids: list[str], account_services: int, since: datetime,
                    until: datetime, time_zone: str = "Etc/UTC") -> tuple[dict[str, dict], int, str | None]:
    """(metrics per service, the log entries the window holds, why they could not be read or None)."""
    whole = len(service_ids) > WHOLE_LIST_SHARE * account_services  # fewer pages than batches of ids
    groups = [None] if whole else [service_ids[i:i + ID_BATCH] for i in range(0, len(service_ids), ID_BATCH)]
    futures = [pool.submit(_window_incidents, client, ids, since, until) for ids in groups]
    per_service: dict[str, list[dict]] = defaultdict(list)
    wanted = set(service_ids)
    for future in futures:
        for incident in future.result():
            if incident["service"]["id"] in wanted:
                per_service[incident["service"]["id"]].append(incident)
    timelines, entries, refused = None, 0, None
    # The Analytics API counts an incident's acknowledgement and escalations up to the moment it is asked,
    # whatever the window's end: the log is read up to the moment it is read (to the next whole second).
    read_until = max(until, datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1))
    try:
        ids = {i["id"] for incidents in per_service.values() for i in incidents}
        timelines, entries = collect_timelines(client, pool, ids, since, read_until, time_zone)
    except PagerDutyError as error:
        if error.status != 403:
            raise
        refused = f"{error.endpoint} answered HTTP 403: not visible to this key (an OAuth app needs incidents.read)"
    return {service_id: summarise_incidents(per_service.get(service_id, []), time_zone, timelines)
            for service_id in service_ids}, entries, refused


def _window_incidents(client, ids: list[str] | None, since: datetime, until: datetime) -> list[dict]:
    """The incidents created in [since, until) on these services (None: every service); past the offset cap,
    split by services and then by time until each part fits."""
    params = {"service_ids[]": ids} if ids else {}
    if not ids or len(ids) == 1:
        return client.in_window("/incidents", "incidents", params, since, until)
    try:
        return client.paginate("/incidents", "incidents", {**params, "since": iso(since), "until": iso(until)})
    except OffsetCapExceeded:
        return (_window_incidents(client, ids[:len(ids) // 2], since, until)
                + _window_incidents(client, ids[len(ids) // 2:], since, until))


def asleep(moment: datetime, zone: ZoneInfo) -> bool:
    hour = moment.astimezone(zone).hour
    return hour >= SLEEP_HOURS[0] or hour < SLEEP_HOURS[1]


def summarise_incidents(incidents: list[dict], time_zone: str = "Etc/UTC",
                        timelines: dict[str, Timeline] | None = None) -> dict:
    """What incident objects tell: counts, times to resolve, and the high-urgency incidents triggered in sleep
    hours in `time_zone`; with the incidents' timelines from the log entries, also times to acknowledge,
    escalations, and the escalation pages in sleep hours. Without them those are None: unknown."""
    zone = ZoneInfo(time_zone)
    high = [i for i in incidents if i.get("urgency") == "high"]
    woken = sum(1 for i in high if (created := parse_time(i.get("created_at"))) and asleep(created, zone))
    resolves = []
    for incident in incidents:
        created, resolved = parse_time(incident.get("created_at")), parse_time(incident.get("resolved_at"))
        if created and resolved and incident.get("status") == "resolved":
            resolves.append(max(0.0, (resolved - created).total_seconds()))
    metrics = {"total_incident_count": len(incidents), "total_incidents_acknowledged": None,
               "mean_seconds_to_first_ack": None, "mean_seconds_to_resolve": _mean(resolves),
               "total_escalation_count": None, "total_sleep_hour_interruptions": woken,
               "sleep_hours_from_incidents": True, "high_urgency_incident_count": len(high),
               "resolved_incident_count": len(resolves), "p90_seconds_to_first_ack": None,
               "p90_seconds_to_first_ack_high_urgency": None, "p90_seconds_to_resolve": p90(resolves)}
    if timelines is None:
        return metrics
    acks, high_acks, escalations = [], [], 0
    for incident in incidents:
        told, created = timelines.get(incident["id"], Timeline()), parse_time(incident.get("created_at"))
        escalations += len(told.escalations)
        if incident.get("urgency") == "high":
            woken += sum(asleep(at, zone) for at in told.escalations)
        if told.acknowledged and created:
            acks.append(max(0.0, (told.acknowledged - created).total_seconds()))
            if incident.get("urgency") == "high":
                high_acks.append(acks[-1])
    return {**metrics, "total_incidents_acknowledged": len(acks), "mean_seconds_to_first_ack": _mean(acks),
            "p90_seconds_to_first_ack": p90(acks), "p90_seconds_to_first_ack_high_urgency": p90(high_acks),
            "total_escalation_count": escalations, "total_sleep_hour_interruptions": woken}
