"""The fact catalogue and the pass that computes every family over the whole entity table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter

import pandas as pd

from insights.allocation import inputs_frozen
from insights.catalog.model import Entity
from insights.facts import accounts, annotations, catalog, changes, consistency, escalation, incidents, multi, \
    oncall, response, service, standards
from insights.facts.base import Fact, FactContext
from insights.pagerduty.index import PagerDutyIndex
from insights.pagerduty.state import AccountsState, PagerDutyState

def ordered(families, provided=()) -> tuple:
    """The families in an order where each comes after those providing the facts it NEEDS (the listed order
    where that allows), given the facts already `provided`. A need nobody provides, or a cycle, is a bug
    caught at import."""
    done, provided, pending = [], set(provided), list(families)
    while pending:
        ready = next((f for f in pending if set(f.NEEDS) <= provided), None)
        if ready is None:
            raise ImportError("fact families need facts nobody provides first: " + ", ".join(
                f"{f.__name__} needs {sorted(set(f.NEEDS) - provided)}" for f in pending))
        pending.remove(ready)
        done.append(ready)
        provided |= {fact.id for fact in ready.FACTS}
    return tuple(done)


# Listed in catalogue order (the order of fact columns); `ordered` puts each after the families providing what it
# NEEDS, which also provide the cause groups it reads (the resolved service first). A family's CAUSE is the cause
# group of its facts that name none. The entity families judge the descriptor; the service families judge one
# PagerDuty service, once per service an entity names (`multi`).
ENTITY_FAMILIES = ordered((catalog, annotations))
SERVICE_FAMILIES = ordered((service, standards, escalation, oncall, incidents, response, changes, consistency),
                           provided={fact.id for family in ENTITY_FAMILIES for fact in family.FACTS})
FAMILIES = ENTITY_FAMILIES + SERVICE_FAMILIES + (multi, accounts)
FACTS: dict[str, Fact] = {fact.id: fact if fact.cause else replace(fact, cause=getattr(family, "CAUSE", ""))
                          for family in FAMILIES for fact in family.FACTS}
SERVICE_FACTS = [FACTS[fact.id] for family in SERVICE_FAMILIES for fact in family.FACTS]
ENTITY_COLUMNS = ["ref", "kind", "namespace", "name", "title", "description", "owner", "system", "lifecycle", "type",
                  "tags", "annotations", "links", "path", "line", "origin_url", "revision", "origin_dir",
                  "web_url_template", "backstage_url"]


@dataclass(frozen=True)
class FactTable:
    """Every fact for every entity, and why the unknown ones are unknown.

    `values`: indexed by entity ref, one column per fact id (object dtype, None = unknown). `causes`: same
    index, one column per cause group (`Fact.cause`), holding the text that explains the group's unknown
    facts for that entity (None where nothing blocks them)."""

    values: pd.DataFrame
    causes: pd.DataFrame


def entity_frame(entities: list[Entity] | tuple[Entity, ...]) -> pd.DataFrame:
    unique = list({e.ref: e for e in reversed(list(entities))}.values())[::-1]  # the first definition wins
    rows = zip(*map(attrgetter(*ENTITY_COLUMNS), unique)) if unique else [[]] * len(ENTITY_COLUMNS)
    columns = dict(zip(ENTITY_COLUMNS, map(list, rows)))
    columns["tags"] = list(map(list, columns["tags"]))
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in columns.items()}, columns=ENTITY_COLUMNS)
    return frame.set_index(pd.Index(columns["ref"], dtype=object), drop=False)


@inputs_frozen
def compute_fact_table(entities, state: PagerDutyState | AccountsState, now: datetime,
                       account: str = accounts.SINGLE) -> FactTable:
    """Every fact of every entity, each in the account it names. One account (`state` a PagerDutyState) is
    called `account`: an entity naming another is not judged in it (its PagerDuty facts are unknown)."""
    several = isinstance(state, AccountsState)
    if not several:
        state = AccountsState({account: state}, account)
    return FactTable(*accounts.by_account(entities, state, now, _one_account, FACTS, several))


def _one_account(entities, state: PagerDutyState, now: datetime) -> FactTable:
    frame = entity_frame(entities)
    index = PagerDutyIndex.build(state)
    facts, causes = _run(ENTITY_FAMILIES, pd.DataFrame(index=frame.index), {}, FactContext(frame, index, now))
    targets = facts.pop(annotations.TARGETS)
    expanded = multi.expand(frame, facts, causes, targets)
    if expanded is None:
        facts, causes = _run(SERVICE_FAMILIES, facts, causes, FactContext(frame, index, now))
        summaries = multi.services(facts, None, len(frame), frame.index)
    else:
        rows, wide, wide_causes, owners = expanded
        entity_level, entity_causes = facts, dict(causes)
        wide, wide_causes = _run(SERVICE_FAMILIES, wide, wide_causes, FactContext(rows, index, now))
        summaries = multi.services(wide, owners, len(frame), frame.index)
        facts, causes = multi.collapse(wide, wide_causes, owners, len(frame), SERVICE_FACTS, entity_level,
                                       entity_causes)
    facts["pagerduty.services"] = summaries
    facts["pagerduty.account"] = accounts.SINGLE
    # Catalogue order; NaN (from numeric work, or pandas filling a masked assignment) is unknown: None.
    values = pd.DataFrame({fact: facts[fact].where(facts[fact].notna(), None) for fact in FACTS if fact in facts},
                          index=frame.index, dtype=object)
    return FactTable(values, pd.DataFrame(causes, index=frame.index, dtype=object))


def _run(families, facts: pd.DataFrame, causes: dict, context: FactContext) -> tuple[pd.DataFrame, dict]:
    for family in families:
        computed, family_causes = family.compute(facts[list(family.NEEDS)], causes, context)  # only what it declares
        for column in computed:
            facts[column] = computed[column].astype(object)
        causes.update(family_causes)
    return facts, causes


def compute_facts(entities, state: PagerDutyState | AccountsState, now: datetime) -> pd.DataFrame:
    """Every fact for every entity: DataFrame indexed by ref, one column per fact id (object dtype)."""
    return compute_fact_table(entities, state, now).values
