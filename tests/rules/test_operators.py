"""`matches` on RE2, value-facts compared row by row, and JSON-like equality for every operator."""

import pandas as pd
import pytest

from insights.rules.evaluate import OPERATOR_WORDS, evaluate_check
from insights.rules.model import Check, Condition, Rule
from insights.rules.operators import OPERATORS, compile_pattern, holds, same


def outcomes(fact, operator, value=None, value_fact=None, facts=None):
    check = Check("c", "c", Rule("condition", condition=Condition(fact, operator, value, value_fact)))
    return dict(zip(facts.index, evaluate_check(check, facts)["outcome"]))


def test_a_catastrophic_pattern_runs_in_linear_time():
    """`^(a+)+$` backtracks exponentially in Python's engine (47 s for 31 characters); RE2 does not
    backtrack, so even 100,000 characters are a quick miss."""
    names = ["a" * 31 + "!", "a" * 100_000 + "!", "a" * 31, None]
    facts = pd.DataFrame({"pagerduty.service_name": names}, index=list("wxyz"), dtype=object)
    assert outcomes("pagerduty.service_name", "matches", "^(a+)+$", facts=facts) == {
        "w": "fail", "x": "fail", "y": "pass", "z": "unknown"}


def test_matches_with_a_value_fact_uses_each_entitys_own_pattern():
    facts = pd.DataFrame({
        "pagerduty.service_name": ["checkout-api", "billing", "billing", "payments", "x", None],
        "catalog.name": ["^checkout", "^bill", "pay", None, "(a)\\1", "x"],
    }, index=list("abcdef"), dtype=object)
    assert outcomes("pagerduty.service_name", "matches", value_fact="catalog.name", facts=facts) == {
        "a": "pass", "b": "pass", "c": "fail", "d": "unknown", "e": "fail", "f": "unknown"}


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)", r"(?<!a)b", "(unclosed"])
def test_patterns_re2_cannot_run_are_refused_with_the_reason(pattern):
    with pytest.raises(ValueError) as error:
        compile_pattern(pattern)
    assert str(error.value) and "b'" not in str(error.value)


def test_every_value_fact_operator_compares_row_by_row():
    facts = pd.DataFrame({"pagerduty.open_incidents": [1, 5, 2, None],
                          "pagerduty.escalation_levels": [2, 2, 2, 2]}, index=list("abcd"), dtype=object)
    expected = {"lessThan": "pff", "lessThanInclusive": "pfp", "greaterThan": "fpf", "greaterThanInclusive": "fpp",
                "equal": "ffp", "notEqual": "ppf"}
    word = {"p": "pass", "f": "fail"}
    for operator, letters in expected.items():
        got = outcomes("pagerduty.open_incidents", operator, value_fact="pagerduty.escalation_levels", facts=facts)
        assert got == {**{ref: word[letter] for ref, letter in zip("abc", letters)}, "d": "unknown"}, operator


def test_equality_is_json_equality():
    assert same(1, 1.0) and same([1, "a"], [1.0, "a"]) and same({"a": [1]}, {"a": [1.0]})
    assert not same(True, 1) and not same(0, False) and not same("1", 1) and not same([1], [1, 1])
    assert not same(None, 0) and same(10**400, 10**401)  # numbers compare as 64-bit floats


def test_operators_on_values_of_the_wrong_kind_are_false_and_their_negations_true():
    assert not holds("lessThan", True, 2) and not holds("lessThan", "1", 2)
    assert not holds("contains", 5, 5) and holds("doesNotContain", 5, 5)
    assert not holds("in", "a", "abc") and holds("notIn", "a", "abc")
    assert not holds("matches", 5, "5") and not holds("matches", "a", "(")
    assert holds("contains", "abc", "b") and holds("contains", [1, "b"], 1.0)


def test_every_operator_has_a_wording_and_a_value_check():
    assert set(OPERATOR_WORDS) == set(OPERATORS)
    assert all(OPERATORS[name].check("string", "mapping") for name in OPERATORS)
