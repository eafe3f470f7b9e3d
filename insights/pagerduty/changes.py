"""Change events (deploys, config changes) of the wanted services over a window, read the cheaper way.

PagerDuty has two listings: the account's (`GET /change_events`, no service filter, pages of 100) and one
service's (`GET /services/{id}/change_events`, one request per service and page). The first page of the
account's listing gives its total; when its pages cost more than asking each wanted service, the services are
asked one by one instead. `since`/`until` are UTC (`...Z`): the API refuses other offsets. A listing past the
offset cap is split by time until each part fits.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from insights.pagerduty.client import PagerDutyClient, segment
from insights.pagerduty.state import iso, parse_time

BULK, PER_SERVICE = "GET /change_events", "GET /services/{id}/change_events"


def collect_changes(client: PagerDutyClient, pool, service_ids: list[str], days: int,
                    now: datetime | None = None) -> tuple[list[dict], dict]:
    """(the newest change event of each wanted service that has one, {"since", "until", "counts": {id: n}})."""
    until = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    since = until - timedelta(days=days)
    wanted = set(service_ids)
    events: list[dict] = []
    if service_ids:
        bulk = not client.credential.lacks("change_events.read")
        first = client.page("/change_events", "change_events", {"since": iso(since), "until": iso(until)}) \
            if bulk else None
        if first is not None and first.pages() <= len(service_ids):
            events = _listing(client, "/change_events", since, until, BULK, first)
        else:
            futures = [pool.submit(_listing, client, f"/services/{segment(s)}/change_events", since, until,
                                   PER_SERVICE) for s in service_ids]
            events = [event for future in futures for event in future.result()]
    newest: dict[str, dict] = {}
    counts = dict.fromkeys(service_ids, 0)
    for event in {e["id"]: e for e in events}.values():  # an event on two services is listed for each
        for ref in event.get("services") or []:
            if ref["id"] in wanted:
                counts[ref["id"]] += 1
                if ref["id"] not in newest or parse_time(event["timestamp"]) > parse_time(newest[ref["id"]]["timestamp"]):
                    newest[ref["id"]] = event
    kept = list({e["id"]: e for e in newest.values()}.values())
    return kept, {"since": iso(since), "until": iso(until), "counts": counts}


def _listing(client, path: str, since: datetime, until: datetime, endpoint: str, first=None) -> list[dict]:
    """Every change event of a listing in [since, until)."""
    return client.in_window(path, "change_events", {}, since, until, endpoint=endpoint, first=first)
