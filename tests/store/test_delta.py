"""What counts as changed, and which row is the newest, against plain row-by-row versions."""

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.store.delta import changed, latest

KEYS = st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["f", "g"]))
VALUE = st.one_of(st.none(), st.just(float("nan")), st.sampled_from(["1", "2", "true"]), st.integers(0, 2))


def same(x, y) -> bool:
    missing = [v is None or (isinstance(v, float) and math.isnan(v)) for v in (x, y)]
    return all(missing) or (not any(missing) and x == y)


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUE), st.dictionaries(KEYS, VALUE), st.none() | st.dictionaries(KEYS, VALUE))
def test_changed_keeps_new_keys_and_differing_values_only(new, previous, newest):
    """A changed row is stored, except an unknown value whose key has no stored value at all (newest row,
    whatever run it is part of; by default the previous run's): no row reads as unknown."""
    def frame(rows):
        return pd.DataFrame([(r, f, v) for (r, f), v in rows.items()], columns=["entity_ref", "fact_id", "value"],
                            dtype=object)

    got = changed(frame(new), frame(previous), ["entity_ref", "fact_id"], ["value"],
                  None if newest is None else frame(newest))
    stored = previous if newest is None else newest
    expected = {key for key, value in new.items() if (key not in previous or not same(value, previous[key]))
                and (not missing(value) or not missing(stored.get(key)))}
    assert set(zip(got["entity_ref"], got["fact_id"])) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEYS, st.integers(1, 5)), unique=True))
def test_latest_is_the_highest_run_per_key(rows):
    frame = pd.DataFrame([(r, f, run) for (r, f), run in rows], columns=["entity_ref", "fact_id", "run_id"])
    got = latest(frame, ["entity_ref", "fact_id"])
    newest = {}
    for key, run in rows:
        newest[key] = max(run, newest.get(key, 0))
    assert {((r, f), run) for r, f, run in got.itertuples(index=False)} == set(newest.items())
