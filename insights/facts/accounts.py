"""Facts over several PagerDuty accounts: each entity judged in the account `pagerduty.com/account` names, or in
the default one. Services, sharing and orphans are per account: an id means nothing outside its account."""

from __future__ import annotations

import pandas as pd

from insights.facts.base import Fact
from insights.pagerduty.accounts import SINGLE, account_of
from insights.pagerduty.state import AccountsState, PagerDutyState

FACTS = [
    Fact("pagerduty.account", "string",
         "The PagerDuty account the entity is judged in: the one its `pagerduty.com/account` annotation names, "
         "else the default account (with one account read and no `pagerduty.accounts`: "
         "`pagerduty.default_account`, else `default`).", "catalog annotations"),
]
NEEDS = ()  # not run as a family: the registry evaluates each account's entities (`by_account`)
ENTITY_SOURCES = ("catalog", "catalog annotations")


def unknown_account(account: str, known: list[str], several: bool = True) -> str:
    if several:
        return (f"pagerduty.com/account names {account!r}, which is not a configured PagerDuty account "
                f"({', '.join(known)})")
    # One account read, with no `pagerduty.accounts`: judging the entity in it would find the wrong services.
    return (f"pagerduty.com/account names {account!r}, but the one PagerDuty account read is {known[0]!r}: list "
            f"the accounts in `pagerduty.accounts`, or set `pagerduty.default_account: {account}` if the key reads "
            "that account")


def by_account(entities, state: AccountsState, now, compute, facts: dict[str, Fact], several: bool = True):
    """(values, causes) for every entity, each group of entities computed against its account's state. The
    facts of an entity naming an account not collected are unknown, with that cause; its descriptor's are
    not. `several` False: one account was read, with no `pagerduty.accounts` configured."""
    unique = list({e.ref: e for e in reversed(list(entities))}.values())[::-1]
    # With no entity at all, the default account still gives the table its columns.
    groups: dict[str, list] = {} if unique else {state.default: []}
    for entity in unique:
        groups.setdefault(account_of(entity.annotations, state.default), []).append(entity)
    values, causes = [], []
    for account, members in groups.items():
        table = compute(members, state.accounts.get(account, PagerDutyState()), now)  # fresh frames
        part, why = table.values, table.causes
        if account not in state.accounts:
            text = unknown_account(account, list(state.accounts), several)
            for fact in facts.values():
                if fact.source not in ENTITY_SOURCES and fact.id in part:
                    part[fact.id] = None
                    why[fact.cause] = text
        part["pagerduty.account"] = pd.Series(account, index=part.index, dtype=object)
        values.append(part)
        causes.append(why)
    if len(values) == 1:  # one account: its table is already in the entities' order
        return values[0], causes[0]
    order = pd.Index([e.ref for e in unique], dtype=object)
    return (pd.concat(values).reindex(order).astype(object), pd.concat(causes).reindex(order).astype(object))
