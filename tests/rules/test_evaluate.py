"""Operators, three-valued combination, and agreement of the whole-table evaluation with a plain one."""

import math

import numpy as np
import pandas as pd
import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.rules.evaluate import evaluate, evaluate_check
from insights.rules.model import Check, Condition, Rule
from insights.rules.operators import OPERATORS


def leaf(fact, operator, value=None, value_fact=None):
    return Rule("condition", condition=Condition(fact, operator, value, value_fact))


def outcomes(rule, facts, applies_to=None):
    check = Check("c", "c", rule, applies_to=applies_to or {})
    return dict(zip(facts.index, evaluate_check(check, facts)["outcome"]))


@pytest.fixture()
def table():
    return pd.DataFrame({
        "pagerduty.escalation_levels": [1, 2, None],
        "pagerduty.service_status": ["active", "disabled", None],
        "catalog.tags": [["java", "tier-1"], [], None],
        "pagerduty.has_oncall": [True, False, None],
        "pagerduty.open_incidents": [0, 5, None],
        "catalog.kind": ["component", "component", "group"],
        "catalog.type": ["service", "library", None],
    }, index=["a", "b", "c"], dtype=object)


@pytest.mark.parametrize("operator, value, expected", [
    ("equal", 2, {"a": "fail", "b": "pass", "c": "unknown"}),
    ("notEqual", 2, {"a": "pass", "b": "fail", "c": "unknown"}),
    ("lessThan", 2, {"a": "pass", "b": "fail", "c": "unknown"}),
    ("lessThanInclusive", 2, {"a": "pass", "b": "pass", "c": "unknown"}),
    ("greaterThan", 1, {"a": "fail", "b": "pass", "c": "unknown"}),
    ("greaterThanInclusive", 2, {"a": "fail", "b": "pass", "c": "unknown"}),
    ("in", [1, 3], {"a": "pass", "b": "fail", "c": "unknown"}),
    ("notIn", [1, 3], {"a": "fail", "b": "pass", "c": "unknown"}),
    ("exists", True, {"a": "pass", "b": "pass", "c": "fail"}),
    ("exists", False, {"a": "fail", "b": "fail", "c": "pass"}),
])
def test_numeric_operators(table, operator, value, expected):
    assert outcomes(leaf("pagerduty.escalation_levels", operator, value), table) == expected


@pytest.mark.parametrize("fact, operator, value, expected", [
    ("catalog.tags", "contains", "java", {"a": "pass", "b": "fail", "c": "unknown"}),
    ("catalog.tags", "doesNotContain", "java", {"a": "fail", "b": "pass", "c": "unknown"}),
    ("pagerduty.service_status", "matches", "^act", {"a": "pass", "b": "fail", "c": "unknown"}),
    ("pagerduty.service_status", "in", ["disabled", "maintenance"], {"a": "fail", "b": "pass", "c": "unknown"}),
    ("pagerduty.has_oncall", "equal", True, {"a": "pass", "b": "fail", "c": "unknown"}),
])
def test_other_operators(table, fact, operator, value, expected):
    assert outcomes(leaf(fact, operator, value), table) == expected


def test_value_may_name_another_fact(table):
    rule = leaf("pagerduty.open_incidents", "lessThan", value_fact="pagerduty.escalation_levels")
    assert outcomes(rule, table) == {"a": "pass", "b": "fail", "c": "unknown"}


def test_unknown_never_passes_or_fails_silently_but_false_dominates_all(table):
    has_oncall = leaf("pagerduty.has_oncall", "equal", True)
    always_false = leaf("catalog.kind", "equal", "nothing")
    assert outcomes(Rule("all", (has_oncall, always_false)), table)["c"] == "fail"
    assert outcomes(Rule("any", (has_oncall, always_false)), table)["c"] == "unknown"
    always_true = leaf("catalog.kind", "exists", True)
    assert outcomes(Rule("any", (has_oncall, always_true)), table)["c"] == "pass"
    assert outcomes(Rule("not", (has_oncall,)), table) == {"a": "fail", "b": "pass", "c": "unknown"}


def test_applies_to_filters_and_reasons_name_the_fact(table):
    check = Check("c", "c", leaf("pagerduty.escalation_levels", "greaterThanInclusive", 2),
                  applies_to={"kind": "component", "type": ["service"]}, remediation="levels now {pagerduty.escalation_levels}")
    result = evaluate_check(check, table).set_index("entity_ref")
    assert list(result["outcome"]) == ["fail", "not-applicable", "not-applicable"]
    assert result.loc["a", "reason"] == "pagerduty.escalation_levels is 1, expected >= 2"
    assert result.loc["a", "fix"] == "levels now 1"


