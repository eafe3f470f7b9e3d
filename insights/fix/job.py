"""`insights fix`: crawl, read PagerDuty, suggest, and write patches or edit files. The I/O edges meet here."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from insights.catalog.sources import Source, expand
from insights.catalog.validate import SERVICE_ID
from insights.config import Config
from insights.errors import ConfigError, InsightsError
from insights.fix.matching import AMBIGUOUS, Suggestions, suggest_by_account
from insights.fix.plan import Change, Plan, make_plan, write_files, write_patches
from insights.fix.roots import LOCAL, Root, crawl_roots
from insights.fix.signals import HIGH, LEVELS, level
from insights.fix.waive import WaiverRequest, waiver_changes
from insights.pagerduty.collect import CollectOptions
from insights.pagerduty.accounts import one_account_name
from insights.pipeline import RunOptions, catalog_sources, crawl_settings, pagerduty_state
from insights.progress import SILENT, Progress


@dataclass(frozen=True)
class FixOptions:
    config: Config
    sources: tuple[Source, ...] = ()
    snapshot: Path | None = None
    pagerduty_url: str | None = None
    credential: object | None = field(default=None, repr=False)
    min_confidence: float = HIGH
    patch_dir: Path | None = None
    write: bool = False
    waiver: WaiverRequest | None = None
    today: date | None = None  # waivers are judged against it; the UTC date by default
    progress: Progress = SILENT


@dataclass(frozen=True)
class FixOutcome:
    min_confidence: float
    suggestions: Suggestions | None = None  # None when waiving
    plan: Plan | None = None
    patches: tuple[tuple[Path, Root], ...] = ()
    written: tuple[str, ...] = ()  # files edited in place, relative to their repository
    problems: tuple[str, ...] = ()  # files that could not be written
    preview: bool = False  # the plan is shown, nothing written


def min_confidence(text: str) -> float:
    """`high`, `medium`, `low`, or a number from 0 to 1."""
    if text.lower() in LEVELS:
        return LEVELS[text.lower()]
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise ConfigError(f"--min-confidence {text!r}: use high, medium, low or a number from 0 to 1")
    return value


def _check(options: FixOptions, sources: list[Source]) -> None:
    if options.write and options.patch_dir:
        raise ConfigError("--write edits the files and --patch DIR writes patches: choose one")
    remote = [s.label for s in expand(sources) if s.kind not in LOCAL]
    if options.write and remote:
        raise ConfigError(f"--write edits files in a local checkout, and {remote[0]} is not one: use --patch DIR "
                          "and apply the patch in a checkout, or pass the checkout's folder with --catalog")
    if options.waiver is None and not options.snapshot and not options.credential:
        raise ConfigError("fix reads PagerDuty as `insights run` does: set PAGERDUTY_TOKEN (or PD_CLIENT_ID and "
                          "PD_CLIENT_SECRET), or pass --pagerduty-snapshot FILE")


def _nothing_to_write(suggestions: Suggestions, threshold: float) -> ConfigError:
    if not suggestions.entities:
        return ConfigError("nothing to write: every entity that needs a PagerDuty service has one")
    counts = {name: sum(1 for s in suggestions.at_least(0) if level(s.best.confidence) == name) for name in LEVELS}
    ambiguous = sum(1 for s in suggestions.entities if s.status == AMBIGUOUS)
    found = ", ".join(f"{n} at {name}" for name, n in counts.items() if n) or "none matched"
    return ConfigError(f"no suggestion reaches confidence {threshold:.2f} ({found}, {ambiguous} ambiguous, "
                       f"{len(suggestions.entities)} entities need a service); see them with `insights fix`, "
                       "or lower --min-confidence")


def run_fix(options: FixOptions) -> FixOutcome:
    config = options.config
    sources = list(catalog_sources(options))
    _check(options, sources)
    settings = crawl_settings(config)
    with tempfile.TemporaryDirectory(prefix="insights-fix-") as scratch:
        with options.progress.stage("crawl", "files") as advance:
            entities, roots = crawl_roots(sources, settings, Path(scratch), advance)
        suggestions = None
        if options.waiver:
            today = options.today or datetime.now(timezone.utc).date()
            changes = waiver_changes(options.waiver, entities, config.check_ids, today, config.waiver_max_days)
        else:
            state = pagerduty_state(RunOptions(config=config, pagerduty_url=options.pagerduty_url,
                                               snapshot=options.snapshot, credential=options.credential,
                                               progress=options.progress), CollectOptions(service_ids=frozenset()))
            suggestions = suggest_by_account(entities, state, one_account_name(config))
            if not (options.patch_dir or options.write):
                return FixOutcome(options.min_confidence, suggestions)
            changes = [Change(s.entity, SERVICE_ID, s.best.service_id)
                       for s in suggestions.at_least(options.min_confidence)]
            if not changes:
                raise _nothing_to_write(suggestions, options.min_confidence)
        plan = make_plan(changes, roots, settings.max_file_bytes)
        if plan.refused and not plan.files and not plan.unchanged:
            raise InsightsError("no file could be edited:\n" + "\n".join(
                f"  {r.change.entity.ref}: {r.reason}" for r in plan.refused))
        if options.patch_dir:
            try:
                patches = write_patches(plan, options.patch_dir)
            except OSError as error:
                raise InsightsError(f"cannot write patches into {options.patch_dir}: {error.strerror}") from error
            return FixOutcome(options.min_confidence, suggestions, plan, tuple(patches))
        if options.write:
            written, problems = write_files(plan)
            return FixOutcome(options.min_confidence, suggestions, plan, written=tuple(e.relative for e in written),
                              problems=tuple(problems))
        return FixOutcome(options.min_confidence, suggestions, plan, preview=True)
