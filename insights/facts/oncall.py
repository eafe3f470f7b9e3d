"""Facts about who is on call now for an entity's escalation policy."""

from __future__ import annotations

import pandas as pd

from insights.facts.base import Fact, each
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


def compute(facts: pd.DataFrame, context) -> pd.DataFrame:
    oncalls, now = context.pagerduty.oncalls, context.now

    def people(policy_id, level_filter):
        levels = oncalls.get(policy_id, {})
        return {o["user"]["id"] for level, records in levels.items() if level_filter(level)
                for o in records if o.get("user") and within(o.get("start"), o.get("end"), now)}

    policy_ids = facts["pagerduty.escalation_policy_id"]
    level1 = each(policy_ids, lambda p: len(people(p, lambda level: level == 1)) if p else None)
    later = each(policy_ids, lambda p: len(people(p, lambda level: level > 1)) if p else None)
    coverage = context.pagerduty.schedule_coverage

    def level1_coverage(policy_id):
        policy = context.pagerduty.policies.get(policy_id) or {}
        rules = policy.get("escalation_rules") or [{}]
        values = [coverage[t["id"]] for t in rules[0].get("targets", []) if t.get("id") in coverage]
        return min(values) if values else None

    return pd.DataFrame({
        "pagerduty.schedule_coverage_7d": each(policy_ids, level1_coverage),
        "pagerduty.oncall_level1_count": level1,
        "pagerduty.has_oncall": each(level1, lambda n: None if n is None else n > 0),
        "pagerduty.oncall_gap_level1": pd.Series([None if a is None else (a == 0 and b > 0)
                                                  for a, b in zip(level1, later)], index=facts.index, dtype=object),
    }, index=facts.index)