def test_only_failing_results_carry_a_fix(table):
    """An unknown result's reason says what is missing; its remediation would be filled with "unknown"."""
    check = Check("c", "c", leaf("pagerduty.escalation_levels", "greaterThanInclusive", 2),
                  remediation="levels now {pagerduty.escalation_levels}")
    result = evaluate_check(check, table).set_index("entity_ref")
    assert dict(result["outcome"]) == {"a": "fail", "b": "pass", "c": "unknown"}
    assert dict(result["fix"]) == {"a": "levels now 1", "b": "", "c": ""}


def test_applies_to_alternatives_match_any_and_annotations_match_by_key(table):
    facts = table.assign(**{"catalog.annotation_keys": [[], ["pagerduty.com/service-id"], ["backstage.io/view-url"]],
                            "catalog.namespace": ["default", "default", "ops"]})
    rule = leaf("pagerduty.escalation_levels", "greaterThanInclusive", 2)
    either = ({"kind": "component", "type": "service"}, {"annotations": ["PagerDuty.com/service-id"]})
    assert outcomes(rule, facts, either) == {"a": "fail", "b": "pass", "c": "not-applicable"}
    assert outcomes(rule, facts, {"namespace": "OPS"}) == {"a": "not-applicable", "b": "not-applicable", "c": "unknown"}
    assert outcomes(rule, facts, {"annotations": "backstage.io/view-url", "kind": "component"}) == \
        {"a": "not-applicable", "b": "not-applicable", "c": "not-applicable"}


def test_unknown_reason_is_the_entity_cause_and_reads_the_same_in_every_check(table):
    """The reason of an unknown outcome is the cause the facts give for that entity: one text per cause,
    whichever check it blocks; without a cause the reason names the unknown fact."""
    levels = Check("levels", "c", leaf("pagerduty.escalation_levels", "equal", 2))
    oncall = Check("oncall", "c", leaf("pagerduty.has_oncall", "equal", True))
    cause = "no PagerDuty annotation: add pagerduty.com/service-id"
    causes = pd.DataFrame({"policy": [None, None, cause], "oncall": [None, None, cause]}, index=table.index,
                          dtype=object)
    result = evaluate([levels, oncall], table, causes=causes).set_index(["check_id", "entity_ref"])
    assert result.loc[("levels", "c"), "reason"] == result.loc[("oncall", "c"), "reason"] == cause
    assert result.loc[("levels", "a"), "reason"] == "pagerduty.escalation_levels is 1, expected = 2"
    reason = evaluate_check(levels, table).set_index("entity_ref").loc["c", "reason"]
    assert reason == "pagerduty.escalation_levels is unknown"


# --- property: the whole-table evaluation agrees with a plain per-entity evaluation ----------------
# Fact values of any JSON shape in any column, every operator, literal values and values from another fact.

def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _float(v):
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _norm(v):
    """What JSON equality compares: numbers by (64-bit float) value, booleans apart from numbers."""
    if isinstance(v, bool):
        return "b", v
    if _number(v):
        return "n", _float(v)
    if isinstance(v, list):
        return "l", tuple(map(_norm, v))
    if isinstance(v, dict):
        return "d", tuple(sorted((k, _norm(x)) for k, x in v.items()))
    return type(v).__name__, v


def _matches(a, b):
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    try:
        return re2.search(b, a) is not None
    except re2.error:
        return False


PLAIN_OPERATORS = {
    "equal": lambda a, b: _norm(a) == _norm(b),
    "lessThan": lambda a, b: _number(a) and _number(b) and _float(a) < _float(b),
    "lessThanInclusive": lambda a, b: _number(a) and _number(b) and _float(a) <= _float(b),
    "greaterThan": lambda a, b: _number(a) and _number(b) and _float(a) > _float(b),
    "greaterThanInclusive": lambda a, b: _number(a) and _number(b) and _float(a) >= _float(b),
    "in": lambda a, b: isinstance(b, list) and _norm(a) in map(_norm, b),
    "contains": lambda a, b: _norm(b) in map(_norm, a) if isinstance(a, list) else (
        isinstance(a, str) and isinstance(b, str) and b in a),
    "matches": _matches,
}
NEGATIONS = {"notEqual": "equal", "notIn": "in", "doesNotContain": "contains"}


def plain(rule, row):
    """Kleene logic, one entity at a time: True, False or None."""
    if rule.op == "condition":
        c = rule.condition
        a = row[c.fact]
        if c.operator == "exists":
            return (a is not None) == bool(c.value)
        b = row[c.value_fact] if c.value_fact else c.value
        if a is None or (c.value_fact and b is None):  # a literal null is a value (the config refuses it)
            return None
        result = PLAIN_OPERATORS[NEGATIONS.get(c.operator, c.operator)](a, b)
        return not result if c.operator in NEGATIONS else bool(result)
    parts = [plain(child, row) for child in rule.children]
    if rule.op == "not":
        return None if parts[0] is None else not parts[0]
    if rule.op == "all":
        return False if False in parts else (None if None in parts else True)
    return True if True in parts else (None if None in parts else False)


