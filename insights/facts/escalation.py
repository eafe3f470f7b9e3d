"""Facts about the escalation policy behind an entity's PagerDuty service."""

from __future__ import annotations

import pandas as pd

from insights.facts.base import Fact, each

SOURCE = "PagerDuty escalation policies"
UNKNOWN_MEANS = "no PagerDuty service resolved"
FACTS = [
    Fact("pagerduty.escalation_policy_id", "string", "Id of the service's escalation policy.", SOURCE),
    Fact("pagerduty.escalation_policy_name", "string", "Name of the service's escalation policy.", SOURCE),
    Fact("pagerduty.escalation_policy_url", "string", "Link to the policy in PagerDuty's web app.", SOURCE),
    Fact("pagerduty.escalation_levels", "integer", "Number of escalation rules (levels) in the policy.", SOURCE),
    Fact("pagerduty.escalation_unique_levels", "integer",
         "Levels whose set of targets differs from every earlier level (PagerDuty's "
         "\"2 or more unique levels\" standard).", SOURCE),
    Fact("pagerduty.escalation_loops", "integer", "How many times the policy repeats (num_loops).", SOURCE),
    Fact("pagerduty.first_level_has_schedule", "boolean",
         "The first level targets at least one schedule, not only single users.", SOURCE),
]


def _targets(rule: dict) -> frozenset:
    return frozenset((t.get("type", "").replace("_reference", ""), t.get("id")) for t in rule.get("targets", []))


def _unique_levels(policy: dict) -> int:
    seen: list[frozenset] = []
    for rule in policy.get("escalation_rules", []):
        targets = _targets(rule)
        if targets and targets not in seen:
            seen.append(targets)
    return len(seen)


def _first_level_schedule(policy: dict) -> bool:
    rules = policy.get("escalation_rules", [])
    return bool(rules) and any(kind == "schedule" for kind, _ in _targets(rules[0]))


def compute(facts: pd.DataFrame, context) -> pd.DataFrame:
    index = context.pagerduty
    policy = each(facts["pagerduty.service_id"], index.policy_of)

    def of(function):
        return each(policy, lambda p: function(p) if p else None)

    return pd.DataFrame({
        "pagerduty.escalation_policy_id": of(lambda p: p.get("id")),
        "pagerduty.escalation_policy_name": of(lambda p: p.get("name") or p.get("summary")),
        "pagerduty.escalation_policy_url": of(lambda p: p.get("html_url")),
        "pagerduty.escalation_levels": of(lambda p: len(p.get("escalation_rules", []))),
        "pagerduty.escalation_unique_levels": of(_unique_levels),
        "pagerduty.escalation_loops": of(lambda p: int(p.get("num_loops") or 0)),
        "pagerduty.first_level_has_schedule": of(_first_level_schedule),
    }, index=facts.index)
