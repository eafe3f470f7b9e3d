"""`insights explain`: one entity's facts and check results, with the fix for each failure. Text."""

from __future__ import annotations

import json

from insights.errors import InsightsError
from insights.report.escape import safe_url
from insights.report.steps import cause_line, causes
from insights.report.view import load_view

LINKS = (("catalog.file_url", "file"), ("catalog.entity_url", "Backstage"), ("pagerduty.service_url", "PagerDuty service"),
         ("pagerduty.escalation_policy_url", "escalation policy"))


def explain_entity(store, entity_ref: str, run_id: int | None = None) -> str:
    view = load_view(store, store.readable_run(run_id), trend_runs=1)  # one entity needs no trend
    ref = entity_ref.lower() if ":" in entity_ref else f"component:default/{entity_ref.lower()}"
    entities = view.entities[view.entities["ref"] == ref]
    if not len(entities):
        raise InsightsError(f"run {view.run['id']} has no entity {ref}; refs look like component:default/name")
    entity = entities.iloc[0]
    lines = [f"{ref}  (run {view.run['id']}, owner {entity['team']}, defined at "
             f"{entity['repository'] + '/' if entity['repository'] else ''}{entity['path']}:{entity['line']})"]
    links = view.links.get(ref, {})
    lines += [f"  {label}: {links[key]}" for key, label in LINKS if safe_url(links.get(key))]
    lines.append("")
    for step in view.next_levels(ref):
        level = f"scorecard {step['scorecard_id']}: level {step['level'] or 'none'}, score {step['score']}"
        lines.append(level + (f"; next level {step['next']} needs {', '.join(step['blocking'])}" if step["next"]
                              else "; every level reached"))
    first = causes(view.todo(ref))
    if first:
        lines += ["", "first:"] + [f"  {cause_line(reason, checks)}" for reason, checks in first]
    lines += ["", "checks:"]
    order = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3, "not-applicable": 4}
    results = view.results[view.results["entity_ref"] == ref].sort_values("outcome", key=lambda s: s.map(order))
    for row in results.itertuples():
        if row.outcome == "unknown" and first:
            lines.append(f"  {row.outcome:<14} {row.check_id} (waits on a cause above)")
            continue
        lines.append(f"  {row.outcome:<14} {row.check_id}" + (f": {row.reason}" if row.reason else ""))
        if row.fix:
            lines += ["      " + line for line in row.fix.splitlines()]
    lines += ["", "facts:"]
    facts = view.facts
    if ref in facts.index:
        for fact_id, value in facts.loc[ref].items():
            lines.append(f"  {fact_id} = {'unknown' if value is None else json.dumps(value)}")
    findings = view.findings[view.findings["entity_ref"] == ref]
    if len(findings):
        lines += ["", "catalog findings:"] + [f"  {f.severity}: {f.message} [{f.code}]" for f in findings.itertuples()]
    return "\n".join(lines)
