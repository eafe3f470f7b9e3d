"""Facts about the escalation policy behind an entity's PagerDuty service."""

from __future__ import annotations

import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key
from insights.pagerduty.index import is_schedule

SOURCE = "PagerDuty escalation policies"
CAUSE = "policy"
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
    """(kind, id) per target; `user` and `user_reference` are one kind, a classic and a v3 schedule are not."""
    return frozenset(((t.get("type") or "").replace("_reference", ""), t.get("id")) for t in rule.get("targets", []))


def _unique_levels(policy: dict) -> int:
    seen: list[frozenset] = []
    for rule in policy.get("escalation_rules", []):
        targets = _targets(rule)
        if targets and targets not in seen:
            seen.append(targets)
    return len(seen)


def _first_level_schedule(policy: dict) -> bool:
    rules = policy.get("escalation_rules", [])
    return bool(rules) and any(map(is_schedule, rules[0].get("targets", [])))


def _describe(policy: dict | None) -> dict | None:
    if not policy:
        return None
    return {
        "pagerduty.escalation_policy_id": policy.get("id"),
        "pagerduty.escalation_policy_name": policy.get("name") or policy.get("summary"),
        "pagerduty.escalation_policy_url": policy.get("html_url"),
        "pagerduty.escalation_levels": len(policy.get("escalation_rules", [])),
        "pagerduty.escalation_unique_levels": _unique_levels(policy),
        "pagerduty.escalation_loops": int(policy.get("num_loops") or 0),
        "pagerduty.first_level_has_schedule": _first_level_schedule(policy),
    }


NEEDS = ("pagerduty.service_id",)

def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    # Once per service, not once per entity: many entities can share a service.
    described = per_key(facts["pagerduty.service_id"], lambda i: _describe(context.pagerduty.policy_of(i)),
                        [fact.id for fact in FACTS])
    no_policy = described["pagerduty.escalation_policy_id"].isna()
    return described, {"policy": why.first(facts.index, causes["service"], (no_policy, why.NO_POLICY))}
