"""When each incident of a window was first acknowledged, and when it escalated: from the account's log entries,
where the Analytics API does not serve (`response.py`).

`GET /log_entries` lists every incident's log entries across the account, newest first, filtered by the time
the entry was made (`since`, `until`) and by nothing that names a service, so the window's entries are read
in bulk and those of other incidents dropped. `is_overview=true` leaves out the notification entries, most of
an incident's log, and keeps its triggers, acknowledgements, escalations and resolutions; nothing is included
(`include[]`): each entry already carries its `incident` and `service` references. The window's first page
gives the total (`total=true`); the remaining pages of a part are read at once, as the range is fixed; a
part past the offset cap is cut into parts of about `PART` entries, evenly in time, and cut again where the
spread was uneven.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from insights.pagerduty.client import OFFSET_CAP, PAGE_LIMIT, SPLIT_MINIMUM, OffsetCapExceeded, PagerDutyClient
from insights.pagerduty.state import iso, parse_time

PATH, KEY, ENDPOINT = "/log_entries", "log_entries", "GET /log_entries"
# The spec contradicts itself: `LogEntry.type` lists `acknowledge_log_entry`, while the `AcknowledgeLogEntry`
# schema allows only `acknowledgement_log_entry`. Both are read; the simulator serves the schema's.
ACKNOWLEDGE = frozenset({"acknowledgement_log_entry", "acknowledge_log_entry"})
ESCALATE = "escalate_log_entry"
PART = OFFSET_CAP * 4 // 5  # entries aimed at per part of a split window: room for an uneven spread


@dataclass(frozen=True)
class Timeline:
    """What the log says of one incident: its first acknowledgement (None: never), and its escalations."""
    acknowledged: datetime | None = None
    escalations: tuple[datetime, ...] = ()


def collect_timelines(client: PagerDutyClient, pool, incident_ids: set[str], since: datetime, until: datetime,
                      time_zone: str = "Etc/UTC") -> tuple[dict[str, Timeline], int]:
    """(the timeline of each of `incident_ids` from the log entries made in [since, until), how many entries the
    window holds: what any client reads to learn them)."""
    if not incident_ids:
        return {}, 0
    acknowledged: dict[str, datetime] = {}
    escalations: dict[str, list[datetime]] = defaultdict(list)
    params = {"is_overview": "true", "time_zone": time_zone}
    entries = _entries(client, pool, params, since, until)
    for entry in entries:
        incident = (entry.get("incident") or {}).get("id")
        at = parse_time(entry.get("created_at"))
        if incident not in incident_ids or at is None:
            continue
        if entry.get("type") in ACKNOWLEDGE:
            acknowledged[incident] = min(at, acknowledged.get(incident, at))
        elif entry.get("type") == ESCALATE:
            escalations[incident].append(at)
    return {i: Timeline(acknowledged.get(i), tuple(sorted(escalations.get(i, ())))) for i in incident_ids}, len(entries)


def _window(since: datetime, until: datetime) -> dict:
    return {"since": iso(since), "until": iso(until)}


def _entries(client, pool, params: dict, since: datetime, until: datetime) -> list[dict]:
    """Every log entry of [since, until), each once (parts meet at their ends)."""
    pending, entries, rests = [(since, until)], {}, []
    while pending:
        firsts = [(part, pool.submit(client.page, PATH, KEY, {**params, **_window(*part)})) for part in pending]
        pending = []
        for (start, end), future in firsts:
            first, query = future.result(), {**params, **_window(start, end)}
            if not isinstance(first.total, int):  # no total: page after page, as far as `more` goes
                rests.append(pool.submit(client.paginate, PATH, KEY, query, first=first))
            elif first.total > OFFSET_CAP:
                pending += _parts(start, end, first.total)
            else:
                entries.update((e["id"], e) for e in first.items)
                rests += [pool.submit(client.page, PATH, KEY, query, offset)
                          for offset in range(PAGE_LIMIT, first.total, PAGE_LIMIT)]
    for future in rests:
        answer = future.result()
        entries.update((e["id"], e) for e in (answer if isinstance(answer, list) else answer.items))
    return list(entries.values())


def _parts(since: datetime, until: datetime, total: int) -> list[tuple[datetime, datetime]]:
    if until - since < SPLIT_MINIMUM:
        raise OffsetCapExceeded(f"PagerDuty {ENDPOINT} has {total} entries between {iso(since)} and {iso(until)}, "
                                f"past the API's offset cap of {OFFSET_CAP}", endpoint=ENDPOINT)
    count = max(2, math.ceil(total / PART))
    step = (until - since) / count
    cuts = [since] + [(since + step * n).replace(microsecond=0) for n in range(1, count)] + [until]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
