"""Facts about who is on call now, at every level of an entity's escalation policy."""

from __future__ import annotations

from datetime import time, timedelta

import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key
from insights.pagerduty.index import is_schedule
from insights.pagerduty.state import parse_time, within

SOURCE = "PagerDuty on-calls"
CAUSE = "oncall"
FACTS = [
    Fact("pagerduty.oncall_level1_count", "integer", "People on call now at escalation level 1.", SOURCE),
    Fact("pagerduty.has_oncall", "boolean", "Someone is on call now at escalation level 1.", SOURCE),
    Fact("pagerduty.oncall_gap_level1", "boolean",
         "Nobody is on call at level 1 now, but a later level is covered: incidents wait for the escalation "
         "delay before anyone is paged.", SOURCE),
    Fact("pagerduty.oncall_levels_uncovered", "list",
         "Levels of the escalation policy with nobody on call now (empty when every level is covered).", SOURCE),
    Fact("pagerduty.oncall_every_level", "boolean", "Every level of the escalation policy has someone on call now.",
         SOURCE),
    Fact("pagerduty.schedule_coverage_7d", "number",
         "Lowest coverage (%) over the next 7 days among the level-1 schedules, classic or v3 (collected when "
         "`pagerduty.schedule_coverage` is on).", SOURCE, cause="coverage"),
    Fact("pagerduty.schedule_gaps_7d", "list",
         "When nobody is on call in that lowest-covered level-1 schedule over the next 7 days, as day and hours in "
         "UTC (`Tue 03 Dec 00:00-08:00`); empty when it is fully covered.", SOURCE, cause="coverage_gaps"),
    Fact("pagerduty.level1_schedule_url", "string",
         "Link to a level-1 schedule, classic or v3, in PagerDuty's web app: the lowest-covered one when their "
         "coverage is known, else the first.", SOURCE, cause="level1_schedule"),
]
COVERAGE_CAUSE = "coverage_cause"  # why one policy has no coverage figure
LINK_CAUSE = "link_cause"  # why one policy has no level-1 schedule link


def gap_text(start, end) -> str:
    """`Tue 03 Dec 00:00-08:00`, `Tue 03 Dec 22:00-24:00`, or across days `Tue 03 Dec 22:00-Wed 04 Dec 06:00`."""
    first = start.strftime("%a %d %b %H:%M")
    if end.date() == start.date():
        return f"{first}-{end:%H:%M}"
    if end - start <= timedelta(days=1) and end.time() == time(0) and (end - timedelta(days=1)).date() == start.date():
        return f"{first}-24:00"
    return f"{first}-{end:%a %d %b %H:%M}"


def _gaps(index, schedule_id: str | None) -> list[str] | None:
    """The gaps of a schedule whose coverage is known: none at 100%, else those collected (unknown when a
    snapshot kept only the figure)."""
    if schedule_id is None or (schedule_id not in index.schedule_gaps and index.schedule_coverage[schedule_id] < 100):
        return None
    return [gap_text(parse_time(a), parse_time(b)) for a, b in index.schedule_gaps.get(schedule_id, [])]


def _describe(policy_id: str, levels: int, context) -> dict:
    index, now = context.pagerduty, context.now
    people = {level: len({o["user"]["id"] for o in records if o.get("user") and within(o.get("start"), o.get("end"), now)})
              for level, records in index.oncalls.get(policy_id, {}).items()}
    level1, later = people.get(1, 0), sum(n for level, n in people.items() if level > 1)
    uncovered = [level for level in range(1, int(levels or 0) + 1) if not people.get(level)]
    schedules = index.level_schedules(policy_id, 1)
    # The lowest coverage is known only when every level-1 schedule's coverage is.
    covered = [index.schedule_coverage[s] for s in schedules] if all(s in index.schedule_coverage for s in schedules) \
        else []
    lowest = min(schedules, key=index.schedule_coverage.__getitem__) if covered else None
    link = _schedule_url(index.policies.get(policy_id), lowest or (schedules[0] if schedules else None))
    return {"pagerduty.oncall_level1_count": level1, "pagerduty.has_oncall": level1 > 0,
            "pagerduty.oncall_gap_level1": level1 == 0 and later > 0,
            "pagerduty.oncall_levels_uncovered": uncovered, "pagerduty.oncall_every_level": not uncovered,
            "pagerduty.schedule_coverage_7d": min(covered) if covered else None,
            "pagerduty.schedule_gaps_7d": _gaps(index, lowest),
            "pagerduty.level1_schedule_url": link,
            COVERAGE_CAUSE: None if covered else why.NO_COVERAGE if schedules else why.NO_LEVEL1_SCHEDULE,
            LINK_CAUSE: None if link else why.NO_SCHEDULE_LINK if schedules else why.NO_LEVEL1_SCHEDULE}


def _schedule_url(policy: dict | None, schedule_id: str | None) -> str | None:
    """The web link PagerDuty gives in the policy's reference to that level-1 schedule."""
    rules = (policy or {}).get("escalation_rules") or []
    targets = rules[0].get("targets", []) if rules and schedule_id else []
    return next((t.get("html_url") or None for t in targets if is_schedule(t) and t.get("id") == schedule_id), None)


NEEDS = ("pagerduty.escalation_policy_id", "pagerduty.escalation_levels")

def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    index = context.pagerduty
    policies = facts["pagerduty.escalation_policy_id"]
    levels = dict(zip(policies, facts["pagerduty.escalation_levels"]))
    # Once per policy, not once per entity: many services can share a policy.
    described = per_key(policies, lambda p: _describe(p, levels[p], context),
                        [f.id for f in FACTS] + [COVERAGE_CAUSE, LINK_CAUSE])
    oncalls_unread = why.unavailable("oncalls", index.unavailable)
    if oncalls_unread:  # nobody seen on call is not nobody on call
        described.loc[:, [f.id for f in FACTS if not f.cause]] = None
    coverage = why.first(facts.index, causes["policy"], (True, why.unavailable("schedules", index.unavailable)),
                         (not index.schedule_coverage, why.NOT_COLLECTED["schedules"]), described[COVERAGE_CAUSE])
    gaps_unknown = described["pagerduty.schedule_gaps_7d"].isna()
    return described.drop(columns=[COVERAGE_CAUSE, LINK_CAUSE]), {
        "oncall": why.first(facts.index, causes["policy"], (True, oncalls_unread)), "coverage": coverage,
        "coverage_gaps": why.first(facts.index, coverage, (gaps_unknown, why.NO_GAPS)),
        "level1_schedule": why.first(facts.index, causes["policy"], described[LINK_CAUSE])}
