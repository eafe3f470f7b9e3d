"""`insights history` as a table for people and as JSON (`insights.history/1`) for scripts."""

from __future__ import annotations

import pandas as pd

from insights.output.text import MISSING, dump, level_text, number, table, utc_time

SCHEMA = "insights.history/1"
COMMON = [("run_id", "run"), ("started", "started (UTC)"), ("scorecard_id", "scorecard")]
ENTITY_COLUMNS = COMMON + [("level", "level"), ("score", "score"), ("failing", "failing checks")]
TEAM_COLUMNS = COMMON + [("entities", "entities"), ("mean_score", "mean score"), ("levels", "levels"),
                         ("failing_checks", "failing checks")]


def _levels(counts: dict) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count) or MISSING


def _score(value) -> str:
    return MISSING if number(value) is None else f"{number(value):.1f}"


def render_text(frame: pd.DataFrame, team: bool) -> str:
    rows = []
    for row in frame.to_dict("records"):
        started = (utc_time(row["started_at"]) or MISSING)[:16].replace("T", " ")
        if team:
            rows.append({**row, "started": started, "mean_score": _score(row["mean_score"]),
                         "levels": _levels(row["levels"])})
        else:
            rows.append({**row, "started": started, "level": level_text(row["level"]), "score": _score(row["score"]),
                         "failing": ", ".join(row["failing"]) or MISSING})
    numbers = ("run_id", "score", "entities", "mean_score", "failing_checks")
    return table(TEAM_COLUMNS if team else ENTITY_COLUMNS, rows, right=numbers)


def render_json(frame: pd.DataFrame, *, entity: str | None = None, team: str | None = None) -> str:
    runs = []
    for row in frame.to_dict("records"):
        shaped = {"run_id": int(row["run_id"]), "started_at": utc_time(row["started_at"]),
                  "scorecard_id": row["scorecard_id"]}
        if team:
            shaped |= {"entities": int(row["entities"]), "mean_score": number(row["mean_score"]),
                       "levels": row["levels"], "failing_checks": int(row["failing_checks"])}
        else:
            shaped |= {"level": row["level"], "score": number(row["score"]), "failing": list(row["failing"])}
        runs.append(shaped)
    return dump({"schema": SCHEMA, "entity": entity, "team": team, "runs": runs})
