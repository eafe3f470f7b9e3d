"""Across the catalog and PagerDuty: services no entity points at (orphans) and services several entities
share, per account. Entities naming several services count for each; an id means nothing outside its
account, so each account's services are matched with the entities judged in it."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from insights.pagerduty.state import AccountsState, PagerDutyState


def organisation_results(facts: pd.DataFrame, state: PagerDutyState | AccountsState,
                         account: str | None = None) -> list[dict]:
    """`account`: the name of the one account `state` is (a PagerDutyState); entities naming another are not
    matched with its services."""
    if not isinstance(state, AccountsState):
        mine = facts[facts["pagerduty.account"] == account] if account and "pagerduty.account" in facts else facts
        return _one(mine, state, {})
    results = []
    for account, one in state.accounts.items():
        mine = facts[facts["pagerduty.account"] == account] if "pagerduty.account" in facts else facts
        results += _one(mine, one, {"account": account})
    return results


def _one(facts: pd.DataFrame, state: PagerDutyState, extra: dict) -> list[dict]:
    users: dict[str, list[str]] = defaultdict(list)
    if "pagerduty.service_ids" in facts:
        for ref, service_ids in facts["pagerduty.service_ids"].items():
            for service_id in service_ids or ():
                users[service_id].append(ref)
    results = []
    for service in state.services:
        refs = sorted(users.get(service["id"], []))
        common = {"service_id": service["id"], "service_name": service.get("name")}
        if not refs:
            results.append({"kind": "orphan-service", **common,
                            "detail": {"status": service.get("status"), "html_url": service.get("html_url"),
                                       "teams": [t.get("summary") for t in service.get("teams", [])], **extra}})
        elif len(refs) > 1:
            results.append({"kind": "shared-service", **common, "detail": {"entities": refs,
                                                                          "html_url": service.get("html_url"), **extra}})
    return results
