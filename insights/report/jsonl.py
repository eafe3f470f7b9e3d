"""`entities.jsonl`: JSON Lines for tools that stream. The first line is the run (schema, run row, summary,
scorecards, checks); every other line is one entity with its facts, its outcome per check (`checks`), the
reason of every result that has one and the fix of every failing one (`details`), its scorecards (with the next level and the checks
in its way), catalog findings and web links. See README, "Machine formats"."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from insights.report.machine import header
from insights.report.view import RunView
from insights.report.view import records as _records

ENTITY_KEYS = ("ref", "kind", "namespace", "name", "title", "description", "owner", "team", "system", "lifecycle",
               "type", "source", "repository", "path", "line")


def _detail(row: dict) -> dict:
    """A result's reason, and the fix of a failing one (an unknown result's fix names unknown values)."""
    return {"check_id": row["check_id"], "outcome": row["outcome"], "reason": row["reason"] or None,
            "fix": (row["fix"] or None) if row["outcome"] == "fail" else None}


def lines(view: RunView):
    """The file's lines, without line ends."""
    yield json.dumps({"record": "run", **header(view)}, default=str)
    facts = view.facts
    fact_ids = list(facts.columns)
    fact_values = [facts[fact].tolist() for fact in fact_ids]  # each entity's dict is made when its line is
    position = {ref: i for i, ref in enumerate(facts.index)} if len(facts) else {}
    findings: dict[str, list[dict]] = {}
    for finding in _records(view.findings):
        if finding["entity_ref"]:
            findings.setdefault(finding["entity_ref"], []).append(
                {k: finding[k] for k in ("code", "severity", "message", "path", "line")})
    for entity in _records(view.entities.sort_values("ref")):
        ref = entity["ref"]
        results = view.results_by_entity.get(ref, [])
        steps = {s["scorecard_id"]: s for s in view.next_levels(ref)}
        yield json.dumps({
            "record": "entity", **{k: entity.get(k) for k in ENTITY_KEYS},
            "facts": dict(zip(fact_ids, (values[position[ref]] for values in fact_values))) if ref in position else {},
            "checks": {r["check_id"]: r["outcome"] for r in results},
            "details": [_detail(r) for r in results if r["reason"] or (r["fix"] and r["outcome"] == "fail")],
            "scorecards": [{"scorecard_id": s["scorecard_id"], "level": s["level"], "score": s["score"],
                            "next_level": steps.get(s["scorecard_id"], {}).get("next"),
                            "blocking": steps.get(s["scorecard_id"], {}).get("blocking", [])}
                           for s in view.scores_by_entity.get(ref, [])],
            "findings": findings.get(ref, []), "links": view.links.get(ref, {}),
        }, default=str)


def _write(view: RunView, path: Path, compress: bool) -> list[Path]:
    with open(path, "wb") as raw:
        # mtime 0: the same run gives the same bytes.
        stream = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) if compress else raw
        with io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as text:
            for line in lines(view):
                text.write(line + "\n")
    return [path]


def write(view: RunView, folder: Path) -> list[Path]:
    return _write(view, folder / "entities.jsonl", compress=False)


def write_gzip(view: RunView, folder: Path) -> list[Path]:
    return _write(view, folder / "entities.jsonl.gz", compress=True)
