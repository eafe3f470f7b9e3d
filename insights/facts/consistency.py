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
from insights.facts import causes as why
from insights.facts.base import Fact, each, each_distinct, per_key

SOURCE = "catalog and PagerDuty"
CAUSE = "service"
FACTS = [
    Fact("pagerduty.name_matches", "boolean",
         "The PagerDuty service name equals the entity's name or title after normalisation (case, `-`/`_`/spaces, "
         "environment suffixes such as ` (Production)`).", SOURCE),
    Fact("pagerduty.name_matched_on", "string",
         "What the PagerDuty service name matched: `name` (metadata.name), `title` (metadata.title) or `none`.",
         SOURCE),
    Fact("pagerduty.name_similarity", "number",
         "Similarity of the normalised service name to the entity's name or title, whichever is closer, 0 to 1.",
         SOURCE),
    Fact("pagerduty.team_matches_owner", "boolean",
         "A PagerDuty team of the service is named like the owner group (unknown when the owner is a user).", SOURCE,
         cause="owner_team"),
    Fact("pagerduty.policy_mentions_owner", "boolean",
         "The escalation policy's name mentions the owner group (unknown when the owner is a user).", SOURCE,
         cause="owner_policy"),
    Fact("pagerduty.tags", "list", "Tags on the escalation policy and on the service's teams.", SOURCE, cause="tags"),
    Fact("pagerduty.tags_include_service", "boolean", "The tags include `service:<entity name>`.", SOURCE,
         cause="tags"),
    Fact("pagerduty.tags_include_team", "boolean",
         "The tags include `team:<owner>` (unknown when the owner is a user).", SOURCE, cause="team_tags"),
    Fact("pagerduty.env_tag_matches_lifecycle", "boolean",
         "An `env:` tag is present and agrees with spec.lifecycle (production -> env:production or env:prod).",
         SOURCE, cause="env"),
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

def _owner_team(owner: str) -> str | None:
    """The owner group's normalised name; None when the owner is a user, whose name no team carries."""
    return None if owner.startswith("user:") else normalise(display_name(owner).split("/")[-1])


def _names(names: pd.Series, entities: pd.DataFrame, service_names: pd.Series) -> dict:
    """Name facts: the service name against metadata.name and metadata.title; a match on either counts."""
    titles = each(entities["title"], lambda t: normalise(t) if t else None)
    by_name, by_title = (names == service_names).to_numpy(), (titles == service_names).to_numpy()
    targets = [b or "" for b in service_names]
    similarity = process.cpdist(list(names), targets, scorer=fuzz.ratio)
    if titles.notna().any():
        similarity = np.maximum(similarity, np.where(
            titles.isna(), 0, process.cpdist([t or "" for t in titles], targets, scorer=fuzz.ratio)))
    return {"pagerduty.name_matches": by_name | by_title,
            "pagerduty.name_matched_on": np.where(by_name, "name", np.where(by_title, "title", "none")),
            "pagerduty.name_similarity": np.round(similarity.astype(float) / 100, 2)}


def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    entities, index = context.entities, context.pagerduty
    found = facts["pagerduty.service_found"].eq(True)
    tags_unread = why.unavailable("tags", index.unavailable)
    # Once per service, not once per entity: many entities can share a service.
    service = per_key(facts["pagerduty.service_id"].where(found, None), lambda i: _describe(i, index),
                      ["tags", "lowered", "envs", "name", "policy", "teams"])
    names = each(entities["name"], normalise)
    owners = each_distinct(entities["owner"], _owner_team)
    user_owned = entities["owner"].notna() & owners.isna()
    owner_causes = ((user_owned, why.USER_OWNER), (entities["owner"].isna(), why.NO_OWNER))

    def when_found(values, tagged=False):
        return pd.Series(values, index=facts.index, dtype=object).where(found & (not tagged or not tags_unread), None)

    tags_cause = why.first(facts.index, causes["service"], (True, tags_unread))
    return pd.DataFrame({
        **{fact: when_found(values) for fact, values in _names(names, entities, service["name"]).items()},
        "pagerduty.team_matches_owner": when_found([
            None if owner is None else owner in (teams or ()) for owner, teams in zip(owners, service["teams"])]),
        "pagerduty.policy_mentions_owner": when_found([
            None if owner is None or policy is None else owner in policy
            for owner, policy in zip(owners, service["policy"])]),
        "pagerduty.tags": when_found(service["tags"], tagged=True),
        "pagerduty.tags_include_service": when_found([None if t is None else f"service:{n}" in t
                                                      for n, t in zip(names, service["lowered"])], tagged=True),
        "pagerduty.tags_include_team": when_found([None if t is None or o is None else f"team:{o}" in t
                                                   for o, t in zip(owners, service["lowered"])], tagged=True),
        "pagerduty.env_tag_matches_lifecycle": when_found([_env_agrees(l, t) for l, t in
                                                           zip(entities["lifecycle"], service["envs"])], tagged=True),
    }, index=facts.index), {
        "owner_team": why.first(facts.index, causes["service"], *owner_causes),
        "owner_policy": why.first(facts.index, causes["policy"], *owner_causes),
        "tags": tags_cause,
        "team_tags": why.first(facts.index, tags_cause, *owner_causes),
        "env": why.first(facts.index, tags_cause, (entities["lifecycle"].isna(), why.NO_LIFECYCLE)),
    }
