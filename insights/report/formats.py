"""The report formats, by name: what `insights report --format` and `insights run` accept. Each format's
writer puts its files into a folder and returns the top-level paths it wrote (files, or folders of pages),
so a whole report can be written into a fresh folder first and then put in place. Writers are named, not
imported, so the command line reads this table without loading pandas."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str
    help: str
    writer: str  # "module:function", called with (view, folder)
    default: bool = True  # written when no format is named
    needs: str = ""  # an optional module the writer needs; without it the format is skipped
    extra: str = ""  # the package extra that installs it

    def missing(self) -> str | None:
        """Why the format cannot be written here, or None."""
        if self.needs and importlib.util.find_spec(self.needs) is None:
            return f"{self.needs} is not installed; pip install 'insights-scorecards[{self.extra}]'"
        return None

    def write(self, view, folder):
        module, _, function = self.writer.partition(":")
        return getattr(importlib.import_module(module), function)(view, folder)


REGISTRY: dict[str, Format] = {f.name: f for f in (
    Format("md", "report.md: the summary for a CI job or a pull request, under 60,000 characters",
           "insights.report.markdown:write"),
    Format("teams", "teams/*.md: one to-do list per team, with the fixes", "insights.report.teams:write"),
    Format("html", "report.html and html/: an index, a page per team and per check", "insights.report.html:write"),
    Format("json", "report.json: the run, its summary, teams, checks, findings (schema insights.report/2)",
           "insights.report.machine:write_json"),
    Format("jsonl", "entities.jsonl: the run on the first line, then one entity a line with its facts, checks and "
           "scorecards", "insights.report.jsonl:write"),
    Format("jsonl.gz", "entities.jsonl.gz: the same, gzip-compressed", "insights.report.jsonl:write_gzip", default=False),
    Format("csv", "report.csv: one row per entity and check", "insights.report.machine:write_csv"),
    Format("csv.gz", "report.csv.gz: the same, gzip-compressed", "insights.report.machine:write_csv_gzip",
           default=False),
    Format("junit", "junit.xml: a test case per failing or unknown entity and check, one passing case per check",
           "insights.report.junit:write"),
    Format("parquet", "facts.parquet and results.parquet, for data teams", "insights.report.parquet:write",
           default=False, needs="pyarrow", extra="parquet"),
)}
NAMES = tuple(REGISTRY)
DEFAULT = tuple(name for name, f in REGISTRY.items() if f.default)
