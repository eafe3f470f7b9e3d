"""Machine-readable reports: JSON with a versioned schema (see README, "JSON report")."""

from __future__ import annotations

import json

import pandas as pd

from insights.report.view import RunView

SCHEMA = "insights.report/1"


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def to_json(view: RunView, facts: pd.DataFrame | None = None) -> dict:
    results = view.results.groupby("entity_ref")
    scores = view.scores.groupby("entity_ref")
    entities = []
    for entity in _records(view.entities):
        ref = entity["ref"]
        checks = _records(results.get_group(ref).drop(columns="entity_ref")) if ref in results.groups else []
        cards = _records(scores.get_group(ref).drop(columns="entity_ref")) if ref in scores.groups else []
        entity_facts = facts.loc[ref].to_dict() if facts is not None and ref in facts.index else {}
        entities.append({**entity, "facts": entity_facts, "checks": checks, "scorecards": cards})
    run = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in view.run.items()}
    for key in ("sources", "pagerduty_requests"):
        run[key] = json.loads(run[key]) if isinstance(run.get(key), str) else run.get(key)
    organisation = [{**o, "detail": json.loads(o["detail"]) if o.get("detail") else None}
                    for o in _records(view.organisation)]
    return {"schema": SCHEMA, "run": run, "summary": view.summary(), "changes": view.changes,
            "scorecards": view.scorecards, "checks": _records(view.checks), "entities": entities,
            "findings": _records(view.findings), "organisation": organisation}


def render_json(view: RunView, facts: pd.DataFrame | None = None) -> str:
    return json.dumps(to_json(view, facts), indent=1, default=str, sort_keys=False)
