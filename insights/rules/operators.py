"""The rule operators, one table: what values each accepts, what it means for one value, how it runs over a
whole column, and how a reason words it.

A condition compares a fact's value `a` with the rule's value `b` (a literal, or another fact's value).
Both are JSON-like: None, booleans, numbers, text, lists, mappings. Only known values reach an operator:
where either is unknown the condition is unknown. Numbers compare as 64-bit floats, never with booleans
or text; an operator whose values are of the wrong kind is false (its negation true). Regular expressions
run on RE2, whose time is linear in the text, so no pattern can stall a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import re2

from insights.frames import map_distinct

NUMERIC = {"integer", "number"}
SCALAR = {"boolean", "integer", "number", "string"}
# A rule's literal value is of one of these types; a fact's type (facts.registry) is one of them too.
VALUE_TYPES: dict[str, Callable[[object], bool]] = {
    "boolean": lambda v: isinstance(v, (bool, np.bool_)),
    "number": lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)),
    "string": lambda v: isinstance(v, str),
    "list": lambda v: isinstance(v, (list, tuple)),
    "mapping": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def value_type(value) -> str:
    return next((name for name, test in VALUE_TYPES.items() if test(value)), type(value).__name__)


def as_float(value) -> float:
    """A number as a float; anything else (booleans included) as NaN, which compares false."""
    if not VALUE_TYPES["number"](value):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def same(a, b) -> bool:
    """Equality as JSON sees it: numbers by value, booleans only with booleans, lists and mappings by content."""
    kind = value_type(a)
    if kind != value_type(b):
        return False
    if kind == "number":
        return as_float(a) == as_float(b)
    if kind == "list":
        return len(a) == len(b) and all(map(same, a, b))
    if kind == "mapping":
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def member(a, b) -> bool:
    return isinstance(b, (list, tuple)) and any(same(a, item) for item in b)


def contains(a, b) -> bool:
    if isinstance(a, (list, tuple)):
        return any(same(item, b) for item in a)
    return isinstance(a, str) and isinstance(b, str) and b in a


def compile_pattern(pattern: str):
    """An RE2 pattern; raises ValueError saying why it cannot be one (RE2 has no backreferences or lookaround)."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        raise ValueError(reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)) from None
    except UnicodeEncodeError:
        raise ValueError("the pattern is not valid UTF-8 text") from None


def _search(pattern, text: str) -> bool:
    try:
        return pattern.search(text) is not None
    except UnicodeEncodeError:  # lone surrogates, as JSON escapes can carry
        return pattern.search(text.encode("utf-8", "replace").decode()) is not None


def matches(a, b) -> bool:
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    try:
        return _search(compile_pattern(b), a)
    except ValueError:
        return False  # a pattern taken from a fact that RE2 cannot read matches nothing


# --- what a literal value or another fact may be, per operator: a message, or None when it fits ----------

WORDS = {"boolean": "true or false", "integer": "a number", "number": "a number", "string": "a text", "list": "a list",
         "mapping": "a mapping", "null": "null"}


def with_article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _word(type_: str) -> str:
    return WORDS.get(type_, with_article(type_))


def _check_equal(fact_type, value_type_):
    alike = fact_type == value_type_ or (fact_type in NUMERIC and value_type_ in NUMERIC)
    if alike:
        return None
    return f"compares {with_article(fact_type)} fact with {_word(fact_type)}, not with {_word(value_type_)}"


def _check_order(fact_type, value_type_):
    if fact_type not in NUMERIC:
        return f"compares numbers, but the fact is {with_article(fact_type)}"
    return None if value_type_ in NUMERIC else f"compares numbers, not {_word(value_type_)}"


def _check_in(fact_type, value_type_):
    if fact_type not in SCALAR:
        return f"takes a fact with one value, not {with_article(fact_type)} fact"
    return None if value_type_ == "list" else f"takes a list of values, not {_word(value_type_)}"


def _check_contains(fact_type, value_type_):
    if fact_type == "list":
        return None if value_type_ in SCALAR else f"looks for one value in the list, not {_word(value_type_)}"
    if fact_type == "string":
        return None if value_type_ == "string" else f"looks for a text in the text, not {_word(value_type_)}"
    return f"needs a list or string fact, not {with_article(fact_type)} fact"


