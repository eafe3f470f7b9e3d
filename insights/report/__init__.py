"""Reports are rendered from a stored run, so any past run can be re-rendered and no report disagrees
with the database.

Writing is all or nothing: every report is rendered first, then written to a temporary file beside
its final name (flushed to disk, so a full disk shows up here), and only once all of them are written
do they replace the previous reports, by renames within the folder. The team files are written as a
new folder that then takes the place of the old one. A full disk or a read-only folder leaves the
previous reports as they were.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

from insights.errors import OutputError
from insights.report import html, machine, markdown, teams
from insights.report.view import RunView

FORMATS = ("md", "html", "json", "csv", "junit")
FILE_NAMES = {"md": "report.md", "html": "report.html", "json": "report.json", "csv": "report.csv",
              "junit": "junit.xml"}
TEAMS = "teams"


def render(store, view: RunView, fmt: str) -> str:
    if fmt == "json":
        return machine.render_json(view, store.facts(view.run["id"]))
    return {"md": markdown.render, "html": html.render, "csv": machine.render_csv,
            "junit": machine.render_junit}[fmt](view)


def write_reports(store, view: RunView, out_dir: Path, formats=FORMATS) -> dict[str, Path]:
    """Every format of the run `view` shows (see `load_view`), and one Markdown file per team."""
    out_dir = Path(out_dir)
    pages = {out_dir / FILE_NAMES[fmt]: render(store, view, fmt) for fmt in formats}
    team_pages = {f"{teams.file_name(team)}.md": teams.render_team(view, team)
                  for team in sorted(view.entities["team"].unique())}
    tag = secrets.token_hex(4)
    new_teams = out_dir / f".{TEAMS}.{tag}.tmp"
    staged: dict[Path, Path] = {}  # temporary file -> final name
    target = out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, text in pages.items():
            temporary = out_dir / f".{target.name}.{tag}.tmp"
            staged[temporary] = target
            _write(temporary, text)
        target = out_dir / TEAMS
        new_teams.mkdir()
        for name, text in team_pages.items():
            target = out_dir / TEAMS / name
            _write(new_teams / name, text)
    except OSError as error:
        for temporary in staged:
            with contextlib.suppress(OSError):  # a read-only folder refuses even removing what is not there
                temporary.unlink()
        shutil.rmtree(new_teams, ignore_errors=True)
        raise OutputError(f"cannot write {target}: {error.strerror or error}; the previous reports in {out_dir} "
                          "are unchanged") from error
    try:
        for temporary, target in staged.items():
            os.replace(temporary, target)
        target = out_dir / TEAMS
        _swap(new_teams, target, out_dir / f".{TEAMS}.{tag}.old")
    except OSError as error:
        shutil.rmtree(new_teams, ignore_errors=True)
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from error
    return {**{fmt: out_dir / FILE_NAMES[fmt] for fmt in formats}, TEAMS: out_dir / TEAMS}


def _write(path: Path, text: str) -> None:
    """A new file, made with the usual permissions (umask), on disk before it is used."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with open(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _swap(new: Path, target: Path, old: Path) -> None:
    """`new` takes the place of the folder `target`, whose old contents go once the new ones are there."""
    if target.exists():
        os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError:
        if old.exists():
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