def _applies(tags):
    items = tags if isinstance(tags, list) else [] if tags is None else [tags]
    return any(str(item).lower() == "a" for item in items)


facts_ids = ["pagerduty.escalation_levels", "pagerduty.service_name", "catalog.tags"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["a", "ab", "A", "^a", "b$", "(a)\\1", "[", "a|b", ""]) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=5)
operators = st.sampled_from(list(OPERATORS))
conditions = st.one_of(
    st.builds(lambda f, o, v: leaf(f, o, v), st.sampled_from(facts_ids), operators, json_values),
    st.builds(lambda f, o, g: leaf(f, o, value_fact=g), st.sampled_from(facts_ids),
              operators.filter(lambda o: o != "exists"), st.sampled_from(facts_ids)))
rules = st.recursive(conditions, lambda inner: st.one_of(
    st.builds(lambda cs: Rule("all", tuple(cs)), st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda cs: Rule("any", tuple(cs)), st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda c: Rule("not", (c,)), inner)), max_leaves=6)


def _frame(rows):
    columns = {}
    for position, fact in enumerate(facts_ids):
        column = np.empty(len(rows), dtype=object)
        column[:] = [row[position] for row in rows]
        columns[fact] = column
    return pd.DataFrame(columns, index=[f"e{i}" for i in range(len(rows))], dtype=object)


@settings(max_examples=300, deadline=None)
@given(rule=rules, rows=st.lists(st.tuples(json_values, json_values, json_values), min_size=1, max_size=6),
       scoped=st.booleans())
def test_table_evaluation_agrees_with_plain_evaluation(rule, rows, scoped):
    facts = _frame(rows)
    check = Check("c", "c", rule, applies_to={"tags": "a"} if scoped else {},
                  remediation="{pagerduty.service_name} {catalog.tags} {pagerduty.escalation_levels}")
    result = evaluate_check(check, facts)
    got = dict(zip(result["entity_ref"], result["outcome"]))
    for ref, row in zip(facts.index, rows):
        row = dict(zip(facts_ids, row))
        expected = {True: "pass", False: "fail", None: "unknown"}[plain(rule, row)]
        if scoped and not _applies(row["catalog.tags"]):
            expected = "not-applicable"
        assert got[ref] == expected, (ref, row)


def test_a_string_value_unknown_is_not_taken_for_a_missing_fact(table):
    """The reason names the fact that is missing, even when the other one holds the text "unknown"."""
    table = table.assign(**{"pagerduty.service_status": ["unknown"] * 3,
                            "pagerduty.service_name": [None] * 3})
    rule = leaf("pagerduty.service_status", "equal", value_fact="pagerduty.service_name")
    result = evaluate_check(Check("c", "c", rule), table).set_index("entity_ref")
    assert result.loc["a", "outcome"] == "unknown"
    assert result.loc["a", "reason"].startswith("pagerduty.service_name is unknown")


def test_fix_templates_keep_literal_braces_and_unknown_placeholders_and_fill_each_row(table):
    from insights.rules.evaluate import Columns, fill
    import numpy as np

    template = "set {pagerduty.escalation_levels} on {catalog.kind} in {not.a_fact} with ${{ values.x }}"
    texts = fill(template, Columns(table), np.arange(3))
    assert list(texts) == [f"set {v} on {k} in {{not.a_fact}} with ${{{{ values.x }}}}"
                           for v, k in [("1", "component"), ("2", "component"), ("unknown", "group")]]
    assert list(fill("nothing to fill", Columns(table), np.array([0, 2]))) == ["nothing to fill"] * 2


def test_shown_values_keep_their_type_when_equal():
    """True == 1 in Python; the texts shown for a boolean and an integer must still differ."""
    from insights.rules.evaluate import Columns

    mixed = pd.DataFrame({"x.mixed": [True, 1, ["a"], None]}, index=list("abcd"), dtype=object)
    columns = Columns(mixed)
    codes, texts = columns.coded("x.mixed")
    assert list(texts[codes]) == ["true", "1", "[a]", "unknown"]


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 1.0, 1.5]),
                   st.text("ab{}", max_size=3), st.lists(st.sampled_from(["x", "y"]), max_size=2))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=8), st.data())
def test_fix_texts_agree_with_rendering_each_row_on_its_own(pairs, data):
    """Texts shared between rows with equal values must still be each row's own text."""
    import numpy as np

    from insights.rules.evaluate import Columns, _show, fill

    table = pd.DataFrame({"x.a": [a for a, _ in pairs], "x.b": [b for _, b in pairs]}, dtype=object)
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, len(pairs) - 1), min_size=1))))
    texts = fill("a={x.a} b={x.b} a={x.a} {not.a_fact}", Columns(table), rows)
    assert list(texts) == [f"a={_show(pairs[r][0])} b={_show(pairs[r][1])} a={_show(pairs[r][0])} {{not.a_fact}}"
                           for r in rows]
