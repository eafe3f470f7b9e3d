"""`insights catalog lint`: what a service repository runs in its own CI, before a descriptor merges.

The descriptors are read as a run reads them, and their waivers judged by the run's own rules
(`rules.waivers.collect_waivers`) with the configuration's check ids and `waivers.max_days`, so lint
refuses exactly what the nightly run would report. Formats: `text` for people, `json` (`insights.lint/1`),
`sarif` for code scanning and `github` for workflow commands that annotate the pull request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from insights.catalog.model import ERROR, Catalog, Entity, Finding
from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.output import github, sarif
from insights.output.text import cell
from insights.pagerduty.accounts import account_findings
from insights.rules.waivers import collect_waivers

SCHEMA = "insights.lint/1"


@dataclass(frozen=True)
class Linted:
    """The catalog as linted, and where its files are: `roots`, each local source's folder (finding paths are
    relative to it), and `base`, the repository holding the current folder, which shown paths are relative
    to so that CI annotations land on the right file."""

    catalog: Catalog
    roots: dict[str, Path]
    base: Path

    def file_of(self, item: Finding | Entity) -> str | None:
        """A finding's or entity's file relative to `base` (`/`-separated), absolute when outside it."""
        if not item.path:
            return None
        root = self.roots.get(item.source)
        if root is None or "://" in item.path:  # a git source's paths are already relative to its root
            return item.path
        full = root / item.path
        try:
            return full.relative_to(self.base).as_posix()
        except ValueError:
            return full.as_posix()

    @property
    def findings(self) -> list[Finding]:
        """The findings in the order every format lists them: by file, line, column and code."""
        return sorted(self.catalog.findings, key=lambda f: (f.path, f.line or 0, f.column or 0, f.code))

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.catalog.findings)

    def summary_line(self) -> str:
        warnings = len(self.catalog.findings) - self.errors
        return f"{len(self.catalog.entities)} entities, {self.errors} errors, {warnings} warnings"


def repository_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `.git`, else `start` itself."""
    start = start.resolve()
    return next((folder for folder in (start, *start.parents) if (folder / ".git").exists()), start)


def _root(source: Source) -> Path | None:
    if source.kind == "folder":
        return Path(source.location).resolve()
    if source.kind == "file":
        return Path(source.location).resolve().parent
    return None


def lint(sources: list[Source], config, settings: CrawlSettings | None = None, today: date | None = None,
         base: Path | None = None) -> Linted:
    """Crawl `sources` with `settings` (the configuration's, as a run crawls; they carry `catalog.severity`)
    and add the waiver findings."""
    catalog = crawl(sources, settings or CrawlSettings(severity=dict(config.catalog.severity)))
    today = today or datetime.now(timezone.utc).date()
    _, waiver_findings = collect_waivers(catalog.entities, config.check_ids, today, config.waiver_max_days,
                                         config.catalog.severity)
    roots = {s.label: root for s in sources if (root := _root(s))}
    found = tuple(waiver_findings) + tuple(account_findings(catalog.entities, config))
    return Linted(replace(catalog, findings=catalog.findings + found), roots,
                  repository_root(base or Path.cwd()))


def has_errors(linted: Linted) -> bool:
    return linted.errors > 0


def _where(linted: Linted, item: Finding | Entity) -> str:
    where = linted.file_of(item) or item.source
    if item.line:
        where += f":{item.line}" + (f":{item.column}" if getattr(item, "column", None) else "")
    return cell(where, 1000)


def render_text(linted: Linted) -> str:
    lines = [f"{_where(linted, e)}: {cell(e.ref)}" for e in linted.catalog.entities]
    lines += [f"{_where(linted, f)}: {f.severity}: {cell(f.message, 2000)} [{f.code}]"
              for f in linted.findings]
    lines.append(linted.summary_line())
    return "\n".join(lines)


def render_json(linted: Linted) -> str:
    catalog = linted.catalog
    return json.dumps({
        "schema": SCHEMA,
        "summary": {"entities": len(catalog.entities), "errors": linted.errors,
                    "warnings": len(catalog.findings) - linted.errors},
        "entities": [{"ref": e.ref, "file": e.path, "line": e.line} for e in catalog.entities],
        "findings": [{"code": f.code, "severity": f.severity, "file": f.path, "line": f.line, "column": f.column,
                      "message": f.message, "entity_ref": f.entity_ref, "source": f.source,
                      "repository_file": linted.file_of(f)}
                     for f in linted.findings],
    }, indent=1)


FORMATS = {"text": render_text, "json": render_json, "sarif": sarif.render, "github": github.render}
