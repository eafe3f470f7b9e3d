"""`insights explain`: one entity's facts and check results, with the fix for each failure. Text, or JSON
(`insights.explain/1`) for scripts."""

from __future__ import annotations

import pandas as pd

from insights.catalog.refs import parse_ref
from insights.errors import InsightsError
from insights.output.text import dump, fact_text, level_name, level_text, number, utc_time
from insights.report.escape import safe_url
from insights.report.steps import cause_line, causes, owners_and_platform
from insights.report.view import load_view, records

SCHEMA = "insights.explain/1"
ORDER = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3, "not-applicable": 4}
LINKS = (("catalog.file_url", "file"), ("catalog.entity_url", "Backstage"), ("pagerduty.service_url", "PagerDuty service"),
         ("pagerduty.escalation_policy_url", "escalation policy"), ("pagerduty.level1_schedule_url", "level-1 schedule"),
         ("pagerduty.oldest_open_incident_url", "oldest open incident"))


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
             f"{entity['repository'] + '/' if entity['repository'] else ''}{entity['path']}:{entity['line']})"]
    lines += [f"  {label}: {url}" for label, url in _links(view, ref).items()]
    lines.append("")
    for step in view.next_levels(ref):
        score = "unknown" if number(step["score"]) is None else step["score"]
        level = f"scorecard {step['scorecard_id']}: level {level_text(step['level'])}, score {score}"
        lines.append(level + (f"; next level {step['next']} needs {', '.join(step['blocking'])}" if step["next"]
                              else "; every level reached"))
    first, platform = owners_and_platform(causes(view.todo(ref)))
    if first:
        lines += ["", "first:"] + [f"  {cause_line(reason, checks)}" for reason, checks in first]
    if platform:
        lines += ["", "waiting on the platform team:"] + [f"  {cause_line(reason, checks)}" for reason, checks in platform]
    lines += ["", "checks:"]
    for row in _results(view, ref).itertuples():
        if row.outcome == "unknown" and (first or platform):
            lines.append(f"  {row.outcome:<14} {row.check_id} (waits on a cause above)")
            continue
        lines.append(f"  {row.outcome:<14} {row.check_id}" + (f": {row.reason}" if row.reason else ""))
        if row.fix:
            lines += ["      " + line for line in row.fix.splitlines()]
    lines += ["", "facts:"]
    facts = view.facts
    if ref in facts.index:
        for fact_id, value in facts.loc[ref].items():
            lines.append(f"  {fact_id} = {fact_text(fact_id, value)}")
    findings = view.findings[view.findings["entity_ref"] == ref]
    if len(findings):
        lines += ["", "catalog findings:"] + [f"  {f.severity}: {f.message} [{f.code}]" for f in findings.itertuples()]
    return "\n".join(lines)


def _links(view, ref: str) -> dict[str, str]:
    """Where the entity's file, Backstage page and PagerDuty objects are, by label (only http(s) links)."""
    links = view.links.get(ref, {})
    return {label: links[key] for key, label in LINKS if safe_url(links.get(key))}


def explain_json(store, entity_ref: str, run_id: int | None = None) -> str:
    """The same as `explain_entity`, as one JSON document with stable keys."""
    view, ref, entity = _lookup(store, entity_ref, run_id)
    facts = view.facts
    document = {
        "schema": SCHEMA,
        "run": {"id": int(view.run["id"]), "started_at": utc_time(view.run.get("started_at"))},
        "entity": {"ref": ref, "kind": entity["kind"], "name": entity["name"], "title": _text(entity["title"]),
                   "owner": _text(entity["owner"]), "team": entity["team"], "repository": _text(entity["repository"]),
                   "file": _text(entity["path"]), "line": None if pd.isna(entity["line"]) else int(entity["line"])},
        "links": _links(view, ref),
        "scorecards": [{"id": step["scorecard_id"], "level": level_name(step["level"]), "score": number(step["score"]),
                        "next_level": step["next"], "blocking": list(step["blocking"])}
                       for step in view.next_levels(ref)],
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
