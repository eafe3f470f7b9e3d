"""Facts about the PagerDuty service an entity resolves to."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key

SOURCE = "PagerDuty services"
CAUSE = "service"
FACTS = [
    Fact("pagerduty.service_found", "boolean", "The annotated service exists in PagerDuty (unknown when no "
         "well-formed annotation, or when the service is not visible to the API key).", SOURCE),
    Fact("pagerduty.service_status", "string", "active, warning, critical, maintenance or disabled.", SOURCE),
    Fact("pagerduty.service_name", "string", "The PagerDuty service's name.", SOURCE),
    Fact("pagerduty.service_url", "string", "Link to the service in PagerDuty's web app.", SOURCE),
    Fact("pagerduty.service_has_description", "boolean", "The PagerDuty service has a description.", SOURCE),
    Fact("pagerduty.service_teams", "list", "Names of the PagerDuty teams the service belongs to.", SOURCE),
    Fact("pagerduty.service_shared", "boolean", "Other entities resolve to the same PagerDuty service.", SOURCE),
    Fact("pagerduty.service_shared_with", "list", "Refs of the other entities on the same service.", SOURCE),
    Fact("pagerduty.standards_score", "number",
         "PagerDuty Service Standards score, % of standards passing (collected when `pagerduty.standards` is on).",
         SOURCE, cause="standards"),
]


def _percent(score: dict | None) -> float | None:
    if not score or not score.get("total"):
        return None
    return round(100 * score.get("passing", 0) / score["total"], 1)


DESCRIBED = ["pagerduty.service_status", "pagerduty.service_name", "pagerduty.service_url",
             "pagerduty.service_has_description", "pagerduty.service_teams", "pagerduty.standards_score"]


def _describe(service: dict | None, standards: dict | None) -> dict:
    described = {"pagerduty.standards_score": _percent(standards)}
    if service:
        described.update({
            "pagerduty.service_status": service.get("status"),
            "pagerduty.service_name": service.get("name"),
            "pagerduty.service_url": service.get("html_url"),
            "pagerduty.service_has_description": bool((service.get("description") or "").strip()),
            "pagerduty.service_teams": [t.get("summary") or t.get("name") for t in service.get("teams", [])],
        })
    return described


NEEDS = ("pagerduty.service_id", "pagerduty.integration_key_present", "pagerduty.annotation_valid")

def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    index = context.pagerduty
    ids = facts["pagerduty.service_id"]
    hidden = ids.isin(index.not_visible).to_numpy()
    exists = ids.isin(index.services.keys()).to_numpy()
    found = pd.Series(np.where(ids.isna() | hidden, None, exists), index=facts.index, dtype=object)
    # An integration key that matches no service is a resolution that found nothing: the card shows none.
    found[causes["resolution"].eq(why.KEY_NOT_FOUND)] = False

    # By entity ref, not row: an entity naming several services has a row per service.
    refs = context.entities["ref"]
    users: dict[str, list[str]] = {}
    for ref, service_id in sorted(set(zip(refs[exists], ids[exists]))):
        users.setdefault(service_id, []).append(ref)
    shared_with = pd.Series([None if not ok else [] if len(users[i]) == 1 else [r for r in users[i] if r != ref]
                             for ref, i, ok in zip(refs, ids, exists)], index=facts.index, dtype=object)
    described = per_key(ids.where(exists, None), lambda i: _describe(index.services.get(i), index.standards.get(i)),
                        DESCRIBED)
    service_cause = why.first(facts.index, causes["resolution"], (hidden, why.NOT_VISIBLE), (~exists, why.ID_NOT_FOUND))
    standards_cause = why.first(
        facts.index, service_cause, (True, why.unavailable("standards", index.unavailable)),
        (not index.standards, why.NOT_COLLECTED["standards"]),
        (described["pagerduty.standards_score"].isna(), why.NO_STANDARDS_SCORE))
    return described.assign(**{
        "pagerduty.service_found": found,
        "pagerduty.service_shared": pd.Series([None if w is None else bool(w) for w in shared_with],
                                              index=facts.index, dtype=object),
        "pagerduty.service_shared_with": shared_with,
    }), {"service": service_cause, "standards": standards_cause}
