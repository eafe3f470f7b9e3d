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
        else:
            result = _elementwise(column, other, lambda a, b: a == b)
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


def applies_mask(applies_to: dict, facts: pd.DataFrame) -> np.ndarray:
    mask = np.ones(len(facts), dtype=bool)
    for key, wanted in applies_to.items():
        wanted = {str(w).lower() for w in (wanted if isinstance(wanted, list) else [wanted])}
        column = facts[APPLIES_TO_FACTS[key]]
        if key == "tags":
            mask &= np.array([bool(wanted & {t.lower() for t in (v or [])}) for v in column], dtype=bool)
        else:
            mask &= column.map(lambda v: v is not None and str(v).lower() in wanted).to_numpy(dtype=bool)
    return mask


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "none"
    return "unknown" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def fill(template: str, row: pd.Series) -> str:
    """`{pagerduty.escalation_policy_name}` -> the entity's fact value."""
    return PLACEHOLDER.sub(lambda m: _show(row.get(m.group(1))) if m.group(1) in row.index else m.group(0),
                           template).strip()


def _reason(outcome: str, position: int, leaves: list[Leaf], facts: pd.DataFrame) -> str:
    if outcome == UNKNOWN:
        leaf = next(l for l in leaves if l.values[position] is pd.NA)
        fact = leaf.condition.fact
        unknown = [f for f in (fact, leaf.condition.value_fact) if f and facts[f].iat[position] is None]
        why = FACTS[unknown[0]].unknown_means if unknown and unknown[0] in FACTS else ""
        return f"{unknown[0] if unknown else fact} is unknown" + (f": {why}" if why else "")
    blamed = [l for l in leaves if l.values[position] is not pd.NA and bool(l.values[position]) != l.wanted]
    parts = []
    for leaf in blamed[:3]:
        c = leaf.condition
        actual = _show(facts[c.fact].iat[position]) if c.fact in facts else "unknown"
        expected = f"{OPERATOR_WORDS.get(c.operator, c.operator)} {c.value_fact or _show(c.value)}"
        parts.append(f"{c.fact} is {actual}" + ("" if leaf.wanted else f", must not be {expected}")
                     + (f", expected {expected}" if leaf.wanted else ""))
    return "; ".join(parts)


def evaluate_check(check: Check, facts: pd.DataFrame, waivers: dict | None = None) -> pd.DataFrame:
    leaves: list[Leaf] = []
    values = rule_values(check.rule, facts, leaves)
    outcome = np.where(values.isna(), UNKNOWN, np.where(values.fillna(False).to_numpy(dtype=bool), PASS, FAIL))
    outcome = outcome.astype(object)
    outcome[~applies_mask(check.applies_to, facts)] = NOT_APPLICABLE
    refs = facts.index.to_numpy()
    reasons = np.full(len(facts), "", dtype=object)
    fixes = np.full(len(facts), "", dtype=object)
    waivers = waivers or {}
    for position in np.flatnonzero((outcome == FAIL) | (outcome == UNKNOWN)):
        waiver = waivers.get((refs[position], check.id))
        if waiver:
            outcome[position], reasons[position] = WAIVED, f"waived until {waiver.until}: {waiver.reason}"
            continue
        reasons[position] = _reason(outcome[position], position, leaves, facts)
        if check.remediation:
            fixes[position] = fill(check.remediation, facts.iloc[position])
    reasons[outcome == NOT_APPLICABLE] = "does not match applies_to"
    return pd.DataFrame({"entity_ref": refs, "check_id": check.id, "outcome": outcome, "reason": reasons,
                         "fix": fixes}, columns=RESULT_COLUMNS)


def evaluate(checks: list[Check], facts: pd.DataFrame, waivers: dict | None = None) -> pd.DataFrame:
    """Long table: one row per entity and check."""
    frames = [evaluate_check(check, facts, waivers) for check in checks]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RESULT_COLUMNS)
