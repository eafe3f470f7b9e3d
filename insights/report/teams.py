"""One Markdown file per owning team: only that team's entities, what fails, and exactly how to fix it.
Ready to paste into an issue or a chat."""

from __future__ import annotations

import re

from insights.report.view import RunView


def file_name(team: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", team.lower()).strip("-") or "no-owner"


def render_team(view: RunView, team: str) -> str:
    entities = view.entities[view.entities["team"] == team].sort_values("ref")
    todos = {ref: view.todo(ref) for ref in entities["ref"]}
    fails = sum(r["outcome"] == "fail" for rows in todos.values() for r in rows)
    lines = [f"# {team}: Tech Insights, run {view.run['id']}", "",
             f"{len(entities)} entities, {fails} failing checks, {sum(map(len, todos.values())) - fails} unknown.", ""]
    for entity in entities.itertuples():
        todo = sorted(todos[entity.ref], key=lambda r: r["outcome"])
        if not todo:
            continue
        where = f"{entity.repository}/{entity.path}" if entity.repository else entity.path
        levels = ", ".join(f"{s['scorecard_id']}: {s['level'] or 'no level'} ({s['score']})"
                           for s in view.scores_by_entity.get(entity.ref, []))
        lines += [f"## {entity.name}", "", f"`{entity.ref}` · defined in `{where}` line {entity.line}"
                  + (f" · {levels}" if levels else ""), "",
                  f"Details: `insights explain {entity.ref}`", ""]
        for row in todo:
            lines.append(f"- [ ] **{row['check_id']}** ({row['outcome']}): {row['reason']}")
            if row["fix"] and row["outcome"] == "fail":
                lines += ["", "  ```", *("  " + line for line in row["fix"].splitlines()), "  ```", ""]
        lines.append("")
    if len(lines) == 5:
        lines.append("Every check passes. Nothing to do.")
    return "\n".join(lines) + "\n"
