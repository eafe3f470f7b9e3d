"""Checks x fact table -> one outcome per entity and check. Pure, and over whole columns at once.

Conditions evaluate to pandas' nullable booleans, whose `&`, `|` and `~` follow three-valued (Kleene)
logic: a condition over an unknown fact is NA, `all` with a false member is false whatever the unknowns,
and what stays NA at the top is the outcome `unknown`, never a silent pass or fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.facts.registry import FACTS
from insights.rules.model import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, WAIVED, Check, Condition, Rule

APPLIES_TO_FACTS = {"kind": "catalog.kind", "type": "catalog.type", "lifecycle": "catalog.lifecycle",
                    "owner": "catalog.owner", "system": "catalog.system", "tags": "catalog.tags"}
RESULT_COLUMNS = ["entity_ref", "check_id", "outcome", "reason", "fix"]
OPERATOR_WORDS = {"equal": "=", "notEqual": "!=", "lessThan": "<", "lessThanInclusive": "<=", "greaterThan": ">",
                  "greaterThanInclusive": ">=", "in": "one of", "notIn": "not one of", "contains": "to contain",
                  "doesNotContain": "not to contain", "matches": "to match"}
PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z0-9_]+)+)\}")


@dataclass(frozen=True)
class Leaf:
    condition: Condition
    values: pd.arrays.BooleanArray
    wanted: bool  # False under an odd number of `not`s


def _numeric(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce")


def _elementwise(column: pd.Series, other, function) -> np.ndarray:
    others = other if isinstance(other, pd.Series) else [other] * len(column)
    return np.array([bool(function(a, b)) if a is not None and b is not None else False
                     for a, b in zip(column, others)], dtype=bool)


def _contains(a, b) -> bool:
    return b in a if isinstance(a, (list, tuple, str)) else False


COMPARE = {"lessThan": np.less, "lessThanInclusive": np.less_equal,
           "greaterThan": np.greater, "greaterThanInclusive": np.greater_equal}


def condition_values(condition: Condition, facts: pd.DataFrame) -> pd.arrays.BooleanArray:
    column = facts[condition.fact] if condition.fact in facts else pd.Series(None, index=facts.index, dtype=object)
    known = column.notna().to_numpy()
    if condition.operator == "exists":
        return pd.array(known == bool(condition.value), dtype="boolean")
    other = condition.value
    if condition.value_fact:
        other = facts[condition.value_fact] if condition.value_fact in facts else pd.Series(None, index=facts.index)
        known = known & other.notna().to_numpy()
    op, fact_type = condition.operator, FACTS[condition.fact].type if condition.fact in FACTS else "string"
    if op in COMPARE:
        right = _numeric(other).to_numpy(dtype=float) if isinstance(other, pd.Series) else float(other)
        with np.errstate(invalid="ignore"):
            result = COMPARE[op](_numeric(column).to_numpy(dtype=float), right)
    elif op in ("equal", "notEqual"):
        if fact_type in ("integer", "number") and not isinstance(other, pd.Series):
            result = _numeric(column).to_numpy(dtype=float) == float(other)
        elif isinstance(other, pd.Series):
            result = _elementwise(column, other, lambda a, b: a == b)
        else:
            result = np.array(column.to_numpy(dtype=object) == other, dtype=bool)  # numpy's loop, not Python's
        result = result if op == "equal" else ~result
    elif op in ("in", "notIn"):
        result = _elementwise(column, other, lambda a, b: a in b)
        result = result if op == "in" else ~result
    elif op in ("contains", "doesNotContain"):
        result = _elementwise(column, other, _contains)
        result = result if op == "contains" else ~result
    elif op == "matches":
        pattern = re.compile(str(other))
        result = np.array([bool(pattern.search(str(v))) if v is not None else False for v in column], dtype=bool)
    else:
        raise ValueError(f"unknown operator {op}")
    return pd.arrays.BooleanArray(np.asarray(result, dtype=bool), ~known)


def rule_values(rule: Rule, facts: pd.DataFrame, leaves: list[Leaf], wanted: bool = True) -> pd.arrays.BooleanArray:
    if rule.op == "condition":
        values = condition_values(rule.condition, facts)
        leaves.append(Leaf(rule.condition, values, wanted))
        return values
    if rule.op == "not":
        return ~rule_values(rule.children[0], facts, leaves, not wanted)
    parts = [rule_values(child, facts, leaves, wanted) for child in rule.children]
    result = parts[0]
    for part in parts[1:]:
        result = (result & part) if rule.op == "all" else (result | part)
    return result


def applies_mask(applies_to: dict, facts: pd.DataFrame, columns: Columns | None = None) -> np.ndarray:
    columns = columns or Columns(facts)
    mask = np.ones(len(facts), dtype=bool)
    for key, wanted in applies_to.items():
        wanted = {str(w).lower() for w in (wanted if isinstance(wanted, list) else [wanted])}
        fact = APPLIES_TO_FACTS[key]
        if key == "tags":
            mask &= np.array([bool(wanted & {t.lower() for t in (v or [])}) for v in facts[fact]], dtype=bool)
        else:
            mask &= columns.lowered(fact).isin(wanted).to_numpy(dtype=bool)
    return mask


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "none"
    return "unknown" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


class Columns:
    """Derived forms of fact columns, computed once and shared by every check of an evaluation:
    the text shown in reasons and fixes, and the lower-cased values `applies_to` matches against."""

    def __init__(self, facts: pd.DataFrame):
        self.facts, self.shown_cache, self.lowered_cache = facts, {}, {}

    def __call__(self, fact_id: str) -> pd.Series:
        if fact_id not in self.shown_cache:
            column = self.facts[fact_id] if fact_id in self.facts else [None] * len(self.facts)
            self.shown_cache[fact_id] = pd.Series([_show(v) for v in column], index=self.facts.index, dtype=object)
        return self.shown_cache[fact_id]

    def lowered(self, fact_id: str) -> pd.Series:
        if fact_id not in self.lowered_cache:
            self.lowered_cache[fact_id] = pd.Series(
                [str(v).lower() if v is not None else None for v in self.facts[fact_id]], index=self.facts.index,
                dtype=object)
        return self.lowered_cache[fact_id]


def fill(template: str, shown: Columns, rows: np.ndarray) -> pd.Series:
    """The template with `{fact.id}` placeholders replaced by each selected row's values."""
    parts = PLACEHOLDER.split(template.strip())
    text = pd.Series(parts[0], index=range(len(rows)), dtype=object)
    for index, part in enumerate(parts[1:]):
        if index % 2 == 0:  # a placeholder's fact id
            if part in FACTS or part in shown.facts:
                text = text + shown(part).to_numpy()[rows]
            else:
                text = text + "{" + part + "}"
        else:
            text = text + part
    return text


