"""Reports are rendered from a stored run, so any past run can be re-rendered and no report disagrees
with the database."""

from __future__ import annotations

from pathlib import Path

from insights.errors import InsightsError
from insights.report import html, machine, markdown, teams
from insights.report.view import RunView

FORMATS = ("md", "html", "json", "csv", "junit")
FILE_NAMES = {"md": "report.md", "html": "report.html", "json": "report.json", "csv": "report.csv",
              "junit": "junit.xml"}


def write_reports(store, view: RunView, out_dir: Path, formats=FORMATS) -> dict[str, Path]:
    """Every format of the run `view` shows (see `load_view`); the JSON report adds the run's facts."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = {}
        for fmt in formats:
            path = out_dir / FILE_NAMES[fmt]
            if fmt == "csv":
                path.write_text(machine.render_csv(view))
            elif fmt == "junit":
                path.write_text(machine.render_junit(view))
            elif fmt == "md":
                path.write_text(markdown.render(view))
            elif fmt == "html":
                path.write_text(html.render(view))
            elif fmt == "json":
                path.write_text(machine.render_json(view, store.facts(view.run["id"])))
            written[fmt] = path
        team_dir = out_dir / "teams"
        team_dir.mkdir(exist_ok=True)
        for team in sorted(view.entities["team"].unique()):
            (team_dir / f"{teams.file_name(team)}.md").write_text(teams.render_team(view, team))
        written["teams"] = team_dir
        return written
    except OSError as error:
        raise InsightsError(f"cannot write reports to {out_dir}: {error.strerror}") from error
