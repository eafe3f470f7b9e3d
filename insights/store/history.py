"""History of one entity or one team over the last runs, as DataFrames (for `insights history` and notebooks).

Values come out as people and JSON read them: a level not reached is None (never NaN), a team's levels are
counted in the scorecard's own order (lowest first, then `none`), failing checks are sorted lists."""

from __future__ import annotations

import json

import pandas as pd

from insights.catalog.refs import display_name
from insights.store import tables as t

NO_LEVEL = "none"


def _recent(store, runs: int, *tables) -> tuple:
    """The last runs (run_id, started_at), and each table's rows for all of them, read once per table."""
    recent = store.runs(status="succeeded", limit=runs)[["id", "started_at"]].rename(columns={"id": "run_id"})
    ids = [int(i) for i in recent["run_id"]]
    return (recent, *store.tables_for_runs(list(tables), ids))


def _value(value):
    """A stored value, with SQL NULL read back as NaN turned into None."""
    return None if value is None or pd.isna(value) else value


def entity_history(store, entity_ref: str, runs: int = 10) -> pd.DataFrame:
    """One row per run and scorecard: level, score and the checks failing then."""
    recent, scores, results = _recent(store, runs, t.scorecard_results, t.check_results)
    failing = results[(results["entity_ref"] == entity_ref) & (results["outcome"] == "fail")]
    failing = failing.sort_values("check_id").groupby("run_id")["check_id"].agg(list)
    rows = []
    for run in recent.itertuples():
        for score in scores[(scores["run_id"] == run.run_id) & (scores["entity_ref"] == entity_ref)].itertuples():
            rows.append({"run_id": int(run.run_id), "started_at": run.started_at, "scorecard_id": score.scorecard_id,
                         "level": _value(score.level), "score": _value(score.score),
                         "failing": failing.get(run.run_id, [])})
    return pd.DataFrame(rows, columns=["run_id", "started_at", "scorecard_id", "level", "score", "failing"])


def team_history(store, team: str, runs: int = 10) -> pd.DataFrame:
    """One row per run and scorecard: entities, mean score, entities per level, failing checks."""
    recent, entities, cards, scores, results = _recent(store, runs, t.entities, t.scorecards, t.scorecard_results,
                                                       t.check_results)
    owned = entities[entities["owner"].map(lambda o: display_name(o) if isinstance(o, str) else None) == team]
    order = {(int(c.run_id), c.scorecard_id): [level["name"] for level in json.loads(c.levels)]
             for c in cards.itertuples()}
    rows = []
    for run in recent.itertuples():
        refs = set(owned[owned["run_id"] == run.run_id]["ref"])
        own_results = results[(results["run_id"] == run.run_id) & results["entity_ref"].isin(refs)]
        failing = int((own_results["outcome"] == "fail").sum())
        run_scores = scores[(scores["run_id"] == run.run_id) & scores["entity_ref"].isin(refs)]
        for card, own in run_scores.groupby("scorecard_id"):
            counts = own["level"].map(_value).fillna(NO_LEVEL).value_counts().to_dict()
            names = order.get((int(run.run_id), card), []) + [NO_LEVEL]
            levels = {name: int(counts.pop(name, 0)) for name in names} | {k: int(v) for k, v in counts.items()}
            rows.append({"run_id": int(run.run_id), "started_at": run.started_at, "scorecard_id": card,
                         "entities": len(own), "mean_score": _value(round(float(own["score"].mean()), 1)),
                         "levels": levels, "failing_checks": failing})
    return pd.DataFrame(rows, columns=["run_id", "started_at", "scorecard_id", "entities", "mean_score", "levels",
                                       "failing_checks"])
