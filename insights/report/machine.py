"""Machine-readable reports: JSON with a versioned schema (see README, "JSON report")."""

from __future__ import annotations

import csv
import json
from xml.etree import ElementTree

import pandas as pd

from insights.report.escape import clean, csv_cell
from insights.report.view import RunView
from insights.report.view import records as _records

SCHEMA = "insights.report/1"


def _without(rows: list[dict], key: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k != key} for row in rows]


def to_json(view: RunView, facts: pd.DataFrame | None = None) -> dict:
    facts_by_entity = facts.to_dict("index") if facts is not None else {}
    entities = [{**entity, "facts": facts_by_entity.get(entity["ref"], {}),
                 "checks": _without(view.results_by_entity.get(entity["ref"], []), "entity_ref"),
                 "scorecards": _without(view.scores_by_entity.get(entity["ref"], []), "entity_ref")}
                for entity in _records(view.entities)]
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


def render_csv(view: RunView) -> str:
    """One row per entity and check, for spreadsheets; every cell quoted, none read as a formula."""
    teams = view.entities.set_index("ref")[["kind", "team"]]
    frame = view.results.join(teams, on="entity_ref")
    columns = ["entity_ref", "kind", "team", "check_id", "outcome", "reason", "fix"]
    return frame[columns].astype(object).map(csv_cell).to_csv(index=False, quoting=csv.QUOTE_ALL)


def render_junit(view: RunView) -> str:
    """JUnit XML: a test suite per check, a test case per entity; failures carry the reason and the fix,
    unknown and not-applicable results are skipped with their reason. Every value goes through `clean`:
    XML 1.0 has no escape for control characters, so they are dropped."""
    root = ElementTree.Element("testsuites", name=f"insights run {view.run['id']}")
    for check_id, rows in view.results.groupby("check_id", sort=True):
        outcomes = rows["outcome"]
        suite = ElementTree.SubElement(root, "testsuite", name=clean(check_id), tests=str(len(rows)),
                                       failures=str(int((outcomes == "fail").sum())),
                                       skipped=str(int(outcomes.isin(("unknown", "not-applicable")).sum())))
        for row in rows.itertuples():
            case = ElementTree.SubElement(suite, "testcase", classname=clean(check_id), name=clean(row.entity_ref))
            if row.outcome == "fail":
                ElementTree.SubElement(case, "failure", message=clean(row.reason)).text = clean(row.fix or row.reason)
            elif row.outcome in ("unknown", "not-applicable"):
                ElementTree.SubElement(case, "skipped", message=clean(f"{row.outcome}: {row.reason}"))
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)
