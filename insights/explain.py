"""`insights explain`: one entity's facts and check results, with the fix for each failure. Text."""

from __future__ import annotations

import json

from insights.errors import InsightsError
from insights.report.view import load_view


def explain_entity(store, entity_ref: str, run_id: int | None = None) -> str:
    view = load_view(store, store.readable_run(run_id), trend_runs=1)  # one entity needs no trend
    ref = entity_ref.lower() if ":" in entity_ref else f"component:default/{entity_ref.lower()}"
    entities = view.entities[view.entities["ref"] == ref]
    if not len(entities):
        raise InsightsError(f"run {view.run['id']} has no entity {ref}; refs look like component:default/name")
    entity = entities.iloc[0]
    lines = [f"{ref}  (run {view.run['id']}, owner {entity['team']}, defined at "
             f"{entity['repository'] + '/' if entity['repository'] else ''}{entity['path']}:{entity['line']})", ""]
    for card in view.scores[view.scores["entity_ref"] == ref].itertuples():
        lines.append(f"scorecard {card.scorecard_id}: level {card.level or 'none'}, score {card.score}")
    lines += ["", "checks:"]
    order = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3, "not-applicable": 4}
    results = view.results[view.results["entity_ref"] == ref].sort_values("outcome", key=lambda s: s.map(order))
    for row in results.itertuples():
        lines.append(f"  {row.outcome:<14} {row.check_id}" + (f": {row.reason}" if row.reason else ""))
        if row.fix:
            lines += ["      " + line for line in row.fix.splitlines()]
    lines += ["", "facts:"]
    facts = store.facts(view.run["id"])
    if ref in facts.index:
        for fact_id, value in facts.loc[ref].items():
            lines.append(f"  {fact_id} = {'unknown' if value is None else json.dumps(value)}")
    findings = view.findings[view.findings["entity_ref"] == ref]
    if len(findings):
        lines += ["", "catalog findings:"] + [f"  {f.severity}: {f.message} [{f.code}]" for f in findings.itertuples()]
    return "\n".join(lines)
