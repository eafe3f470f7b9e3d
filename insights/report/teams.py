"""One Markdown file per owning team: only that team's entities, what fails, and exactly how to fix it.
Ready to paste into an issue or a chat."""

from __future__ import annotations

import hashlib
import re

from insights.report.escape import md_code, md_fence, md_text
from insights.report.view import RunView

# A team name used as it is: lower-case letters, digits, `.`, `_`, `-`, starting and ending with a letter
# or digit, short enough for any file system.
_PLAIN = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
# Names Windows keeps for devices, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
SLUG = 40
VALUE = 400  # characters of a catalog or PagerDuty value on one line


def file_name(team: str) -> str:
    """The team file's name without `.md`: the team's own name when it is plain, else a slug of it with
    `~` and a hash of the whole name, so that the name is at most 64 characters, safe on every file system,
    and two teams never share a file (`~` never occurs in a plain name)."""
    if _PLAIN.fullmatch(team) and team.split(".")[0] not in _RESERVED:
        return team
    slug = _UNSAFE.sub("-", team.lower()).strip("-._")[:SLUG].strip("-._") or "team"
    digest = hashlib.sha256(team.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{slug}~{digest}"


def render_team(view: RunView, team: str) -> str:
    entities = view.entities[view.entities["team"] == team].sort_values("ref")
    todos = {ref: view.todo(ref) for ref in entities["ref"]}
    fails = sum(r["outcome"] == "fail" for rows in todos.values() for r in rows)
    lines = [f"# {md_text(team, VALUE)}: Tech Insights, run {view.run['id']}", "",
             f"{len(entities)} entities, {fails} failing checks, {sum(map(len, todos.values())) - fails} unknown.", ""]
    for entity in entities.itertuples():
        todo = sorted(todos[entity.ref], key=lambda r: r["outcome"])
        if not todo:
            continue
        where = f"{entity.repository}/{entity.path}" if entity.repository else entity.path
        levels = ", ".join(f"{s['scorecard_id']}: {s['level'] or 'no level'} ({s['score']})"
                           for s in view.scores_by_entity.get(entity.ref, []))
        lines += [f"## {md_text(entity.name, VALUE)}", "",
                  f"{md_code(entity.ref, VALUE)} · defined in {md_code(where, VALUE)} line {entity.line}"
                  + (f" · {md_text(levels, VALUE)}" if levels else ""), "",
                  f"Details: {md_code(f'insights explain {entity.ref}', VALUE)}", ""]
        for row in todo:
            lines.append(f"- [ ] **{md_text(row['check_id'], VALUE)}** ({row['outcome']}): {md_text(row['reason'], VALUE)}")
            if row["fix"] and row["outcome"] == "fail":
                lines += ["", *md_fence(row["fix"], indent="  "), ""]
        lines.append("")
    if len(lines) == 4:
        lines.append("Every check passes. Nothing to do.")
    return "\n".join(lines) + "\n"
