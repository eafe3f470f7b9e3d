"""Entities that name several PagerDuty services: the service facts computed once per service, then combined.

An entity's facts hold when they hold for every service it names: the fewest escalation levels, the sum of
open incidents, on call only when every service has someone on call, the slowest p90. Each row of such an
entity is expanded into one row per service (labelled `ref`, `ref\\x1f2`, ...); the service families run over
the expanded table as they do for one service each, and `collapse` folds the rows back with each fact's rule.
Entities naming one service (nearly all) are neither expanded nor folded: their path costs nothing more.
`pagerduty.services` gives each named service's own values, one line each, for `explain` and the reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.facts.base import Fact, per_key
from insights.frames import map_distinct

SEP = "\x1f"
FACTS = [
    Fact("pagerduty.services", "list",
         "One line per PagerDuty service the entity names, with that service's own values (levels, on call, "
         "open incidents), so that an entity naming several shows each.", "PagerDuty services", cause="resolution"),
]

# How the values of several services make the entity's: by type unless named here. Thresholds a check asks to
# stay under take the worst (largest) value, those to reach take the smallest, counts add up.
BY_TYPE = {"boolean": "all", "integer": "min", "number": "min", "list": "union", "string": "join"}
RULES = {
    "pagerduty.open_incidents": "sum", "pagerduty.open_high_urgency_incidents": "sum",
    "pagerduty.response_incidents": "sum", "pagerduty.response_high_urgency_incidents": "sum",
    "pagerduty.response_sleep_interruptions": "sum", "pagerduty.response_escalations": "sum",
    "pagerduty.response_sleep_interruptions_per_week": "max",
    # None here means there is nothing to measure on that service (no open incident, no event): the others
    # decide.
    "pagerduty.oldest_open_incident_age_hours": "max_known", "pagerduty.change_event_age_days": "max_known",
    "pagerduty.response_ack_mean_minutes": "max_known", "pagerduty.response_ack_p90_minutes": "max_known",
    "pagerduty.response_high_urgency_ack_p90_minutes": "max_known",
    "pagerduty.response_resolve_mean_hours": "max_known", "pagerduty.response_resolve_p90_hours": "max_known",
    "pagerduty.oncall_gap_level1": "any", "pagerduty.service_shared": "any",
    "pagerduty.service_status": "worst_status",
}
STATUS_ORDER = ("disabled", "maintenance", "critical", "warning", "active")


def _combine(rule: str, values: list):
    known = [v for v in values if v is not None]
    if rule == "max_known":
        return max(known) if known else None
    if rule in ("union", "join"):
        if not known:
            return None
        merged = list(dict.fromkeys(x for v in known for x in (v if rule == "union" else [v])))
        return merged if rule == "union" else (", ".join(map(str, merged)) or None)
    if rule == "any":
        return True if any(v is True for v in values) else None if len(known) < len(values) else False
    if rule == "all":
        return False if any(v is False for v in values) else None if len(known) < len(values) else True
    if len(known) < len(values):
        return None
    if rule == "worst_status":
        return min(known, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER))
    return {"sum": sum, "min": min, "max": max}[rule](known)


def rule_of(fact: Fact) -> str:
    return RULES.get(fact.id, BY_TYPE.get(fact.type, "join"))


def expand(frame: pd.DataFrame, facts: pd.DataFrame, causes: dict, targets: pd.Series):
    """(frame, facts, causes, owner position per row) with one row per service of each entity naming
    several; None when no entity does."""
    several = [(position, t) for position, t in enumerate(targets) if t is not None and len(t) > 1]
    if not several:
        return None
    owners = np.concatenate([np.arange(len(frame)), np.array([p for p, t in several for _ in t[1:]], dtype=int)])
    labels = list(frame.index) + [f"{frame.index[p]}{SEP}{n}" for p, t in several for n in range(2, len(t) + 1)]
    rows = pd.Index(labels, dtype=object)
    service_ids = facts["pagerduty.service_id"].to_numpy(dtype=object)[owners]
    resolution = causes["resolution"].to_numpy(dtype=object)[owners]
    extra = len(frame)
    for position, named in several:
        for n, (service_id, cause) in enumerate(named):
            row = position if n == 0 else extra
            extra += n > 0
            service_ids[row], resolution[row] = service_id, cause
    expanded_facts = facts.iloc[owners].set_axis(rows)
    expanded_facts["pagerduty.service_id"] = pd.Series(service_ids, index=rows, dtype=object)
    expanded_causes = {group: pd.Series(texts.to_numpy(dtype=object)[owners], index=rows, dtype=object)
                       for group, texts in causes.items()}
    expanded_causes["resolution"] = pd.Series(resolution, index=rows, dtype=object)
    return frame.iloc[owners].set_axis(rows), expanded_facts, expanded_causes, owners


def collapse(facts: pd.DataFrame, causes: dict, owners: np.ndarray, size: int, combined: list[Fact],
             entity_level: pd.DataFrame, entity_causes: dict) -> tuple[pd.DataFrame, dict]:
    """The expanded rows folded back to one per entity: the entity-level facts and causes as they were, the
    service facts by their rules; a group's cause is the first one any of the entity's services gives."""
    groups: dict[int, list[int]] = {}
    for row, owner in enumerate(owners):
        groups.setdefault(int(owner), []).append(row)
    several = {owner: rows for owner, rows in groups.items() if len(rows) > 1}
    index = entity_level.index
    values = {column: facts[column].to_numpy(dtype=object)[:size].copy() for column in facts}
    for fact in combined:
        column, rule = facts[fact.id].to_numpy(dtype=object), rule_of(fact)
        for owner, rows in several.items():
            values[fact.id][owner] = _combine(rule, [column[r] for r in rows])
    out_causes = {}
    for group, texts in causes.items():
        array = texts.to_numpy(dtype=object)
        folded = array[:size].copy()
        for owner, rows in several.items():
            folded[owner] = next((array[r] for r in rows if array[r] is not None), None)
        out_causes[group] = pd.Series(folded, index=index, dtype=object)
    out_causes.update(entity_causes)
    for column in entity_level:
        values[column] = entity_level[column].to_numpy(dtype=object)
    return pd.DataFrame({c: pd.Series(v, index=index, dtype=object) for c, v in values.items()}), out_causes


def _summary(facts: dict) -> str:
    service_id = facts["pagerduty.service_id"]
    name = facts.get("pagerduty.service_name")
    head = f"{service_id} ({name})" if name else service_id
    if facts.get("pagerduty.service_found") is not True:
        return f"{head}: not found in PagerDuty" if facts.get("pagerduty.service_found") is False else \
            f"{head}: not known"
    parts = [f"{facts.get('pagerduty.service_status') or 'status unknown'}",
             f"{_count(facts.get('pagerduty.escalation_levels'))} escalation level(s)",
             f"{_count(facts.get('pagerduty.oncall_level1_count'))} on call at level 1",
             f"{_count(facts.get('pagerduty.open_incidents'))} open incident(s)"]
    return f"{head}: " + ", ".join(parts)


def _count(value) -> str:
    return "unknown" if value is None else str(value)


SUMMARY_FACTS = ["pagerduty.service_id", "pagerduty.service_name", "pagerduty.service_found",
                 "pagerduty.service_status", "pagerduty.escalation_levels", "pagerduty.oncall_level1_count",
                 "pagerduty.open_incidents"]
# Not run as a family (the registry calls `expand`, `services` and `collapse`), but it reads what these provide.
NEEDS = tuple(SUMMARY_FACTS)


def services(facts: pd.DataFrame, owners: np.ndarray | None, size: int, index: pd.Index) -> pd.Series:
    """`pagerduty.services`: each entity's list of one-line service summaries (None where it names none).
    A summary depends on the service alone: it is written once per service."""
    present = [f for f in SUMMARY_FACTS if f in facts]
    ids = facts["pagerduty.service_id"]
    first = (ids.notna() & ~ids.duplicated()).to_numpy()
    lookup = {row[0]: dict(zip(present, row)) for row in facts.loc[first, present].itertuples(index=False, name=None)}
    lines = per_key(ids, lambda i: {"line": _summary(lookup[i])}, ["line"])["line"].to_numpy(dtype=object)
    if owners is None:  # one list per service, shared by the entities naming it
        return pd.Series(map_distinct(lines, lambda line: [line]), index=index, dtype=object)
    listed: list = [None] * size
    for row, owner in enumerate(owners):
        if lines[row] is not None:
            listed[owner] = (listed[owner] or []) + [lines[row]]
    return pd.Series(listed, index=index, dtype=object)
