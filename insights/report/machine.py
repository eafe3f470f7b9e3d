"""Machine-readable reports: `report.json`, the run and its summary (schema `insights.report/2`, see
README "Machine formats"; the entities are in `entities.jsonl`), and CSV."""

from __future__ import annotations

import csv
import io
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from insights.frames import map_distinct
from insights.report.escape import csv_cell
from insights.report.view import RunView
from insights.report.view import records as _records

SCHEMA = "insights.report/2"
CSV_CHUNK = 50_000  # rows formatted at a time


def run_record(view: RunView) -> dict:
    """The run row as JSON values: times as ISO text, JSON columns parsed. Stage timings are left to the
    metrics file and the database, so that a run's reports are the same whenever they are rendered."""
    run = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in view.run.items() if k != "stages"}
    for key in ("sources", "pagerduty_requests", "pagerduty_accounts", "fact_ids"):
        run[key] = json.loads(run[key]) if isinstance(run.get(key), str) else run.get(key)
    return run


def header(view: RunView) -> dict:
    """What the run says as a whole: the first line of entities.jsonl, and the core of report.json."""
    changes = view.changes
    return {"schema": SCHEMA, "run": run_record(view),
            "summary": {**view.summary(), "unknown_reasons": dict(view.unknown_reasons().most_common())},
            "changes": {"previous_run_id": changes["previous_run_id"],
                        **{key: len(changes[key]) for key in ("newly_failing", "newly_passing", "new_entities",
                                                              "removed_entities")}},
            "scorecards": view.scorecards, "checks": _records(view.checks)}


def to_json(view: RunView) -> dict:
    organisation = [{**o, "detail": json.loads(o["detail"]) if o.get("detail") else None}
                    for o in _records(view.organisation)]
    return {**header(view), "changes": view.changes, "entities_file": "entities.jsonl",
            "teams": _records(view.teams().reset_index()), "check_stats": _records(view.check_stats().reset_index()),
            "findings": _records(view.findings), "organisation": organisation}


def render_json(view: RunView) -> str:
    return json.dumps(to_json(view), indent=1, default=str)


def csv_lines(view: RunView):
    """report.csv in pieces: one row per entity and check, for spreadsheets; every cell quoted, none read as
    a formula (`csv_cell`, applied once per distinct value of a column)."""
    teams = view.entities.set_index("ref")[["kind", "team"]]
    frame = view.results.join(teams, on="entity_ref")
    columns = ["entity_ref", "kind", "team", "check_id", "outcome", "reason", "fix"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(columns)
    cells = [map_distinct(frame[c], csv_cell) for c in columns]
    cells = [np.where(pd.isna(values), "", values) for values in cells]  # what csv_cell makes of a missing value
    for start in range(0, len(frame), CSV_CHUNK):
        writer.writerows(zip(*(values[start:start + CSV_CHUNK] for values in cells)))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def render_csv(view: RunView) -> str:
    return "".join(csv_lines(view))


def write_json(view: RunView, folder: Path) -> list[Path]:
    (folder / "report.json").write_text(render_json(view), encoding="utf-8")
    return [folder / "report.json"]


def write_csv(view: RunView, folder: Path) -> list[Path]:
    with open(folder / "report.csv", "w", encoding="utf-8", newline="") as out:
        out.writelines(csv_lines(view))
    return [folder / "report.csv"]


def write_csv_gzip(view: RunView, folder: Path) -> list[Path]:
    # As `gzip.compress(..., mtime=0)` writes it (zlib's own header, mtime 0): the same run gives the same bytes.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    with open(folder / "report.csv.gz", "wb") as out:
        for piece in csv_lines(view):
            out.write(compressor.compress(piece.encode("utf-8")))
        out.write(compressor.flush())
    return [folder / "report.csv.gz"]
