"""`insights explain`: one entity's facts and check results, with the fix for each failure. Text, or JSON
(`insights.explain/1`) for scripts."""

from __future__ import annotations

import pandas as pd

from insights.catalog.refs import parse_ref
from insights.errors import InsightsError
from insights.output.text import dump, fact_text, level_name, level_text, number, utc_time
from insights.report.view import load_view, records

SCHEMA = "insights.explain/1"
ORDER = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3, "not-applicable": 4}


def entity_ref(text: str) -> str | None:
    """`checkout`, `component:checkout`, `default/checkout` or `component:default/checkout`, as a ref."""
    return parse_ref(text, default_kind="component", default_namespace="default") if text.strip() else None


def _lookup(store, text: str, run_id: int | None):
    view = load_view(store, store.readable_run(run_id), trend_runs=1)  # one entity needs no trend
    ref = entity_ref(text)
    entities = view.entities[view.entities["ref"] == ref]
    if not len(entities):
        raise InsightsError(f"run {view.run['id']} has no entity {ref or text}; refs look like component:default/name")
    return view, ref, entities.iloc[0]


def _results(view, ref: str) -> pd.DataFrame:
    return view.results[view.results["entity_ref"] == ref].sort_values(
        ["outcome", "check_id"], key=lambda s: s.map(ORDER) if s.name == "outcome" else s)


def explain_entity(store, entity_ref: str, run_id: int | None = None) -> str:
    view, ref, entity = _lookup(store, entity_ref, run_id)
    lines = [f"{ref}  (run {view.run['id']}, owner {entity['team']}, defined at "
             f"{entity['repository'] + '/' if entity['repository'] else ''}{entity['path']}:{entity['line']})", ""]
    for card in view.scores[view.scores["entity_ref"] == ref].itertuples():
        lines.append(f"scorecard {card.scorecard_id}: level {level_text(card.level)}, score "
                     f"{'unknown' if number(card.score) is None else card.score}")
    lines += ["", "checks:"]
    for row in _results(view, ref).itertuples():
        lines.append(f"  {row.outcome:<14} {row.check_id}" + (f": {row.reason}" if row.reason else ""))
        if row.fix:
            lines += ["      " + line for line in row.fix.splitlines()]
    lines += ["", "facts:"]
    facts = store.facts(view.run["id"])
    if ref in facts.index:
        for fact_id, value in facts.loc[ref].items():
            lines.append(f"  {fact_id} = {fact_text(fact_id, value)}")
    findings = view.findings[view.findings["entity_ref"] == ref]
    if len(findings):
        lines += ["", "catalog findings:"] + [f"  {f.severity}: {f.message} [{f.code}]" for f in findings.itertuples()]
    return "\n".join(lines)


def explain_json(store, entity_ref: str, run_id: int | None = None) -> str:
    """The same as `explain_entity`, as one JSON document with stable keys."""
    view, ref, entity = _lookup(store, entity_ref, run_id)
    facts = store.facts(view.run["id"])
    document = {
        "schema": SCHEMA,
        "run": {"id": int(view.run["id"]), "started_at": utc_time(view.run.get("started_at"))},
        "entity": {"ref": ref, "kind": entity["kind"], "name": entity["name"], "title": _text(entity["title"]),
                   "owner": _text(entity["owner"]), "team": entity["team"], "repository": _text(entity["repository"]),
                   "file": _text(entity["path"]), "line": None if pd.isna(entity["line"]) else int(entity["line"])},
        "scorecards": [{"id": card.scorecard_id, "level": level_name(card.level), "score": number(card.score)}
                       for card in view.scores[view.scores["entity_ref"] == ref].itertuples()],
        "checks": [{"id": r["check_id"], "outcome": r["outcome"], "reason": r["reason"] or None,
                    "fix": r["fix"] or None} for r in records(_results(view, ref))],
        "facts": dict(facts.loc[ref].items()) if ref in facts.index else {},
        "findings": [{"code": f["code"], "severity": f["severity"], "message": f["message"], "file": f["path"],
                      "line": None if f["line"] is None else int(f["line"])}
                     for f in records(view.findings[view.findings["entity_ref"] == ref])],
    }
    return dump(document)


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None
