import pandas as pd

from insights.scorecards import Level, Scorecard, score


def results(rows):
    return pd.DataFrame(rows, columns=["entity_ref", "check_id", "outcome"])


FACTS = pd.DataFrame({"catalog.kind": ["component", "component", "component", "group"]},
                     index=["a", "b", "c", "g"], dtype=object)
CARD = Scorecard("s", "S", (Level("Bronze", ("x",)), Level("Silver", ("y",)), Level("Gold", ("z",))),
                 applies_to={"kind": "component"}, weights={"x": 2})


def test_levels_need_every_lower_level_and_weights_count():
    frame = results([
        ("a", "x", "pass"), ("a", "y", "pass"), ("a", "z", "pass"),
        ("b", "x", "pass"), ("b", "y", "fail"), ("b", "z", "pass"),
        ("c", "x", "fail"), ("c", "y", "pass"), ("c", "z", "unknown"),
        ("g", "x", "not-applicable"), ("g", "y", "not-applicable"), ("g", "z", "not-applicable"),
    ])
    scores = score([CARD], frame, FACTS, {"y": 1, "z": 1}).set_index("entity_ref")
    assert list(scores.index) == ["a", "b", "c"]  # the group is outside applies_to
    assert scores.loc["a", "level"] == "Gold" and scores.loc["a", "score"] == 100.0
    assert scores.loc["b", "level"] == "Bronze" and scores.loc["b", "score"] == 75.0  # (2 + 1) / 4
    assert pd.isna(scores.loc["c", "level"])
    assert scores.loc["c", "score"] == 33.3  # unknown is left out: 1 / (2 + 1)
    assert (scores.loc["c", "passed"], scores.loc["c", "failed"], scores.loc["c", "unknown"]) == (1, 1, 1)


def test_waived_and_not_applicable_count_towards_levels():
    frame = results([("a", "x", "waived"), ("a", "y", "not-applicable"), ("a", "z", "pass")])
    scores = score([CARD], frame, FACTS.loc[["a"]], {})
    assert scores.iloc[0]["level"] == "Gold" and scores.iloc[0]["score"] == 100.0


def test_nothing_known_gives_no_score():
    frame = results([("a", "x", "unknown"), ("a", "y", "unknown"), ("a", "z", "unknown")])
    row = score([CARD], frame, FACTS.loc[["a"]], {}).iloc[0]
    assert pd.isna(row["level"]) and pd.isna(row["score"])


def test_reshaped_and_pivoted_outcomes_give_the_same_scores(demo_catalog, demo_state, demo_now):
    from insights.config import load_config
    from insights.facts.registry import compute_facts
    from insights.resources import default_config
    from insights.rules.evaluate import evaluate

    config = load_config(default_config())
    facts = compute_facts(demo_catalog.entities, demo_state, demo_now)
    results = evaluate(list(config.checks), facts)
    weights = {c.id: c.weight for c in config.checks}
    in_order = score(list(config.scorecards), results, facts, weights)
    shuffled = score(list(config.scorecards), results.sample(frac=1, random_state=3), facts, weights)
    key = ["scorecard_id", "entity_ref"]
    assert in_order.sort_values(key).reset_index(drop=True).equals(shuffled.sort_values(key).reset_index(drop=True))
    assert len(in_order) == 36
