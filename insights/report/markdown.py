"""The Markdown summary: fit for a CI job summary or a pull-request comment, and always under the
size limit those accept, whatever the catalog holds: every value is escaped and cut to a bounded length,
every table and list stops at a budget with a pointer to the HTML and JSON reports, and the whole text is
capped last."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd

from insights.facts.causes import for_platform
from insights.report.escape import md_code, md_link, md_text
from insights.report.steps import unknown_summary
from insights.report.teams import file_name
from insights.report.view import RunView, account_lines

LIMIT = 60_000
CELL = 200  # characters of one catalog or PagerDuty value in a table cell or list line
SECTION = 8_000  # a table or list stops here
TEAM_LINE = 600  # a team's unknown causes, on one line


def table(frame: pd.DataFrame, columns: dict[str, str], limit: int = 100, budget: int = SECTION,
          links: dict[str, str] | None = None) -> str:
    """Rows of `frame` as a Markdown table; `links` maps a column to the column holding its URL."""
    links = links or {}
    head = "| " + " | ".join(columns.values()) + " |\n|" + "---|" * len(columns) + "\n"
    rows: list[str] = []
    size = len(head)
    for _, row in frame.head(limit).iterrows():
        cells = [md_link(md_text(row[c], CELL), row[links[c]]) if c in links else md_text(row[c], CELL)
                 for c in columns]
        line = "| " + " | ".join(cells) + " |\n"
        if size + len(line) > budget:
            break
        rows.append(line)
        size += len(line)
    left = len(frame) - len(rows)
    more = f"\n… and {left} more rows in report.html and report.json.\n" if left else ""
    return head + "".join(rows) + more


def bounded_lines(lines: list[str], budget: int, more: str) -> list[str]:
    """`lines` up to `budget` characters; `more` (with {n}, the number left out) ends a cut list."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > budget:
            return kept + [more.format(n=len(lines) - len(kept))]
        kept.append(line)
        size += len(line) + 1
    return kept


def _changes(view: RunView) -> str:
    c = view.changes
    if c["previous_run_id"] is None:
        return "First run in this database: nothing to compare with yet.\n"
    lines = [f"Compared with run {c['previous_run_id']}: {len(c['newly_failing'])} newly failing, "
             f"{len(c['newly_passing'])} newly passing, {len(c['new_entities'])} new and "
             f"{len(c['removed_entities'])} removed entities."]
    if not any(c[k] for k in ("newly_failing", "newly_passing", "new_entities", "removed_entities")):
        lines.append("No check result changed.")
    listed = [f"- newly failing: {md_code(x['entity_ref'], CELL)} {md_text(x['check_id'], CELL)}: "
              f"{md_text(x['reason'], CELL)}" for x in c["newly_failing"][:30]]
    listed += [f"- newly passing: {md_code(x['entity_ref'], CELL)} {md_text(x['check_id'], CELL)}"
               for x in c["newly_passing"][:30]]
    listed += [f"- new entity: {md_code(r, CELL)}" for r in c["new_entities"][:30]]
    listed += [f"- removed entity: {md_code(r, CELL)}" for r in c["removed_entities"][:30]]
    return "\n".join(lines + bounded_lines(listed, SECTION, "- … {n} more changes in report.html")) + "\n"


def _platform(view: RunView) -> str:
    """The causes only the platform team can remove, with the unknown results and teams waiting on each:
    owners see them as a note, not as something to do."""
    unknown = view.results[view.results["outcome"] == "unknown"]
    unknown = unknown[unknown["reason"].map(for_platform)]
    if not len(unknown):
        return ""
    teams = unknown["entity_ref"].map(view.members.set_index("ref")["team"]).groupby(unknown["reason"]).nunique()
    lines = [f"- {md_text(reason, CELL)}: {count} unknown results, {_teams(int(teams.get(reason, 0)))} wait on it"
             for reason, count in unknown["reason"].value_counts().items()]
    return ("## Waiting on the platform team\n\nOnly a change to this job's configuration, its PagerDuty key or "
            "the account removes these; team files show them as a note, not as a to-do.\n\n"
            + "\n".join(bounded_lines(lines, SECTION, "- … {n} more causes in report.json")) + "\n")


def _teams(n: int) -> str:
    return f"{n} team{'s' if n != 1 else ''}"


def _organisation(view: RunView) -> str:
    org = view.organisation.assign(detail=view.organisation["detail"].map(
        lambda d: json.loads(d) if isinstance(d, str) else {}))
    org = org.assign(html_url=org["detail"].map(lambda d: d.get("html_url")))
    orphans = org[org["kind"] == "orphan-service"]
    shared = org[org["kind"] == "shared-service"]
    out = "## PagerDuty services not in the catalog\n\n"
    out += (table(orphans, {"service_id": "id", "service_name": "service"}, links={"service_name": "html_url"})
            if len(orphans) else "None.\n")
    out += "\n## PagerDuty services shared by several entities\n\n"
    if len(shared):
        rows = shared.assign(entities=shared["detail"].map(lambda d: ", ".join(map(str, d.get("entities", [])))))
        out += table(rows, {"service_id": "id", "service_name": "service", "entities": "entities"},
                     links={"service_name": "html_url"})
    else:
        out += "None.\n"
    return out


