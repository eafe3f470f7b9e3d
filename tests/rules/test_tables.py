"""The tables everything else reads: applies_to keys, operators, and fact families in dependency order."""

import types

import pytest

from insights.facts.base import Fact
from insights.facts.registry import FACTS, FAMILIES, ordered
from insights.rules.evaluate import OPERATOR_WORDS
from insights.rules.model import APPLIES_TO, APPLIES_TO_FACTS, LIST_APPLIES_TO
from insights.rules.operators import OPERATORS


def test_every_applies_to_key_matches_a_catalog_fact_of_the_right_shape():
    for key, (fact, many) in APPLIES_TO.items():
        assert FACTS[fact].type == ("list" if many else "string"), key
    assert set(APPLIES_TO_FACTS) == set(APPLIES_TO) and LIST_APPLIES_TO == {"tags", "annotations"}


def test_every_operator_is_worded_and_negations_come_in_pairs():
    assert set(OPERATOR_WORDS) == set(OPERATORS)
    negated = {name for name, operator in OPERATORS.items() if operator.negated}
    assert negated == {"notEqual", "notIn", "doesNotContain"}


def respects_needs(families) -> bool:
    provided = set()
    for family in families:
        if not set(family.NEEDS) <= provided:
            return False
        provided |= {fact.id for fact in family.FACTS}
    return True


def test_families_come_after_the_families_whose_facts_they_need_whatever_order_they_are_listed_in():
    assert respects_needs(FAMILIES)
    backwards = tuple(reversed(FAMILIES))
    assert not respects_needs(backwards)
    assert respects_needs(ordered(backwards)) and set(ordered(backwards)) == set(FAMILIES)


def test_a_family_needing_a_fact_nobody_provides_is_refused():
    lonely = types.SimpleNamespace(__name__="lonely", NEEDS=("x.missing",), FACTS=[Fact("x.y", "string", "", "")])
    with pytest.raises(ImportError, match=r"lonely needs \['x.missing'\]"):
        ordered((*FAMILIES, lonely))
