"""Who is on call when, in the simulator's schedules: the entries of a final schedule over an asked range.

A schedule's gaps come from the state (`schedule_gaps`, absolute times); a schedule with only a coverage
figure below 100% is uncovered for that share of every day from midnight UTC, as a rota that leaves nights
open is. The coverage served is the state's figure where it has one, else what the entries cover.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from insights.pagerduty.state import PagerDutyState, parse_time

DAY = timedelta(days=1)


def _daily_gaps(coverage: float, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    share = max(0.0, min(1.0, 1 - coverage / 100))
    if share <= 0:
        return []
    day = since.replace(hour=0, minute=0, second=0, microsecond=0)
    gaps = []
    while day < until:
        gaps.append((max(day, since), min(day + share * DAY, until)))
        day += DAY
    return [(start, end) for start, end in gaps if end > start]


def on_call(state: PagerDutyState, schedule_id: str, since: datetime, until: datetime) -> tuple[float, list]:
    """(coverage %, [(start, end)] spans someone is on call) over [since, until)."""
    if schedule_id in state.schedule_gaps:
        gaps = [(max(parse_time(a), since), min(parse_time(b), until)) for a, b in state.schedule_gaps[schedule_id]]
        gaps = sorted((a, b) for a, b in gaps if b > a)
    else:
        gaps = _daily_gaps(state.schedule_coverage.get(schedule_id, 100.0), since, until)
    spans, reached = [], since
    for start, end in gaps:
        if start > reached:
            spans.append((reached, start))
        reached = max(reached, end)
    if reached < until:
        spans.append((reached, until))
    total = (until - since).total_seconds()
    covered = sum((end - start).total_seconds() for start, end in spans)
    computed = round(100 * covered / total, 1) if total > 0 else 100.0
    return state.schedule_coverage.get(schedule_id, computed), spans
