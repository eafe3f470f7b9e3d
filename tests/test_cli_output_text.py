"""The pieces every command's text is made of: names for levels, never `nan`; percentages for shares;
terminal-safe cells; aligned tables; JSON that refuses NaN rather than printing it."""

import math

import pandas as pd
import pytest

from insights.output.text import cell, dump, fact_text, level_name, level_text, number, table, utc_time


@pytest.mark.parametrize("missing", [None, math.nan, ""])
def test_a_level_not_reached_is_none_in_json_and_none_in_text(missing):
    assert level_name(missing) is None and level_text(missing) == "none"


def test_levels_and_numbers_keep_their_values():
    assert (level_name("Gold"), level_text("Gold"), number(92.6), number(math.nan), number(None)) == \
        ("Gold", "Gold", 92.6, None, None)


def test_facts_are_shown_as_people_read_them():
    assert fact_text("pagerduty.name_similarity", 0.834) == "83%"
    assert fact_text("pagerduty.name_similarity", 1.0) == "100%"
    assert fact_text("pagerduty.name_similarity", None) == "unknown"
    assert fact_text("pagerduty.escalation_levels", 2) == "2"
    assert fact_text("pagerduty.service_found", True) == "true"
    assert fact_text("pagerduty.team_names", ["a", "b"]) == '["a", "b"]'


def test_cells_cannot_drive_the_terminal():
    assert cell("pay\x1b[2Jments\r\nteam\u202e\x9b") == "pay[2Jments team"
    assert cell(math.nan) == "-" and len(cell("x" * 500)) == 200


def test_table_aligns_columns_and_numbers_right():
    text = table([("name", "name"), ("n", "count")], [{"name": "a", "n": 1}, {"name": "longer", "n": 100}],
                 right=("n",))
    assert text.splitlines() == ["name    count", "a           1", "longer    100"]


def test_times_are_utc_and_json_never_carries_nan():
    assert utc_time(pd.Timestamp("2026-12-02 15:42:47.36")) == "2026-12-02T15:42:47+00:00"
    assert utc_time(pd.Timestamp("2026-12-02T16:42:47+01:00")) == "2026-12-02T15:42:47+00:00"
    assert utc_time(None) is None and utc_time(pd.NaT) is None
    with pytest.raises(ValueError):
        dump({"score": math.nan})
    assert dump({"team": "pay\u202ements"}) == '{\n "team": "pay\\u202ements"\n}'
