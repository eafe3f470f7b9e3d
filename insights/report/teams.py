"""One Markdown file per owning team: only that team's entities, what fails, and exactly how to fix it.
Ready to paste into an issue or a chat."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from insights.report import steps
from insights.report.escape import md_code, md_lines, md_link, md_text, safe_url
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
    """The team's to-do list: the causes to remove first, then per entity what stands between it and its
    next level, what fails with the fix, and where its descriptor is."""
    entities = view.team_members(team)
    todos = {ref: view.todo(ref) for ref in entities["ref"]}
    fails = sum(r["outcome"] == "fail" for rows in todos.values() for r in rows)
    reasons = view.unknown_reasons(set(entities["ref"]))
    lines = [f"# {md_text(team, VALUE)}: Tech Insights, run {view.run['id']}", "",
             f"{len(entities)} entities, {fails} failing checks, {md_text(steps.unknown_summary(reasons), VALUE * 2)}.", ""]
    if reasons:
        lines += ["## First", ""]
        lines += [f"- {md_text(reason, VALUE)}: {count} checks wait on it" for reason, count in reasons.most_common(5)]
        lines.append("")
    for entity in entities.sort_values("ref").itertuples():
        todo = todos[entity.ref]
        if not todo:
            continue
        links = view.links.get(entity.ref, {})
        where = md_link(md_text(f"{entity.path}" + (f":{int(entity.line)}" if entity.line == entity.line and
                                                     entity.line is not None else ""), VALUE),
                        links.get("catalog.file_url"))
        extra = [md_link(label, links.get(key)) for key, label in
                 (("catalog.entity_url", "Backstage page"), ("pagerduty.service_url", "PagerDuty service"),
                  ("pagerduty.escalation_policy_url", "escalation policy")) if safe_url(links.get(key))]
        lines += [f"## {md_text(entity.name, VALUE)}", "",
                  " · ".join([md_code(entity.ref, VALUE), f"defined in {where}", *extra]), ""]
        for step in view.next_levels(entity.ref):
            now = f"{md_text(step['scorecard'], VALUE)}: {md_text(step['level'] or 'no level', VALUE)}"
            if step["next"]:
                needs = ", ".join(f"**{md_text(c, VALUE)}**" for c in step["blocking"])
                lines.append(f"- {now}; next level {md_text(step['next'], VALUE)} needs {needs}")
            else:
                lines.append(f"- {now}; every level reached")
        lines.append("")
        for reason, checks in steps.causes(todo):
            lines.append(f"- [ ] **First:** {md_text(reason, VALUE)} ({len(checks)} "
                         f"{'checks wait' if len(checks) > 1 else 'check waits'} on it: "
                         f"{md_text(', '.join(checks), VALUE)})")
        for row in todo:
            if row["outcome"] != "fail":
                continue
            lines.append(f"- [ ] **{md_text(row['check_id'], VALUE)}** fails: {md_text(row['reason'], VALUE)}")
            if row["fix"]:
                lines += ["", *md_lines(row["fix"], indent="  ", urls=links.values()), ""]
        lines += ["", f"Details: {md_code(f'insights explain {entity.ref}', VALUE)}", ""]
    if not any(todos.values()):
        lines.append("Every check passes. Nothing to do.")
    return "\n".join(lines) + "\n"


def write(view: RunView, folder: Path) -> list[Path]:
    """`teams/<file name>.md` for every team (see `RunView.members`)."""
    team_dir = folder / "teams"
    team_dir.mkdir(exist_ok=True)
    for team in view.team_names:
        (team_dir / f"{file_name(team)}.md").write_text(render_team(view, team), encoding="utf-8")
    return [team_dir]
