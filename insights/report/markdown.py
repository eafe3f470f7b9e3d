"""The Markdown summary: fit for a CI job summary or a pull-request comment, and always under the
size limit those accept (the long detail is cut with a pointer to the HTML and JSON reports)."""

from __future__ import annotations

import json

import pandas as pd

from insights.report.view import RunView

LIMIT = 60_000


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(frame: pd.DataFrame, columns: dict[str, str], limit: int = 100) -> str:
    head = "| " + " | ".join(columns.values()) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join(_cell(row[c]) for c in columns) + " |\n" for _, row in frame.head(limit).iterrows())
    more = f"\n… and {len(frame) - limit} more rows in report.html and report.json.\n" if len(frame) > limit else ""
    return head + body + more


def _changes(view: RunView) -> str:
    c = view.changes
    if c["previous_run_id"] is None:
        return "First run in this database: nothing to compare with yet.\n"
    lines = [f"Compared with run {c['previous_run_id']}: {len(c['newly_failing'])} newly failing, "
             f"{len(c['newly_passing'])} newly passing, {len(c['new_entities'])} new and "
             f"{len(c['removed_entities'])} removed entities."]
    if not any(c[k] for k in ("newly_failing", "newly_passing", "new_entities", "removed_entities")):
        lines.append("No check result changed.")
    lines += [f"- newly failing: `{x['entity_ref']}` {x['check_id']}: {x['reason']}" for x in c["newly_failing"][:30]]
    lines += [f"- newly passing: `{x['entity_ref']}` {x['check_id']}" for x in c["newly_passing"][:30]]
    lines += [f"- new entity: `{r}`" for r in c["new_entities"][:30]]
    lines += [f"- removed entity: `{r}`" for r in c["removed_entities"][:30]]
    return "\n".join(lines) + "\n"


def _organisation(view: RunView) -> str:
    org = view.organisation
    orphans = org[org["kind"] == "orphan-service"]
    shared = org[org["kind"] == "shared-service"]
    out = "## PagerDuty services not in the catalog\n\n"
    out += table(orphans, {"service_id": "id", "service_name": "service"}) if len(orphans) else "None.\n"
    out += "\n## PagerDuty services shared by several entities\n\n"
    if len(shared):
        rows = shared.assign(entities=shared["detail"].map(lambda d: ", ".join(json.loads(d)["entities"])))
        out += table(rows, {"service_id": "id", "service_name": "service", "entities": "entities"})
    else:
        out += "None.\n"
    return out


def _failures(view: RunView) -> list[str]:
    """Failing checks with their reasons; unknown ones are counted, with their most common cause."""
    blocks = []
    for team, entities in view.entities.sort_values("ref").groupby("team"):
        lines = [f"### {team}\n"]
        for ref in entities["ref"]:
            todo = view.todo(ref)
            if not todo:
                continue
            lines.append(f"- `{ref}`")
            unknown = [r["reason"].split(": ", 1)[-1] for r in todo if r["outcome"] == "unknown"]
            lines += [f"  - **{r['check_id']}** fails: {r['reason']}" for r in todo if r["outcome"] == "fail"]
            if unknown:
                lines.append(f"  - {len(unknown)} checks unknown ({max(set(unknown), key=unknown.count)})")
        if len(lines) == 1:
            continue
        blocks.append("\n".join(lines) + "\n")
    return blocks


def render(view: RunView) -> str:
    s, run = view.summary(), view.run
    parts = [
        f"# Tech Insights report: run {run['id']}\n\n"
        f"{run['started_at']:%Y-%m-%d %H:%M} UTC · {s['entities']} entities · {s['passed']} checks passed, "
        f"{s['failed']} failed, {s['unknown']} unknown, {s['waived']} waived · {s['findings']} catalog findings\n",
        "## What changed\n\n" + _changes(view),
    ]
    levels = view.levels()
    for card in view.scorecards:
        scores = view.scores[view.scores["scorecard_id"] == card["id"]]
        counts = levels.loc[card["id"]] if card["id"] in levels.index else pd.Series(dtype=int)
        names = [lvl["name"] for lvl in card["levels"]] + ["none"]
        parts.append(f"## Scorecard: {card['name']}\n\nMean score {scores['score'].mean():.1f} over {len(scores)} "
                     "entities. " + ", ".join(f"{n}: {int(counts.get(n, 0))}" for n in names) + "\n")
    teams = view.teams().reset_index()
    parts.append("## Teams (most failures first)\n\n" + table(teams, {
        "team": "team", "entities": "entities", "failing": "failing checks", "unknown": "unknown",
        "mean_score": "mean score", "pass_rate": "pass rate %"}))
    stats = view.check_stats().reset_index()
    parts.append("## Checks\n\n" + table(stats, {"check_id": "check", "name": "name", "pass": "pass", "fail": "fail",
                                                  "unknown": "unknown", "pass_rate": "pass rate %"}))
    parts.append(_organisation(view))
    findings = view.findings.sort_values(["severity", "path"])
    findings = findings.assign(file=[f"{source.rstrip('/').rsplit('/', 1)[-1]}/{path}" if source else path
                                     for source, path in zip(findings["source"], findings["path"])])
    parts.append("## Catalog findings\n\n" + (table(findings, {"severity": "severity", "code": "code", "file": "file",
                                                               "line": "line", "message": "message"})
                                             if len(findings) else "None.\n"))
    detail = ["## Failing and unknown checks by team\n\nThe fix for each is in the team files "
              "(`teams/<team>.md`) and in `insights explain <entity-ref>`.\n"] + _failures(view)
    text = "\n".join(parts)
    for index, block in enumerate(detail):
        if len(text) + len(block) + 200 > LIMIT:
            text += (f"\n… {len(detail) - index} more team sections left out to stay under {LIMIT:,} characters; "
                     "see report.html or report.json for the full detail.\n")
            break
        text += "\n" + block
    return text
