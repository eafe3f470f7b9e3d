"""The level-1 schedules' coverage of the next 7 days, and its gaps: one request per schedule, as the API has no
bulk form.

The same answer that gives the coverage lists who is on call when: a layer-based schedule's final layer as
`rendered_schedule_entries` (`end` null: it does not end), a shift-based one's as
`computed_shift_assignments` (an `empty_member` slot is on purpose unassigned: a gap too). What no entry
covers in the window is a gap, kept as [start, end] in UTC, at most MAX_GAPS per schedule.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from insights.errors import PagerDutyError
from insights.pagerduty.client import segment
from insights.pagerduty.state import iso
from insights.pagerduty.state import parse_time

MAX_GAPS = 50


def collect_coverage(client, pool, policies: list[dict], wanted: set[str]) -> tuple[dict[str, float], dict]:
    """Coverage of each level-1 schedule over the next 7 days: one request per schedule (no bulk form).
    Shift-based (v3) schedules live under /v3/schedules and render their coverage only when asked to."""
    schedules = sorted({(t["id"], t.get("type") == "schedule_v3_reference") for p in policies if p["id"] in wanted
                        for rule in p.get("escalation_rules", [])[:1] for t in rule.get("targets", [])
                        if (t.get("type") or "").startswith("schedule")})
    now = datetime.now(timezone.utc).replace(microsecond=0)
    since, until = now, now + timedelta(days=7)
    window = {"since": iso(since), "until": iso(until)}
    futures = {s: pool.submit(_schedule, client, s, v3, window) for s, v3 in schedules}
    coverage, gaps = {}, {}
    try:
        for schedule_id, future in futures.items():
            final = ((future.result() or {}).get("schedule") or {}).get("final_schedule") or {}
            if final.get("rendered_coverage_percentage") is not None:
                coverage[schedule_id] = float(final["rendered_coverage_percentage"])
                found = uncovered(covered_spans(final, until), since, until)
                if found:
                    gaps[schedule_id] = [[iso(start), iso(end)] for start, end in found[:MAX_GAPS]]
    finally:
        for future in futures.values():
            future.cancel()  # after a 403, the rest would be refused too
    return coverage, gaps


def covered_spans(final: dict, until: datetime) -> list[tuple[datetime, datetime]]:
    """Who-is-on-call spans of a final schedule, layer-based or shift-based."""
    spans = [(e["start"], e.get("end")) for e in final.get("rendered_schedule_entries") or []]
    spans += [(a["start_time"], a["end_time"]) for a in final.get("computed_shift_assignments") or []
              if (a.get("member") or {}).get("type", "user_member") != "empty_member"]
    return [(parse_time(start), parse_time(end) or until) for start, end in spans if start]


def uncovered(spans: list[tuple[datetime, datetime]], since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [since, until) no span covers, in order."""
    gaps, reached = [], since
    for start, end in sorted(spans):
        if start > reached:
            gaps.append((reached, min(start, until)))
        reached = max(reached, end)
        if reached >= until:
            break
    if reached < until:
        gaps.append((reached, until))
    return [(start, end) for start, end in gaps if end > start]


def _schedule(client, schedule_id: str, v3: bool, window: dict) -> dict | None:
    if not v3:
        return client.get(f"/schedules/{segment(schedule_id)}", window, endpoint="GET /schedules/{id}",
                          missing_ok=True)
    try:
        return client.get(f"/v3/schedules/{segment(schedule_id)}", {**window, "include[]": ["final_schedule"]},
                          endpoint="GET /v3/schedules/{id}", missing_ok=True)
    except PagerDutyError as error:
        if error.status == 403:  # the v3 API refuses scoped OAuth tokens: this schedule's coverage stays unknown
            return None
        raise

