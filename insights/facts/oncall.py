"""Facts about who is on call now, at every level of an entity's escalation policy."""

from __future__ import annotations

import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key
from insights.pagerduty.state import within

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
]
COVERAGE_CAUSE = "coverage_cause"  # why one policy has no coverage figure


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
    return {"pagerduty.oncall_level1_count": level1, "pagerduty.has_oncall": level1 > 0,
            "pagerduty.oncall_gap_level1": level1 == 0 and later > 0,
            "pagerduty.oncall_levels_uncovered": uncovered, "pagerduty.oncall_every_level": not uncovered,
            "pagerduty.schedule_coverage_7d": min(covered) if covered else None,
            COVERAGE_CAUSE: None if covered else why.NO_COVERAGE if schedules else why.NO_LEVEL1_SCHEDULE}


def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    index = context.pagerduty
    policies = facts["pagerduty.escalation_policy_id"]
    levels = dict(zip(policies, facts["pagerduty.escalation_levels"]))
    # Once per policy, not once per entity: many services can share a policy.
    described = per_key(policies, lambda p: _describe(p, levels[p], context), [f.id for f in FACTS] + [COVERAGE_CAUSE])
    oncalls_unread = why.unavailable("oncalls", index.unavailable)
    if oncalls_unread:  # nobody seen on call is not nobody on call
        described.loc[:, [f.id for f in FACTS if f.cause != "coverage"]] = None
    coverage = why.first(facts.index, causes["policy"], (True, why.unavailable("schedules", index.unavailable)),
                         (not index.schedule_coverage, why.NOT_COLLECTED["schedules"]), described[COVERAGE_CAUSE])
    return described.drop(columns=COVERAGE_CAUSE), {
        "oncall": why.first(facts.index, causes["policy"], (True, oncalls_unread)), "coverage": coverage}
