"""The commands about the catalog and the database on their own: `insights fix`, `insights catalog lint`,
`insights db upgrade`. Registered on the `insights` group by `insights.cli`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from insights.cli_common import LINT_FORMATS, load_config_for as _config, progress_for_context as _progress
from insights.cli_params import CATALOG
from insights.errors import EXIT_GATE_FAILED


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="scorecards.yaml to use.")
@click.option("--catalog", "catalogs", multiple=True, type=CATALOG, help="Folder, file or git URL; repeat for more. "
              "Replaces the sources in the config.")
@click.option("--pagerduty-url", help="PagerDuty API base URL.")
@click.option("--pagerduty-snapshot", type=click.Path(exists=True, dir_okay=False), help="Read PagerDuty from a snapshot.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--min-confidence", default="high", show_default=True,
              help="Suggestions to patch or write: high, medium, low, or a number from 0 to 1.")
@click.option("--patch", "patch_dir", type=click.Path(file_okay=False), help="Write one patch per repository here.")
@click.option("--write", is_flag=True, help="Edit the descriptor files of local sources in place.")
@click.option("--waive", "check_id", help="Instead of suggestions: waive this check (with --until, --reason, --entity).")
@click.option("--until", help="With --waive: the last day of the waiver, YYYY-MM-DD.")
@click.option("--reason", help="With --waive: why the check does not apply yet.")
@click.option("--entity", "entity_refs", multiple=True, help="With --waive: an entity to waive it for (repeatable).")
def fix(config_path, catalogs, pagerduty_url, pagerduty_snapshot, fmt, min_confidence, patch_dir, write, check_id,
        until, reason, entity_refs) -> None:
    """Suggest the PagerDuty service of each unwired entity, and write them as patches or in place.

    Every suggestion comes with its confidence and evidence; ambiguous ones are listed, never written.
    The PagerDuty credential is read as for `run`. --waive adds a waiver annotation instead.

    \b
    Example:  insights fix --pagerduty-snapshot pagerduty.json --patch patches/
              insights fix --waive oncall-now --until 2026-12-31 --reason "team forms in January" \\
                           --entity component:default/checkout --write
    """
    from insights.catalog.sources import source_from_argument
    from insights.errors import EXIT_UNREACHABLE
    from insights.fix.job import FixOptions, WaiverRequest, min_confidence as threshold, run_fix
    from insights.fix.render import render
    from insights.pipeline import credential_for

    config = _config(config_path)
    waiver = WaiverRequest(check_id, until, reason, entity_refs) if check_id or until or reason or entity_refs else None
    outcome = run_fix(FixOptions(
        config=config, sources=tuple(source_from_argument(c) for c in catalogs), pagerduty_url=pagerduty_url,
        snapshot=Path(pagerduty_snapshot) if pagerduty_snapshot else None,
        credential=None if pagerduty_snapshot or waiver else credential_for(config),
        min_confidence=threshold(min_confidence), patch_dir=Path(patch_dir) if patch_dir else None, write=write,
        waiver=waiver, progress=_progress()))
    click.echo(render(outcome, fmt))
    if outcome.problems:
        sys.exit(EXIT_UNREACHABLE)


@click.group()
def catalog() -> None:
    """The software catalog on its own."""


@catalog.command()
@click.argument("paths", nargs=-1, type=CATALOG)
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="scorecards.yaml whose checks and waiver rules apply (default: as for `run`).")
@click.option("--format", "fmt", type=click.Choice(LINT_FORMATS), default="text", show_default=True,
              help="text, json, sarif (code scanning) or github (workflow commands that annotate pull requests).")
def lint(paths, config_path, fmt) -> None:
    """Check descriptor files (no PagerDuty, no database); exit 1 on any error finding.

    PATHS are folders (searched for catalog-info.yaml), files or git URLs; the default is the current
    folder. Waiver annotations are judged as `insights run` judges them. File names in the sarif and github
    formats are relative to the git repository holding the current folder.

    \b
    Example:  insights catalog lint . --format json
              insights catalog lint services/ --format sarif > insights.sarif
    """
    from insights.catalog import lint as linting
    from insights.catalog.sources import source_from_argument
    from insights.pipeline import crawl_settings

    config = _config(config_path)
    linted = linting.lint([source_from_argument(p) for p in (paths or (".",))], config, crawl_settings(config))
    click.echo(linting.FORMATS[fmt](linted))
    if linting.has_errors(linted):
        sys.exit(EXIT_GATE_FAILED)


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--db", "db_url", help="Database URL.")
def db_upgrade(db_url) -> None:
    """Create or migrate the database schema to this version of insights.

    \b
    Example:  insights db upgrade --db postgresql+psycopg://insights@db/insights
    """
    from insights.pipeline import database_url
    from insights.store import Store

    revision = Store(database_url(db_url)).upgrade()
    click.echo(f"database schema at revision {revision}")
