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

from insights.allocation import inputs_frozen
from insights.facts.registry import FACTS
from insights.frames import combined_codes, distinct_codes, map_distinct
from insights.rules.model import APPLIES_TO_FACTS, FAIL, LIST_APPLIES_TO, NOT_APPLICABLE, OUTCOMES, PASS, UNKNOWN, \
    WAIVED, Check, Condition, Rule
from insights.rules.operators import OPERATORS

RESULT_COLUMNS = ["entity_ref", "check_id", "outcome", "reason", "fix"]
OPERATOR_WORDS = {name: operator.words for name, operator in OPERATORS.items()}
CODE = {outcome: code for code, outcome in enumerate(OUTCOMES)}
OUTCOME_TEXT = np.array(OUTCOMES, dtype=object)
PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z0-9_]+)+)\}")
# Every line break `str.splitlines` knows: a value shown in a reason or fix stays on its line, so the lines of
# a fix (a YAML snippet among them) are the check's own.
LINE_BREAKS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")


@dataclass(frozen=True)
class Leaf:
    condition: Condition
    values: pd.arrays.BooleanArray
    wanted: bool  # False under an odd number of `not`s


def condition_values(condition: Condition, columns: Columns) -> pd.arrays.BooleanArray:
    """The condition for every entity; NA where the fact (or the fact it is compared with) is unknown."""
    known = columns.known(condition.fact)
    if condition.operator == "exists":
        return pd.array(known == bool(condition.value), dtype="boolean")
    other = condition.value
    if condition.value_fact:
        other = columns.column(condition.value_fact)
        known = known & columns.known(condition.value_fact)
    operator = OPERATORS[condition.operator]
    result = np.asarray(operator.column(columns.column(condition.fact), other), dtype=bool)
    return pd.arrays.BooleanArray(result != operator.negated, ~known)


def rule_values(rule: Rule, columns: Columns, leaves: list[Leaf], wanted: bool = True) -> pd.arrays.BooleanArray:
    if rule.op == "condition":
        values = condition_values(rule.condition, columns)
        leaves.append(Leaf(rule.condition, values, wanted))
        return values
    if rule.op == "not":
        return ~rule_values(rule.children[0], columns, leaves, not wanted)
    parts = [rule_values(child, columns, leaves, wanted) for child in rule.children]
    result = parts[0]
    for part in parts[1:]:
        result = (result & part) if rule.op == "all" else (result | part)
    return result


def applies_mask(applies_to: dict | tuple, facts: pd.DataFrame) -> np.ndarray:
    return Columns(facts).applies(applies_to)


def _applies(applies_to: dict | tuple, columns: Columns) -> np.ndarray:
    if not isinstance(applies_to, dict):  # alternatives: any one of them
        mask = np.zeros(len(columns.facts), dtype=bool)
        for alternative in applies_to:
            mask |= columns.applies(alternative)
        return mask
    mask = np.ones(len(columns.facts), dtype=bool)
    for key, wanted in applies_to.items():
        wanted = {str(w).lower() for w in (wanted if isinstance(wanted, (list, tuple)) else [wanted])}
        fact = APPLIES_TO_FACTS[key]
        if key in LIST_APPLIES_TO:
            mask &= map_distinct(columns.column(fact), lambda v: bool(wanted & _lowered_items(v))).astype(bool)
        else:
            mask &= columns.lowered(fact).isin(wanted).to_numpy(dtype=bool)
    return mask


def _lowered_items(value) -> set[str]:
    """The items of a list fact, lower case (a single value counts as a list of one)."""
    return {str(item).lower() for item in (value if isinstance(value, (list, tuple)) else [value])}


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "none"
    return "unknown" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