def _check_exists(fact_type, value_type_):
    return None if value_type_ == "boolean" else f"takes true or false, not {_word(value_type_)}"


def _check_matches(fact_type, value_type_):
    if fact_type != "string":
        return f"needs a string fact, not {with_article(fact_type)} fact"
    return None if value_type_ == "string" else f"takes a regular expression as text, not {_word(value_type_)}"


# --- whole columns at once ----------------------------------------------------------------------------

def _each(test) -> Callable:
    """Per distinct value for a literal; pair by pair for another fact's column."""
    def run(column: pd.Series, other) -> np.ndarray:
        if isinstance(other, pd.Series):
            return np.fromiter(map(test, column, other), dtype=bool, count=len(column))
        return map_distinct(column, lambda a: test(a, other)).astype(bool)
    return run


def _floats(values) -> np.ndarray:
    if isinstance(values, pd.Series):
        return map_distinct(values, as_float).astype(float)
    return np.float64(as_float(values))


def _order(ufunc) -> Callable:
    def run(column: pd.Series, other) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.asarray(ufunc(_floats(column), _floats(other)), dtype=bool)
    return run


def _equal(column: pd.Series, other) -> np.ndarray:
    if VALUE_TYPES["number"](other):
        return _floats(column) == _floats(other)
    return _each(same)(column, other)


def _matches(column: pd.Series, other) -> np.ndarray:
    if isinstance(other, pd.Series):
        patterns: dict = {}

        def test(a, b):
            if not isinstance(a, str) or not isinstance(b, str):
                return False
            if b not in patterns:
                try:
                    patterns[b] = compile_pattern(b)
                except ValueError:
                    patterns[b] = None
            return patterns[b] is not None and _search(patterns[b], a)
        return _each(test)(column, other)
    try:
        pattern = compile_pattern(other) if isinstance(other, str) else None
    except ValueError:
        pattern = None  # the configuration refuses such a pattern; here it simply matches nothing
    if pattern is None:
        return np.zeros(len(column), dtype=bool)
    return map_distinct(column, lambda a: isinstance(a, str) and _search(pattern, a)).astype(bool)


@dataclass(frozen=True)
class Operator:
    name: str
    words: str  # how a reason says it: "expected <words> <value>"
    check: Callable[[str, str], str | None]  # (fact type, value type) -> what is wrong, or None
    test: Callable[[object, object], bool]  # one known value against one known value
    column: Callable[[pd.Series, object], np.ndarray]  # the same over a whole column
    negated: bool = False  # true where `test` is false (on known values)


def _pair(name, words, negation, negation_words, check, test, column=None):
    column = column or _each(test)
    return (Operator(name, words, check, test, column), Operator(negation, negation_words, check, test, column, True))


OPERATORS: dict[str, Operator] = {o.name: o for o in (
    *_pair("equal", "=", "notEqual", "!=", _check_equal, same, _equal),
    Operator("lessThan", "<", _check_order, lambda a, b: as_float(a) < as_float(b), _order(np.less)),
    Operator("lessThanInclusive", "<=", _check_order, lambda a, b: as_float(a) <= as_float(b), _order(np.less_equal)),
    Operator("greaterThan", ">", _check_order, lambda a, b: as_float(a) > as_float(b), _order(np.greater)),
    Operator("greaterThanInclusive", ">=", _check_order, lambda a, b: as_float(a) >= as_float(b),
             _order(np.greater_equal)),
    *_pair("in", "one of", "notIn", "not one of", _check_in, member),
    *_pair("contains", "to contain", "doesNotContain", "not to contain", _check_contains, contains),
    Operator("exists", "to exist", _check_exists, lambda a, b: True, lambda column, other: np.ones(len(column), bool)),
    Operator("matches", "to match", _check_matches, matches, _matches),
)}


def holds(operator: str, a, b) -> bool:
    """One known value against one known value, as the column form computes it."""
    spec = OPERATORS[operator]
    return spec.test(a, b) != spec.negated
