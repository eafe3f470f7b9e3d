"""A stored run, shaped for reading: what every report format renders. Built only from the database."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.catalog.refs import display_name
from insights.frames import map_distinct
from insights.report.steps import next_level
from insights.store import Store
from insights.store import tables as t
from insights.store.rows import as_json

FAILING = ("fail", "unknown")
RESPONSE_SOURCES = {"analytics": "the Analytics API", "log_entries": "the incident list and its log entries",
                    "incidents": "the incident list alone"}


def account_lines(run: dict) -> list[str]:
    """Each PagerDuty account the run read, as one line: its API URL, when it was collected, the requests
    sent, and which source served its incident response (runs before migration 0009 recorded none)."""
    stored = run.get("pagerduty_accounts")
    records = json.loads(stored) if isinstance(stored, str) else stored if isinstance(stored, list) else []
    lines = []
    for record in records:
        source = record.get("response_source")
        lines.append(f"{record.get('account')}: {record.get('api_url') or 'no API URL'}, collected "
                     f"{record.get('collected_at') or 'at an unknown time'}, {record.get('requests', 0):,} requests"
                     + (f", incident response from {RESPONSE_SOURCES.get(source, source)}" if source else ""))
    return lines


@dataclass(frozen=True)
class RunView:
    run: dict
    entities: pd.DataFrame
    results: pd.DataFrame
    checks: pd.DataFrame
    scorecards: list[dict]
    scores: pd.DataFrame
    findings: pd.DataFrame
    organisation: pd.DataFrame
    previous_run_id: int | None
    changes: dict
    trend: pd.DataFrame
    team_trend: pd.DataFrame | None = None  # run_id, team, mean_score, pass_rate (the team's entities of now)
    check_trend: pd.DataFrame | None = None  # run_id, check_id, fail, unknown, pass_rate
    facts_loader: Callable[[], pd.DataFrame] | None = None  # the run's facts, read when first needed
    previous_sources: pd.DataFrame | None = None  # ref, source of the previous run's entities (the shrink gate)

    @functools.cached_property
    def facts(self) -> pd.DataFrame:
        return self.facts_loader() if self.facts_loader else pd.DataFrame()

    @functools.cached_property
    def links(self) -> dict[str, dict[str, str]]:
        """Per entity, the web addresses its facts hold (`catalog.file_url`, `pagerduty.service_url`, ...),
        by fact id. Renderers still pass each through `escape.safe_url`."""
        facts = self.facts
        columns = [c for c in facts.columns if c.endswith("_url")]
        if not columns:
            return {}
        frame = facts[columns]
        return {ref: {k: v for k, v in zip(columns, values) if isinstance(v, str) and v}
                for ref, values in zip(frame.index, frame.itertuples(index=False, name=None))}

    @functools.cached_property
    def members(self) -> pd.DataFrame:
        """The entities each team is counted with, everywhere: those at least one check applies to (a
        Group, User or Location that no check looks at belongs to no team's score), with their team."""
        refs = self.applicable["entity_ref"].unique()
        return self.entities[self.entities["ref"].isin(refs)].sort_values("ref")

    def team_members(self, team: str) -> pd.DataFrame:
        return self.members[self.members["team"] == team]

    @functools.cached_property
    def team_names(self) -> list[str]:
        return sorted(self.members["team"].unique())

    def next_levels(self, ref: str) -> list[dict]:
        """Per scorecard the entity is scored on: its level, and the next level with the checks in its way."""
        outcomes = {r["check_id"]: r["outcome"] for r in self.results_by_entity.get(ref, [])}
        cards = {card["id"]: card for card in self.scorecards}
        steps = []
        for score in self.scores_by_entity.get(ref, []):
            card = cards.get(score["scorecard_id"])
            if card is None:
                continue
            upcoming = next_level(card["levels"], outcomes)
            steps.append({"scorecard_id": card["id"], "scorecard": card["name"], "level": score["level"],
                          "score": score["score"], "next": upcoming[0] if upcoming else None,
                          "blocking": upcoming[1] if upcoming else []})
        return steps

    def unknown_reasons(self, refs=None) -> Counter:
        """How many unknown results each cause accounts for (of `refs`, or of the whole run)."""
        unknown = self.results[self.results["outcome"] == "unknown"]
        if refs is not None:
            unknown = unknown[unknown["entity_ref"].isin(refs)]
        return Counter(unknown["reason"].fillna("unknown").value_counts().to_dict())

    @functools.cached_property
    def results_by_entity(self) -> Grouped:
        """Every entity's check results as plain records, grouped once for all renderers."""
        return Grouped(self.results, "entity_ref")

    @functools.cached_property
    def scores_by_entity(self) -> Grouped:
        return Grouped(self.scores, "entity_ref")

    def todo(self, ref: str) -> list[dict]:
        """The entity's failing and unknown checks."""
        return [r for r in self.results_by_entity.get(ref, []) if r["outcome"] in FAILING]

    @property
    def applicable(self) -> pd.DataFrame:
        return self.results[self.results["outcome"] != "not-applicable"]

    def summary(self) -> dict:
        counts = self.applicable["outcome"].value_counts().to_dict()
        return {"entities": int(len(self.entities)), "checked": int(len(self.members)), "passed": int(counts.get("pass", 0)),
                "failed": int(counts.get("fail", 0)), "unknown": int(counts.get("unknown", 0)),
                "waived": int(counts.get("waived", 0)), "findings": int(len(self.findings)),
                "finding_errors": int((self.findings["severity"] == "error").sum()) if len(self.findings) else 0}

    def teams(self) -> pd.DataFrame:
        """One row per team (see `members`): entities, failing and unknown checks, mean score, pass rate."""
        owners = self.members.set_index("ref")["team"]
        applicable = self.applicable.assign(team=lambda f: f["entity_ref"].map(owners))
        table = applicable.groupby("team").agg(
            checks=("outcome", "size"), failing=("outcome", lambda o: int((o == "fail").sum())),
            unknown=("outcome", lambda o: int((o == "unknown").sum()))).astype("int64")  # int even when empty
        table["entities"] = self.members.groupby("team").size()
        scores = self.scores.assign(team=lambda f: f["entity_ref"].map(owners))
        table["mean_score"] = scores.groupby("team")["score"].mean().round(1)
        table["pass_rate"] = (100 * (table["checks"] - table["failing"] - table["unknown"]) / table["checks"]).round(1)
        return table.sort_values(["failing", "mean_score"], ascending=[False, True])

    def check_stats(self) -> pd.DataFrame:
        stats = self.applicable.groupby("check_id")["outcome"].value_counts().unstack(fill_value=0)
        for outcome in ("pass", "fail", "unknown", "waived"):
            if outcome not in stats:
                stats[outcome] = 0
        stats["pass_rate"] = (100 * stats["pass"] / stats[["pass", "fail"]].sum(axis=1).where(lambda s: s > 0)).round(1)
        names = self.checks.set_index("check_id")["name"]
        return stats.assign(name=stats.index.map(names)).sort_values("pass_rate")

    def levels(self) -> pd.DataFrame:
        if not len(self.scores):
            return pd.DataFrame()
        return self.scores.assign(level=self.scores["level"].fillna("none")).groupby(
            ["scorecard_id", "level"]).size().unstack(fill_value=0)

def facts_as_stored(facts: pd.DataFrame) -> pd.DataFrame:
    """A run's fact table (one row per entity, one column per fact) as `Store.facts` reads it back: each
    value through its stored JSON form (a NaN reads back as None, a tuple as a list), rows and columns in
    sorted order. Each distinct value is converted once."""
    if not len(facts) or not len(facts.columns):
        return pd.DataFrame()
    stored = pd.DataFrame({fact: map_distinct(facts[fact], _through_json) for fact in sorted(facts.columns)},
                          index=facts.index, dtype=object).sort_index()
    stored = stored.rename_axis(index="entity_ref", columns="fact_id")
    return stored.where(stored.notna(), None)


def _through_json(value):
    text = as_json(value)
    return None if text is None else json.loads(text)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts, missing values as None (built column by column: pandas' own row-wise
    conversion cost seconds per million rows)."""
    columns = [_values(frame[c]) for c in frame.columns]
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*columns)] if names else [{} for _ in range(len(frame))]


def _values(column: pd.Series) -> list:
    """A column as Python values, missing ones None; the rows of a text column share one object per distinct
    text (a million results name a few thousand entities, checks and reasons)."""
    if isinstance(column.dtype, pd.StringDtype):
        codes, uniques = pd.factorize(column)
        return np.append(np.asarray(uniques, dtype=object), None)[codes].tolist()
    return column.astype(object).where(column.notna(), None).tolist()


class Grouped:
    """A frame's rows by the value of one column, in their order, as plain dicts (see `records`) made when a
    group is asked for: a million results held as a dict each would cost hundreds of MB for the whole run."""

    def __init__(self, frame: pd.DataFrame, key: str):
        codes, uniques = pd.factorize(frame[key]) if len(frame) else (np.array([], dtype=np.int64), [])
        order = np.argsort(codes, kind="stable")
        ordered = frame.iloc[order]
        self.names, self.columns = list(frame.columns), [_values(ordered[c]) for c in frame.columns]
        starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        self.spans = {value: (int(starts[i]), int(starts[i + 1])) for i, value in enumerate(uniques)}
        self.last: tuple = (None, [])  # renderers ask for one entity's rows a few times in a row

    def get(self, key, default=None) -> list[dict] | None:
        if key not in self.spans:
            return default
        if self.last[0] != key:
            start, stop = self.spans[key]
            self.last = (key, [dict(zip(self.names, row)) for row in zip(*(c[start:stop] for c in self.columns))])
        return list(self.last[1])


def _changes(previous: int | None, results, before, entities, old_entities) -> dict:
    if previous is None:
        return {"previous_run_id": None, "newly_failing": [], "newly_passing": [], "new_entities": [],
                "removed_entities": []}
    merged = results.merge(before, on=["entity_ref", "check_id"], how="left", suffixes=("", "_before"))
    newly_failing = merged[(merged["outcome"] == "fail") & (merged["outcome_before"] != "fail")]
    newly_passing = merged[(merged["outcome"] == "pass") & (merged["outcome_before"] == "fail")]
    old_refs, new_refs = set(old_entities["ref"]), set(entities["ref"])
    return {"previous_run_id": previous,
            "newly_failing": newly_failing[["entity_ref", "check_id", "reason"]].to_dict("records"),
            "newly_passing": newly_passing[["entity_ref", "check_id"]].to_dict("records"),
            "new_entities": sorted(new_refs - old_refs), "removed_entities": sorted(old_refs - new_refs)}


def _trend(history: pd.DataFrame, scores: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    if not len(scores):
        return pd.DataFrame(columns=["run_id", "started_at", "mean_score", "pass_rate"])
    applicable = results[results["outcome"].isin(("pass", "fail"))]
    trend = pd.DataFrame({
        "mean_score": scores.groupby("run_id")["score"].mean().round(1),
        "pass_rate": (100 * applicable.groupby("run_id")["outcome"].apply(lambda o: (o == "pass").mean())).round(1),
    })
    started = history.set_index("id")["started_at"]
    return trend.assign(started_at=trend.index.map(started)).reset_index(names="run_id").sort_values("run_id")


def _team_trend(scores: pd.DataFrame, results: pd.DataFrame, teams: pd.Series) -> pd.DataFrame:
    """Mean score and pass rate per run of each team's entities as they are now (`teams`: ref -> team)."""
    columns = ["run_id", "team", "mean_score", "pass_rate"]
    if not len(scores):
        return pd.DataFrame(columns=columns)
    mean = scores.assign(team=scores["entity_ref"].map(teams)).groupby(["run_id", "team"])["score"].mean().round(1)
    known = results[results["outcome"].isin(("pass", "fail"))]
    known = known.assign(team=known["entity_ref"].map(teams), passed=known["outcome"] == "pass")
    rate = (100 * known.groupby(["run_id", "team"])["passed"].mean()).round(1)
    return pd.DataFrame({"mean_score": mean, "pass_rate": rate}).reset_index().reindex(columns=columns)


def _check_trend(results: pd.DataFrame) -> pd.DataFrame:
    counts = results.groupby(["run_id", "check_id"])["outcome"].value_counts().unstack(fill_value=0)
    for outcome in ("pass", "fail", "unknown"):
        if outcome not in counts:
            counts[outcome] = 0
    known = (counts["pass"] + counts["fail"]).where(lambda n: n > 0)
    return counts.assign(pass_rate=(100 * counts["pass"] / known).round(1))[["fail", "unknown", "pass_rate"]].reset_index()


def load_view(store: Store, run_id: int | None = None, trend_runs: int = 14) -> RunView:
    run_id = run_id or store.latest_run_id()
    if run_id is None:
        from insights.errors import StoreError

        raise StoreError("the database holds no successful run yet; run `insights run` first")
    run = store.run(run_id)
    if run["status"] != "succeeded":
        from insights.errors import StoreError

        raise StoreError(f"run {run_id} {run['status']}: {run.get('error') or 'no results'}; pick another --run")
    history = store.runs(status="succeeded", limit=500)
    trend_ids = [int(i) for i in history["id"] if int(i) <= run_id][:trend_runs]
    previous = store.latest_run_id(before=run_id)
    run_ids = list(dict.fromkeys([run_id] + ([previous] if previous else []) + trend_ids))
    # Each delta table is read once for every run the view shows.
    all_results, all_scores, all_entities = store.tables_for_runs(
        [t.check_results, t.scorecard_results, t.entities], run_ids)
    all_results = all_results.fillna({"reason": "", "fix": ""})

    def of(frame, run):
        return frame[frame["run_id"] == run].drop(columns=["run_id"]).reset_index(drop=True)

    entities = of(all_entities, run_id)
    entities["team"] = entities["owner"].map(lambda o: display_name(o) if isinstance(o, str) else "(no owner)")
    results = of(all_results, run_id)
    in_trend = all_results["run_id"].isin(trend_ids)
    trend_scores = all_scores[all_scores["run_id"].isin(trend_ids)]
    teams = entities.set_index("ref")["team"]
    return RunView(
        run=run, entities=entities, results=results, checks=store.table(t.checks, run_id),
        scorecards=[{"id": r.scorecard_id, "name": r.name, "levels": json.loads(r.levels)}
                    for r in store.table(t.scorecards, run_id).itertuples()],
        scores=of(all_scores, run_id), findings=store.table(t.findings, run_id),
        organisation=store.table(t.organisation_results, run_id), previous_run_id=previous,
        changes=_changes(previous, results, of(all_results, previous), entities, of(all_entities, previous)),
        trend=_trend(history, trend_scores, all_results[in_trend]),
        team_trend=_team_trend(trend_scores, all_results[in_trend], teams),
        check_trend=_check_trend(all_results[in_trend]), facts_loader=lambda: store.facts(run_id),
        previous_sources=of(all_entities, previous)[["ref", "source"]] if previous else None)
