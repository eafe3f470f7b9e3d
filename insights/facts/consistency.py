"""Facts about whether PagerDuty's names, teams and tags agree with the catalog.

PagerDuty recommends naming a service after the thing it alerts for and tagging policies and teams
with `service:`, `team:` and `env:` tags; these facts measure that practice against the catalog.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from insights.catalog.refs import display_name
from insights.facts.base import Fact, each, each_distinct, per_key

SOURCE = "catalog and PagerDuty"
UNKNOWN_MEANS = "no PagerDuty service resolved"
FACTS = [
    Fact("pagerduty.name_matches", "boolean",
         "The PagerDuty service name equals the entity name after normalisation (case, `-`/`_`/spaces, "
         "environment suffixes such as ` (Production)`).", SOURCE),
    Fact("pagerduty.name_similarity", "number", "Similarity of the two normalised names, 0 to 1.", SOURCE),
    Fact("pagerduty.team_matches_owner", "boolean", "A PagerDuty team of the service is named like the owner group.",
         SOURCE),
    Fact("pagerduty.policy_mentions_owner", "boolean", "The escalation policy's name mentions the owner team.",
         SOURCE),
    Fact("pagerduty.tags", "list", "Tags on the escalation policy and on the service's teams.", SOURCE),
    Fact("pagerduty.tags_include_service", "boolean", "The tags include `service:<entity name>`.", SOURCE),
    Fact("pagerduty.tags_include_team", "boolean", "The tags include `team:<owner>`.", SOURCE),
    Fact("pagerduty.env_tag_matches_lifecycle", "boolean",
         "An `env:` tag is present and agrees with spec.lifecycle (production -> env:production or env:prod).",
         SOURCE),
]

ENV_SUFFIX = re.compile(r"[\s_-]*(\((production|prod|staging|stage|dev|development)\)|[-_ ](production|prod))$")
ENVIRONMENTS = {"production": {"production", "prod"},
                "experimental": {"dev", "development", "staging", "stage", "experimental", "sandbox", "test"}}


SEPARATORS = re.compile(r"[\s_\-.]+")


@functools.lru_cache(maxsize=65536)
def normalise(name: str | None) -> str:
    if not name:
        return ""
    name = ENV_SUFFIX.sub("", name.strip().lower())
    return SEPARATORS.sub("-", name).strip("-")


def _envs(tags: list[str]) -> set[str]:
    return {t.split(":", 1)[1].strip().lower() for t in tags if t.lower().startswith("env:")}


def _env_agrees(lifecycle: str | None, envs: set[str] | None) -> bool | None:
    if envs is None or not lifecycle:
        return None
    if not envs:
        return False
    expected = ENVIRONMENTS.get(lifecycle.lower())
    return bool(envs & expected) if expected else True


def _describe(service_id: str, index) -> dict:
    service = index.services.get(service_id) or {}
    policy = index.policy_of(service_id) or {}
    keys = [f"escalation_policies/{policy.get('id')}"] + [f"teams/{t['id']}" for t in service.get("teams", [])]
    policy_name = policy.get("name") or policy.get("summary")
    tags = sorted({label for key in keys for label in index.tags.get(key, [])})
    return {"tags": tags, "lowered": {t.lower() for t in tags}, "envs": _envs(tags),
            "name": normalise(service.get("name")), "policy": policy_name and normalise(policy_name),
            "teams": {normalise(t.get("summary") or t.get("name")) for t in service.get("teams", [])}}


NEEDS = ("pagerduty.service_id", "pagerduty.service_found")

def compute(facts: pd.DataFrame, context) -> pd.DataFrame:
    entities = context.entities
    found = facts["pagerduty.service_found"].eq(True)
    # Once per service, not once per entity: many entities can share a service.
    service = per_key(facts["pagerduty.service_id"].where(found, None), lambda i: _describe(i, context.pagerduty),
                      ["tags", "lowered", "envs", "name", "policy", "teams"])
    names = each(entities["name"], normalise)
    owners = each_distinct(entities["owner"], lambda o: normalise(display_name(o).split("/")[-1]) if o else None)

    def when_found(values):
        return pd.Series(values, index=facts.index, dtype=object).where(found, None)

    return pd.DataFrame({
        "pagerduty.name_matches": when_found(names == service["name"]),
        "pagerduty.name_similarity": when_found(np.round(process.cpdist(
            list(names), [b or "" for b in service["name"]], scorer=fuzz.ratio) / 100, 2)),
        "pagerduty.team_matches_owner": when_found([
            None if owner is None else owner in (teams or ()) for owner, teams in zip(owners, service["teams"])]),
        "pagerduty.policy_mentions_owner": when_found([
            None if owner is None or policy is None else owner in policy
            for owner, policy in zip(owners, service["policy"])]),
        "pagerduty.tags": service["tags"],
        "pagerduty.tags_include_service": when_found([None if t is None else f"service:{n}" in t
                                                      for n, t in zip(names, service["lowered"])]),
        "pagerduty.tags_include_team": when_found([None if t is None or o is None else f"team:{o}" in t
                                                   for o, t in zip(owners, service["lowered"])]),
        "pagerduty.env_tag_matches_lifecycle": when_found([_env_agrees(l, t) for l, t in
                                                           zip(entities["lifecycle"], service["envs"])]),
    }, index=facts.index)
