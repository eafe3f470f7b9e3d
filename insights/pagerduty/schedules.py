"""The level-1 schedules' coverage of the next 7 days: one request per schedule, as the API has no bulk form."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from insights.errors import PagerDutyError
from insights.pagerduty.client import segment


def collect_coverage(client, pool, policies: list[dict], wanted: set[str]) -> dict[str, float]:
    """Coverage of each level-1 schedule over the next 7 days: one request per schedule (no bulk form).
    Shift-based (v3) schedules live under /v3/schedules and render their coverage only when asked to."""
    schedules = sorted({(t["id"], t.get("type") == "schedule_v3_reference") for p in policies if p["id"] in wanted
                        for rule in p.get("escalation_rules", [])[:1] for t in rule.get("targets", [])
                        if (t.get("type") or "").startswith("schedule")})
    now = datetime.now(timezone.utc).replace(microsecond=0)
    window = {"since": now.isoformat(), "until": (now + timedelta(days=7)).isoformat()}
    futures = {s: pool.submit(_schedule, client, s, v3, window) for s, v3 in schedules}
    result = {}
    try:
        for schedule_id, future in futures.items():
            final = ((future.result() or {}).get("schedule") or {}).get("final_schedule") or {}
            if final.get("rendered_coverage_percentage") is not None:
                result[schedule_id] = float(final["rendered_coverage_percentage"])
    finally:
        for future in futures.values():
            future.cancel()  # after a 403, the rest would be refused too
    return result


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