def _teams_detail(view: RunView) -> list[str]:
    """One short block per team with something to do: its failing checks counted per check, its unknown
    results counted per cause, and where its to-do list is. No per-entity rows: those are in the team files."""
    blocks = []
    owners = view.members.set_index("ref")["team"]
    todo = view.results[view.results["outcome"].isin(("fail", "unknown"))]
    todo = todo.assign(team=todo["entity_ref"].map(owners))
    table = view.teams()
    by_team = dict(tuple(todo.groupby("team")))
    for team in table.index:
        rows = by_team.get(team)
        if rows is None:
            continue
        failing = rows[rows["outcome"] == "fail"]["check_id"].value_counts()
        reasons = Counter(rows[rows["outcome"] == "unknown"]["reason"].value_counts().to_dict())
        checks = ", ".join(f"{md_text(check, CELL)} ×{count}" for check, count in failing.head(8).items())
        more = f" and {len(failing) - 8} more checks" if len(failing) > 8 else ""
        lines = [f"### {md_text(team, CELL)}", "",
                 f"{int(table.loc[team, 'entities'])} entities · to-do list in {md_code(f'teams/{file_name(team)}.md')}", ""]
        if len(failing):
            lines.append(f"- {int(failing.sum())} failing: {checks}{more}")
        if reasons:
            lines.append(f"- {md_text(unknown_summary(reasons), TEAM_LINE)}")
        blocks.append("\n".join(lines) + "\n")
    return blocks


def _scorecard(view: RunView, card: dict, levels: pd.DataFrame) -> str:
    scores = view.scores[view.scores["scorecard_id"] == card["id"]]
    counts = levels.loc[card["id"]] if card["id"] in levels.index else pd.Series(dtype=int)
    names = [lvl["name"] for lvl in card["levels"]] + ["none"]
    return (f"## Scorecard: {md_text(card['name'], CELL)}\n\nMean score {scores['score'].mean():.1f} over "
            f"{len(scores)} entities. " + ", ".join(f"{md_text(n, CELL)}: {int(counts.get(n, 0))}" for n in names) + "\n")


def _capped(text: str) -> str:
    """The last guard of LIMIT, for whatever the budgets above did not foresee (a configuration with
    hundreds of scorecards, say): cut at a line end, with a pointer to the full reports."""
    if len(text) <= LIMIT:
        return text
    note = f"\n… cut here to stay under {LIMIT:,} characters; see report.html or report.json for the rest.\n"
    cut = text.rfind("\n", 0, LIMIT - len(note))
    return text[: max(cut, 0)] + note


def _accounts(run: dict) -> str:
    lines = account_lines(run)
    listed = bounded_lines([f"- {md_text(line, 2 * CELL)}" for line in lines], SECTION, "- … {n} more accounts")
    return "PagerDuty:\n\n" + "\n".join(listed) + "\n\n" if lines else ""


def render(view: RunView) -> str:
    s, run = view.summary(), view.run
    parts = [
        f"# Tech Insights report: run {run['id']}\n\n"
        f"{run['started_at']:%Y-%m-%d %H:%M} UTC · {s['entities']} entities ({s['checked']} checked) · "
        f"{s['passed']} checks passed, {s['failed']} failed, {s['unknown']} unknown, {s['waived']} waived · "
        f"{s['findings']} catalog findings\n\n{_accounts(run)}"
        f"{md_text(unknown_summary(view.unknown_reasons()), TEAM_LINE)}\n",
        "## What changed\n\n" + _changes(view),
    ]
    levels = view.levels()
    parts += [_scorecard(view, card, levels) for card in view.scorecards]
    teams = view.teams().reset_index()
    parts.append("## Teams (most failures first)\n\n" + table(teams, {
        "team": "team", "entities": "entities", "failing": "failing checks", "unknown": "unknown",
        "mean_score": "mean score", "pass_rate": "pass rate %"}))
    stats = view.check_stats().reset_index()
    parts.append("## Checks\n\n" + table(stats, {"check_id": "check", "name": "name", "pass": "pass", "fail": "fail",
                                                  "unknown": "unknown", "pass_rate": "pass rate %"}))
    parts += [part for part in (_platform(view),) if part]
    parts.append(_organisation(view))
    findings = view.findings
    counts = (findings.groupby(["severity", "code"]).size().reset_index(name="count").sort_values("count", ascending=False)
              if len(findings) else findings)
    parts.append("## Catalog findings\n\n" + (table(counts, {"severity": "severity", "code": "code", "count": "findings"})
                                             + "\nEach with its file and line: `html/catalog/findings.html`, report.json.\n"
                                             if len(findings) else "None.\n"))
    detail = ["## What each team has to do\n\nEach team's list, entity by entity with the fixes, is in its team file "
              "(`teams/<team>.md`), on its page under `html/teams/`, and in `insights explain <entity-ref>`.\n"]
    detail += _teams_detail(view)
    text = "\n".join(parts)
    for index, block in enumerate(detail):
        if len(text) + len(block) + 200 > LIMIT:
            text += (f"\n… {len(detail) - index} more team sections left out to stay under {LIMIT:,} characters; "
                     "see report.html or report.json for the full detail.\n")
            break
        text += "\n" + block
    return _capped(text)


def write(view: RunView, folder: Path) -> list[Path]:
    (folder / "report.md").write_text(render(view), encoding="utf-8")
    return [folder / "report.md"]
