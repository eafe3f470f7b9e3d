"""History of one entity or one team over the last runs, as DataFrames (for `insights history` and notebooks)."""

from __future__ import annotations

import pandas as pd

from insights.catalog.refs import display_name
from insights.store import tables as t


def _recent(store, runs: int, *tables) -> tuple:
    """The last runs (run_id, started_at), and each table's rows for all of them, read once per table."""
    recent = store.runs(status="succeeded", limit=runs)[["id", "started_at"]].rename(columns={"id": "run_id"})
    ids = [int(i) for i in recent["run_id"]]
    return (recent, *(store.table_for_runs(table, ids) for table in tables))


def entity_history(store, entity_ref: str, runs: int = 10) -> pd.DataFrame:
    """One row per run and scorecard: level, score and the checks failing then."""
    recent, scores, results = _recent(store, runs, t.scorecard_results, t.check_results)
    failing = results[(results["entity_ref"] == entity_ref) & (results["outcome"] == "fail")]
    failing = failing.sort_values("check_id").groupby("run_id")["check_id"].agg(list)
    rows = []
    for run in recent.itertuples():
        for score in scores[(scores["run_id"] == run.run_id) & (scores["entity_ref"] == entity_ref)].itertuples():
            rows.append({"run_id": run.run_id, "started_at": run.started_at, "scorecard_id": score.scorecard_id,
                         "level": score.level, "score": score.score, "failing": failing.get(run.run_id, [])})
    return pd.DataFrame(rows, columns=["run_id", "started_at", "scorecard_id", "level", "score", "failing"])


def team_history(store, team: str, runs: int = 10) -> pd.DataFrame:
    """One row per run and scorecard: entities, mean score, entities per level, failing checks."""
    recent, entities, scores, results = _recent(store, runs, t.entities, t.scorecard_results, t.check_results)
    owned = entities[entities["owner"].map(lambda o: display_name(o) if isinstance(o, str) else None) == team]
    rows = []
    for run in recent.itertuples():
        refs = set(owned[owned["run_id"] == run.run_id]["ref"])
        own_results = results[(results["run_id"] == run.run_id) & results["entity_ref"].isin(refs)]
        failing = int((own_results["outcome"] == "fail").sum())
        run_scores = scores[(scores["run_id"] == run.run_id) & scores["entity_ref"].isin(refs)]
        for card, own in run_scores.groupby("scorecard_id"):
            levels = own["level"].fillna("none").value_counts().to_dict()
            rows.append({"run_id": run.run_id, "started_at": run.started_at, "scorecard_id": card,
                         "entities": len(own), "mean_score": round(float(own["score"].mean()), 1),
                         "levels": levels, "failing_checks": failing})
    return pd.DataFrame(rows, columns=["run_id", "started_at", "scorecard_id", "entities", "mean_score", "levels",
                                       "failing_checks"])
