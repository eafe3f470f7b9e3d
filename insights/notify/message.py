"""What to tell a team after a run: the checks that newly fail since the previous run, and where the team
stands. Pure: built from a stored run's view; the formats decide how it looks.

Catalog and PagerDuty text is untrusted. Every string taken from it is cleaned of control characters and
clipped here, so no format is handed an unbounded value; each format then escapes for its own syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from insights.report.escape import bounded, clean, safe_url
from insights.report.teams import file_name
from insights.report.view import RunView

MAX_FAILURES = 100  # in one notice; a format shows fewer when its limits require
TOP_FIXES = 3
NAME_CHARS = 120
REASON_CHARS = 300
FIX_CHARS = 600


def clip(text, limit: int, *, multiline: bool = False) -> str:
    """`text` as any format can carry it (see `report.escape.clean`), at most `limit` characters: one line
    with whitespace runs collapsed, or (`multiline`) its lines kept with their indentation, as fix texts
    hold YAML."""
    text = clean(None if text is pd.NA else text)
    if multiline:
        text = "\n".join(line.expandtabs(2).rstrip() for line in text.splitlines()).strip("\n")
    else:
        text = " ".join(text.split())
    return bounded(text, limit)


@dataclass(frozen=True)
class Failure:
    entity_ref: str
    entity: str
    check_id: str
    check: str
    reason: str
    fix: str
    file_url: str | None = None  # the entity's descriptor at its line, in the repository's web UI


@dataclass(frozen=True)
class Standing:
    """One scorecard over the team's entities."""

    scorecard_id: str
    name: str
    entities: int
    mean_score: float | None
    levels: tuple[tuple[str, int], ...]  # every level in order, then "none"


@dataclass(frozen=True)
class TopFix:
    """A check failing for several of the team's entities: fixing it helps most."""

    check_id: str
    check: str
    entities: int
    example: str  # the entity the fix text was written for
    fix: str


@dataclass(frozen=True)
class Notice:
    team: str
    run_id: int
    started_at: str
    previous_run_id: int | None  # None: a first run, and `newly_failing` is everything failing
    newly_failing: tuple[Failure, ...]
    newly_failing_total: int
    entities: int
    failing: int
    unknown: int
    standings: tuple[Standing, ...]
    top_fixes: tuple[TopFix, ...]
    links: dict[str, str] = field(default_factory=dict)  # report, team -> URL


def notices(view: RunView, *, initial: bool = False, base_url: str | None = None) -> list[Notice]:
    """One notice per team for which a check newly fails, in team order. A first run (nothing to compare
    with) gives none unless `initial`, and then everything failing counts as new."""
    first = view.previous_run_id is None
    if first and not initial:
        return []
    team_of = view.entities.drop_duplicates("ref").set_index("ref")["team"]
    failing = view.results[view.results["outcome"] == "fail"]
    failing = failing.assign(team=failing["entity_ref"].map(team_of)).sort_values(["entity_ref", "check_id"])
    fresh = failing
    if not first:
        new = {(x["entity_ref"], x["check_id"]) for x in view.changes["newly_failing"]}
        fresh = failing[[key in new for key in zip(failing["entity_ref"], failing["check_id"])]]
    table = view.teams()
    return [_notice(view, str(team), rows, failing[failing["team"] == team], table, base_url)
            for team, rows in fresh.groupby("team", sort=True)]


def _notice(view: RunView, team: str, fresh: pd.DataFrame, failing: pd.DataFrame, table: pd.DataFrame,
            base_url: str | None) -> Notice:
    names = _entity_names(view)
    links = view.links
    checks = view.checks.set_index("check_id")
    row = table.loc[team] if team in table.index else {}
    refs = set(view.entities.loc[view.entities["team"] == team, "ref"])
    return Notice(
        team=clip(team, NAME_CHARS), run_id=int(view.run["id"]), started_at=f"{view.run['started_at']:%Y-%m-%dT%H:%M:%SZ}",
        previous_run_id=view.previous_run_id,
        newly_failing=tuple(Failure(
            entity_ref=clip(r.entity_ref, NAME_CHARS * 2), entity=names.get(r.entity_ref, ""),
            check_id=clip(r.check_id, NAME_CHARS), check=clip(_check_name(checks, r.check_id), NAME_CHARS),
            reason=clip(r.reason, REASON_CHARS), fix=clip(r.fix, FIX_CHARS, multiline=True),
            file_url=safe_url(links.get(r.entity_ref, {}).get("catalog.file_url")))
            for r in fresh.head(MAX_FAILURES).itertuples()),
        newly_failing_total=len(fresh), entities=int(row.get("entities", 0)), failing=int(row.get("failing", 0)),
        unknown=int(row.get("unknown", 0)), standings=_standings(view, refs),
        top_fixes=_top_fixes(failing, checks, names), links=_links(base_url, team))


def _entity_names(view: RunView) -> dict[str, str]:
    entities = view.entities.drop_duplicates("ref")
    return {ref: clip(title if isinstance(title, str) and title.strip() else name, NAME_CHARS)
            for ref, name, title in zip(entities["ref"], entities["name"], entities["title"])}


def _check_name(checks: pd.DataFrame, check_id: str) -> str:
    return str(checks.at[check_id, "name"]) if check_id in checks.index else check_id


def _standings(view: RunView, refs: set[str]) -> tuple[Standing, ...]:
    scores = view.scores[view.scores["entity_ref"].isin(refs)]
    standings = []
    for card in view.scorecards:
        own = scores[scores["scorecard_id"] == card["id"]]
        if not len(own):
            continue
        counts = own["level"].fillna("none").value_counts()
        levels = [level["name"] for level in card["levels"]] + ["none"]
        mean = own["score"].mean()
        standings.append(Standing(
            scorecard_id=card["id"], name=clip(card["name"], NAME_CHARS), entities=len(own),
            mean_score=None if pd.isna(mean) else round(float(mean), 1),
            levels=tuple((clip(level, NAME_CHARS), int(counts.get(level, 0))) for level in levels)))
    return tuple(standings)


def _top_fixes(failing: pd.DataFrame, checks: pd.DataFrame, names: dict[str, str]) -> tuple[TopFix, ...]:
    """The checks failing for most of the team's entities, weighted as the scorecards weigh them."""
    if not len(failing):
        return ()
    counts = failing.groupby("check_id")["entity_ref"].nunique()
    weights = counts.index.map(lambda c: float(checks.at[c, "weight"]) if c in checks.index else 1.0)
    ranked = pd.DataFrame({"entities": counts, "gain": counts * list(weights)}).reset_index()
    ranked = ranked.sort_values(["gain", "check_id"], ascending=[False, True]).head(TOP_FIXES)
    fixes = []
    for check_id, entities in zip(ranked["check_id"], ranked["entities"]):
        example = failing[failing["check_id"] == check_id].iloc[0]
        fixes.append(TopFix(check_id=clip(check_id, NAME_CHARS), check=clip(_check_name(checks, check_id), NAME_CHARS),
                            entities=int(entities), example=names.get(example["entity_ref"], ""),
                            fix=clip(example["fix"] or example["reason"], FIX_CHARS, multiline=True)))
    return tuple(fixes)


def _links(base_url: str | None, team: str) -> dict[str, str]:
    if not base_url:
        return {}
    base = base_url.rstrip("/")
    return {"report": f"{base}/report.html", "team": f"{base}/teams/{quote(file_name(team))}.md"}
