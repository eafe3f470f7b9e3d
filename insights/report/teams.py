"""One Markdown file per owning team: only that team's entities, what fails, and exactly how to fix it.
Ready to paste into an issue or a chat."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

from insights.facts.causes import for_platform
from insights.report import steps
from insights.report.escape import md_code, md_fix, md_link, md_text, safe_url
from insights.report.sections import SHOWN_LINKS
from insights.report.view import RunView, records

# A team name used as it is: lower-case letters, digits, `.`, `_`, `-`, starting and ending with a letter
# or digit, short enough for any file system.
_PLAIN = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
# Names Windows keeps for devices, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
SLUG = 40
VALUE = 400  # characters of a catalog or PagerDuty value on one line
FILE_LIMIT = 500_000  # characters of a team file; a bigger team's other entities are on its HTML pages


def file_name(team: str) -> str:
    """The team file's name without `.md`: the team's own name when it is plain, else a slug of it with
    `~` and a hash of the whole name, so that the name is at most 64 characters, safe on every file system,
    and two teams never share a file (`~` never occurs in a plain name)."""
    if _PLAIN.fullmatch(team) and team.split(".")[0] not in _RESERVED:
        return team
    slug = _UNSAFE.sub("-", team.lower()).strip("-._")[:SLUG].strip("-._") or "team"
    digest = hashlib.sha256(team.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{slug}~{digest}"


def render_team(view: RunView, team: str, members=None, reasons: Counter | None = None) -> str:
    """The team's to-do list: what it waits on the platform team for (once, not a to-do), the causes to
    remove first, then per entity (the most to do first) what stands between it and its next level, its
    own causes, what fails with the fix, and where its descriptor is; at most
    FILE_LIMIT characters, the rest on the team's HTML pages. `members` and `reasons` (the team's
    entities and unknown causes) are computed when not given."""
    entities = view.team_members(team) if members is None else members
    todos = {ref: view.todo(ref) for ref in entities["ref"]}
    fails = sum(r["outcome"] == "fail" for rows in todos.values() for r in rows)
    reasons = view.unknown_reasons(set(entities["ref"])) if reasons is None else reasons
    lines = [f"# {md_text(team, VALUE)}: Tech Insights, run {view.run['id']}", "",
             f"{len(entities)} entities, {fails} failing checks, {md_text(steps.unknown_summary(reasons), VALUE * 2)}.", ""]
    first, platform = steps.owners_and_platform(reasons.most_common())
    if platform:  # not the team's to fix: said once here, never a to-do
        lines += [md_text(steps.waiting_note(platform[:5]), VALUE * 3) + ".", ""]
    if first:
        lines += ["## First", ""]
        lines += [f"- {md_text(reason, VALUE)}: {count} checks wait on it" for reason, count in first[:5]]
        lines.append("")
    size = sum(map(len, lines))
    todos = {ref: [r for r in todo if r["outcome"] != "unknown" or not for_platform(r["reason"])]
             for ref, todo in todos.items()}
    busy = sorted((ref for ref, todo in todos.items() if todo), key=lambda ref: (-len(todos[ref]), ref))
    rows = {row["ref"]: row for row in records(entities)}
    for index, ref in enumerate(busy):
        block = _entity(view, rows[ref], ref, todos[ref])
        if size + sum(map(len, block)) > FILE_LIMIT:
            lines.append(f"… {len(busy) - index} more entities with something to do: see "
                         f"{md_code(f'html/teams/{file_name(team)}.html')} and the team's later pages.")
            break
        lines += block
        size += sum(map(len, block))
    if not busy:
        lines.append("Nothing for the team to do until the platform team has." if platform else
                     "Every check passes. Nothing to do.")
    return "\n".join(lines) + "\n"


def _entity(view: RunView, entity, ref: str, todo: list[dict]) -> list[str]:
    links = view.links.get(ref, {})
    line = entity["line"]
    where = md_link(md_text(f"{entity['path']}" + (f":{int(line)}" if line is not None and line == line else ""),
                            VALUE), links.get("catalog.file_url"))
    extra = [md_link(label, links.get(key)) for key, label in SHOWN_LINKS if safe_url(links.get(key))]
    lines = [f"## {md_text(entity['name'], VALUE)}", "",
             " · ".join([md_code(ref, VALUE), f"defined in {where}", *extra]), ""]
    for step in view.next_levels(ref):
        now = f"{md_text(step['scorecard'], VALUE)}: {md_text(step['level'] or 'no level', VALUE)}"
        if step["next"]:
            needs = ", ".join(f"**{md_text(c, VALUE)}**" for c in step["blocking"])
            lines.append(f"- {now}; next level {md_text(step['next'], VALUE)} needs {needs}")
        else:
            lines.append(f"- {now}; every level reached")
    lines.append("")
    for reason, checks in steps.causes(todo):
        lines.append(f"- [ ] **First:** {md_text(reason, VALUE)} ({len(checks)} "
                     f"{'checks wait' if len(checks) > 1 else 'check waits'} on it: {md_text(', '.join(checks), VALUE)})")
    for row in todo:
        if row["outcome"] != "fail":
            continue
        lines.append(f"- [ ] **{md_text(row['check_id'], VALUE)}** fails: {md_text(row['reason'], VALUE)}")
        if row["fix"]:
            lines += ["", *md_fix(row["fix"], indent="  ", urls=links.values()), ""]
    return lines + ["", f"Details: {md_code(f'insights explain {ref}', VALUE)}", ""]


def write(view: RunView, folder: Path) -> list[Path]:
    """`teams/<file name>.md` for every team (see `RunView.members`)."""
    team_dir = folder / "teams"
    team_dir.mkdir(exist_ok=True)
    owners = view.members.set_index("ref")["team"]
    unknown = view.results[view.results["outcome"] == "unknown"]
    reasons = {team: Counter(group["reason"].value_counts().to_dict())
               for team, group in unknown.assign(team=unknown["entity_ref"].map(owners)).groupby("team")}
    for team, members in view.members.groupby("team"):
        text = render_team(view, team, members, reasons.get(team, Counter()))
        (team_dir / f"{file_name(team)}.md").write_text(text, encoding="utf-8")
    return [team_dir]
