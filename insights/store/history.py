"""History of one entity or one team over the last runs, as DataFrames (for `insights history` and notebooks)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from insights.catalog.refs import display_name
from insights.store import tables as t


def _recent(store, runs: int) -> pd.DataFrame:
    return store.runs(status="succeeded", limit=runs)[["id", "started_at"]].rename(columns={"id": "run_id"})


def entity_history(store, entity_ref: str, runs: int = 10) -> pd.DataFrame:
    """One row per run and scorecard: level, score and the checks failing then."""
    rows = []
    for run in _recent(store, runs).itertuples():
        scores = store.table(t.scorecard_results, run.run_id)
        results = store.table(t.check_results, run.run_id)
        failing = sorted(results[(results["entity_ref"] == entity_ref) & (results["outcome"] == "fail")]["check_id"])
        for score in scores[scores["entity_ref"] == entity_ref].itertuples():
            rows.append({"run_id": run.run_id, "started_at": run.started_at, "scorecard_id": score.scorecard_id,
                         "level": score.level, "score": score.score, "failing": failing})
    return pd.DataFrame(rows, columns=["run_id", "started_at", "scorecard_id", "level", "score", "failing"])


def team_history(store, team: str, runs: int = 10) -> pd.DataFrame:
    """One row per run and scorecard: entities, mean score, entities per level, failing checks."""
    rows = []
    for run in _recent(store, runs).itertuples():
        entities = store._read(select(t.entities.c.ref, t.entities.c.owner).where(t.entities.c.run_id == run.run_id))
        refs = set(entities[entities["owner"].map(lambda o: display_name(o) if isinstance(o, str) else None) == team]["ref"])
        scores = store.table(t.scorecard_results, run.run_id)
        scores = scores[scores["entity_ref"].isin(refs)]
        results = store.table(t.check_results, run.run_id)
        failing = int(((results["entity_ref"].isin(refs)) & (results["outcome"] == "fail")).sum())
        for card, own in scores.groupby("scorecard_id"):
            levels = own["level"].fillna("none").value_counts().to_dict()
            rows.append({"run_id": run.run_id, "started_at": run.started_at, "scorecard_id": card,
                         "entities": len(own), "mean_score": round(float(own["score"].mean()), 1),
                         "levels": levels, "failing_checks": failing})
    return pd.DataFrame(rows, columns=["run_id", "started_at", "scorecard_id", "entities", "mean_score", "levels",
                                       "failing_checks"])
