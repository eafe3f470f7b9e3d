"""Facts about who is on call now for an entity's escalation policy."""

from __future__ import annotations

import pandas as pd

from insights.facts.base import Fact, per_key
from insights.pagerduty.state import within

SOURCE = "PagerDuty on-calls"
UNKNOWN_MEANS = "no PagerDuty service resolved"
FACTS = [
    Fact("pagerduty.oncall_level1_count", "integer", "People on call now at escalation level 1.", SOURCE),
    Fact("pagerduty.has_oncall", "boolean", "Someone is on call now at escalation level 1.", SOURCE),
    Fact("pagerduty.oncall_gap_level1", "boolean",
         "Nobody is on call at level 1 now, but a later level is covered: incidents wait for the escalation "
         "delay before anyone is paged.", SOURCE),
    Fact("pagerduty.schedule_coverage_7d", "number",
         "Lowest coverage (%) over the next 7 days among the level-1 schedules (collected when "
         "`pagerduty.schedule_coverage` is on).", SOURCE,
         unknown_means="schedule coverage is not collected, or level 1 has no schedule"),
]


def _describe(policy_id: str, context) -> dict:
    levels, now = context.pagerduty.oncalls.get(policy_id, {}), context.now

    def people(level_filter) -> int:
        return len({o["user"]["id"] for level, records in levels.items() if level_filter(level)
                    for o in records if o.get("user") and within(o.get("start"), o.get("end"), now)})

    level1, later = people(lambda level: level == 1), people(lambda level: level > 1)
    policy = context.pagerduty.policies.get(policy_id) or {}
    rules = policy.get("escalation_rules") or [{}]
    coverage = context.pagerduty.schedule_coverage
    covered = [coverage[t["id"]] for t in rules[0].get("targets", []) if t.get("id") in coverage]
    return {"pagerduty.oncall_level1_count": level1, "pagerduty.has_oncall": level1 > 0,
            "pagerduty.oncall_gap_level1": level1 == 0 and later > 0,
            "pagerduty.schedule_coverage_7d": min(covered) if covered else None}


NEEDS = ("pagerduty.escalation_policy_id",)

def compute(facts: pd.DataFrame, context) -> pd.DataFrame:
    # Once per policy, not once per entity: many services can share a policy.
    return per_key(facts["pagerduty.escalation_policy_id"], lambda p: _describe(p, context),
                   [fact.id for fact in FACTS])