def _join(current: np.ndarray, mask: np.ndarray, part) -> np.ndarray:
    """Append `part` ("; "-separated) where `mask` holds."""
    joined = np.where(current == "", part, current + "; " + part) if isinstance(part, str) else \
        np.where(current == "", part, current.astype(object) + "; " + part)
    return np.where(mask, joined, current)


def _reasons(outcome: np.ndarray, leaves: list[Leaf], shown: Columns) -> np.ndarray:
    reasons = np.full(len(outcome), "", dtype=object)
    failing, unknown = outcome == FAIL, outcome == UNKNOWN
    blamed_count = np.zeros(len(outcome), dtype=int)
    for leaf in leaves:
        c = leaf.condition
        values = leaf.values
        known = ~values.isna()
        result = values.fillna(False).to_numpy(dtype=bool)
        blamed = failing & known & (result != leaf.wanted) & (blamed_count < 3)
        if blamed.any():
            expected = f"{OPERATOR_WORDS.get(c.operator, c.operator)} {c.value_fact or _show(c.value)}"
            suffix = f", expected {expected}" if leaf.wanted else f", must not be {expected}"
            text = (f"{c.fact} is " + shown(c.fact).to_numpy().astype(object) + suffix)
            reasons = _join(reasons, blamed, text)
            blamed_count += blamed
        first_unknown = unknown & ~known & (reasons == "")
        for fact in (f for f in (c.fact, c.value_fact) if f and first_unknown.any()):
            column = shown.facts[fact] if fact in shown.facts else pd.Series(None, index=shown.facts.index)
            missing = first_unknown & column.isna().to_numpy()
            why = FACTS[fact].unknown_means if fact in FACTS else ""
            reasons = np.where(missing, f"{fact} is unknown" + (f": {why}" if why else ""), reasons)
            first_unknown &= ~missing
    return reasons


def evaluate_check(check: Check, facts: pd.DataFrame, waivers: dict | None = None,
                   shown: Columns | None = None) -> pd.DataFrame:
    shown = shown or Columns(facts)
    leaves: list[Leaf] = []
    values = rule_values(check.rule, facts, leaves)
    outcome = np.where(values.isna(), UNKNOWN, np.where(values.fillna(False).to_numpy(dtype=bool), PASS, FAIL))
    outcome = outcome.astype(object)
    outcome[~applies_mask(check.applies_to, facts, shown)] = NOT_APPLICABLE
    refs = facts.index.to_numpy()
    reasons = _reasons(outcome, leaves, shown)
    for position in np.flatnonzero((outcome == FAIL) | (outcome == UNKNOWN)) if waivers else ():
        waiver = waivers.get((refs[position], check.id))
        if waiver:
            outcome[position], reasons[position] = WAIVED, f"waived until {waiver.until}: {waiver.reason}"
    fixes = np.full(len(facts), "", dtype=object)
    to_fix = np.flatnonzero((outcome == FAIL) | (outcome == UNKNOWN))
    if check.remediation and len(to_fix):
        fixes[to_fix] = fill(check.remediation, shown, to_fix).to_numpy()
    reasons[outcome == NOT_APPLICABLE] = "does not match applies_to"
    return pd.DataFrame({"entity_ref": refs, "check_id": check.id, "outcome": outcome, "reason": reasons,
                         "fix": fixes}, columns=RESULT_COLUMNS)


def evaluate(checks: list[Check], facts: pd.DataFrame, waivers: dict | None = None) -> pd.DataFrame:
    """Long table: one row per entity and check."""
    shown = Columns(facts)
    frames = [evaluate_check(check, facts, waivers, shown) for check in checks]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RESULT_COLUMNS)