class Columns:
    """Derived forms of fact columns, computed once and shared by every check of an evaluation.

    Reasons and fixes show fact values as text; each column is factorised so that every distinct value is
    rendered once and rows point at their text by code (the last text, for code -1, is "unknown").
    """

    def __init__(self, facts: pd.DataFrame):
        self.facts, self.coded_cache, self.lowered_cache, self.known_cache, self.applies_cache = facts, {}, {}, {}, {}

    def column(self, fact_id: str) -> pd.Series:
        return self.facts[fact_id] if fact_id in self.facts else pd.Series(None, index=self.facts.index, dtype=object)

    def known(self, fact_id: str) -> np.ndarray:
        """Where the fact's value is known (not None)."""
        if fact_id not in self.known_cache:
            self.known_cache[fact_id] = self.column(fact_id).notna().to_numpy()
        return self.known_cache[fact_id]

    def coded(self, fact_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes per row, texts per distinct value, each on one line)."""
        if fact_id not in self.coded_cache:
            codes, uniques, kind = distinct_codes(self.column(fact_id))
            shown = uniques if kind == "string" else map(_show, uniques)  # text shows as itself
            texts = np.fromiter((text if text.isprintable() else LINE_BREAKS.sub(" ", text) for text in shown),
                                dtype=object, count=len(uniques))  # a line break is never printable
            self.coded_cache[fact_id] = (codes, np.append(texts, "unknown"))
        return self.coded_cache[fact_id]

    def applies(self, applies_to: dict | tuple) -> np.ndarray:
        """Where the entities match a check's or scorecard's `applies_to`."""
        key = repr(sorted(applies_to.items()) if isinstance(applies_to, dict) else applies_to)
        if key not in self.applies_cache:
            self.applies_cache[key] = _applies(applies_to, self)
        return self.applies_cache[key]

    def lowered(self, fact_id: str) -> pd.Series:
        if fact_id not in self.lowered_cache:
            self.lowered_cache[fact_id] = pd.Series(map_distinct(self.column(fact_id), lambda v: str(v).lower()),
                                                    index=self.facts.index, dtype=object)
        return self.lowered_cache[fact_id]


def fill(template: str, columns: Columns, rows: np.ndarray) -> np.ndarray:
    """The template with `{fact.id}` placeholders replaced by each selected row's values.

    Rows whose placeholder values are all alike share one rendered text.
    """
    parts = PLACEHOLDER.split(template.strip())
    placed = [part for part in parts[1::2] if part in FACTS or part in columns.facts]
    pattern = "".join("{}" if i % 2 and part in placed else "{{" + part + "}}" if i % 2 else
                      part.replace("{", "{{").replace("}", "}}") for i, part in enumerate(parts))
    if not placed:
        return np.full(len(rows), pattern.format(), dtype=object)
    coded = [columns.coded(fact) for fact in dict.fromkeys(placed)]
    if any(len(texts) > len(columns.facts) for _, texts in coded):  # a value unique to every row: no sharing
        combination, first = np.arange(len(rows)), rows
    else:
        combination = combined_codes([(codes[rows], len(texts) - 1) for codes, texts in coded])
        first = rows[np.unique(combination, return_index=True)[1]]  # a row per combination, in code order
    values = [texts[codes[first]] for codes, texts in map(columns.coded, placed)]
    return np.fromiter(map(pattern.format, *values), dtype=object, count=len(first))[combination]


def _append(reasons: np.ndarray, rows: np.ndarray, texts: np.ndarray) -> None:
    """Append `texts` ("; "-separated) to the reasons of `rows`."""
    current = reasons[rows]
    empty = current == ""
    reasons[rows[empty]] = texts[empty]
    if not empty.all():
        reasons[rows[~empty]] = current[~empty] + "; " + texts[~empty]


class UnknownCauses:
    """Why a fact is unknown, per entity: the text of its cause group (`Fact.cause`) in the facts' causes
    table, so that one cause reads the same in every check it blocks. "<fact> is unknown" where none is given."""

    def __init__(self, causes: pd.DataFrame | None, index: pd.Index):
        self.causes = causes if causes is None or causes.index.equals(index) else causes.reindex(index)
        self.size, self.cache = len(index), {}

    def of(self, fact_id: str) -> np.ndarray:
        if fact_id not in self.cache:
            group = FACTS[fact_id].cause if fact_id in FACTS else ""
            given = self.causes is not None and group in self.causes
            texts = self.causes[group].to_numpy(dtype=object) if given else np.full(self.size, None, dtype=object)
            self.cache[fact_id] = np.where(pd.isna(texts), f"{fact_id} is unknown", texts)
        return self.cache[fact_id]


def _reasons(outcome: np.ndarray, leaves: list[Leaf], columns: Columns, causes: UnknownCauses) -> np.ndarray:
    reasons = np.full(len(outcome), "", dtype=object)
    failing, unknown = outcome == CODE[FAIL], outcome == CODE[UNKNOWN]
    blamed_count = np.zeros(len(outcome), dtype=int)
    for leaf in leaves:
        c = leaf.condition
        values = leaf.values
        known = ~values.isna()
        result = values.fillna(False).to_numpy(dtype=bool)
        blamed = np.flatnonzero(failing & known & (result != leaf.wanted) & (blamed_count < 3))
        if len(blamed):
            expected = f"{OPERATOR_WORDS.get(c.operator, c.operator)} {c.value_fact or _show(c.value)}"
            suffix = f", expected {expected}" if leaf.wanted else f", must not be {expected}"
            codes, texts = columns.coded(c.fact)
            _append(reasons, blamed, (f"{c.fact} is " + texts + suffix)[codes[blamed]])
            blamed_count[blamed] += 1
        first_unknown = unknown & ~known & (reasons == "")
        for fact in (f for f in (c.fact, c.value_fact) if f and first_unknown.any()):
            missing = first_unknown & ~columns.known(fact)
            reasons[missing] = causes.of(fact)[missing]
            first_unknown &= ~missing
    return reasons


def _check_columns(check: Check, columns: Columns, waivers: dict | None, causes: UnknownCauses) -> tuple:
    """(outcome codes, reasons, fixes), one item per entity; OUTCOME_TEXT turns codes into words."""
    leaves: list[Leaf] = []
    values = rule_values(check.rule, columns, leaves)
    outcome = np.where(values.fillna(False).to_numpy(dtype=bool), CODE[PASS], CODE[FAIL]).astype(np.int8)
    outcome[values.isna()] = CODE[UNKNOWN]
    if check.unknown:
        outcome[:] = CODE[UNKNOWN]
    outcome[~columns.applies(check.applies_to)] = CODE[NOT_APPLICABLE]
    refs = columns.facts.index.to_numpy()
    reasons = _reasons(outcome, leaves, columns, causes) if not check.unknown else \
        np.where(outcome == CODE[UNKNOWN], check.unknown, "").astype(object)
    open_ = (outcome == CODE[FAIL]) | (outcome == CODE[UNKNOWN])
    for position in np.flatnonzero(open_) if waivers else ():
        waiver = waivers.get((refs[position], check.id))
        if waiver:
            outcome[position], reasons[position] = CODE[WAIVED], f"waived until {waiver.until}: {waiver.reason}"
    # a fix is for what fails: an unknown result's reason says what is missing, and its remediation would
    # only be filled with "unknown"
    fixes = np.full(len(refs), "", dtype=object)
    to_fix = np.flatnonzero(outcome == CODE[FAIL])
    if check.remediation and len(to_fix):
        fixes[to_fix] = fill(check.remediation, columns, to_fix)
    reasons[outcome == CODE[NOT_APPLICABLE]] = "does not match applies_to"
    return outcome, reasons, fixes


def evaluate_check(check: Check, facts: pd.DataFrame, waivers: dict | None = None,
                   causes: pd.DataFrame | None = None) -> pd.DataFrame:
    return evaluate([check], facts, waivers, causes)


@inputs_frozen
def evaluate(checks: list[Check], facts: pd.DataFrame, waivers: dict | None = None,
             causes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long table: one row per entity and check, check by check. `causes` (FactTable.causes) words the reason
    of each unknown outcome: the cause of the entity's first unknown fact."""
    if not checks:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    columns, unknown_causes = Columns(facts), UnknownCauses(causes, facts.index)
    parts = list(zip(*(_check_columns(check, columns, waivers, unknown_causes) for check in checks)))
    return pd.DataFrame({"entity_ref": np.tile(facts.index.to_numpy(dtype=object), len(checks)),
                         "check_id": np.repeat(np.array([c.id for c in checks], dtype=object), len(facts)),
                         "outcome": OUTCOME_TEXT[np.concatenate(parts[0])], "reason": np.concatenate(parts[1]),
                         "fix": np.concatenate(parts[2])}, columns=RESULT_COLUMNS)
