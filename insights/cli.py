"""The `insights` command. Commands parse options, call one library function, print, and exit.

Errors are mapped to messages and exit codes in one place for every command: `insights.cli_errors`.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

import click

from insights import __version__
from insights.cli_catalog import catalog, db, fix
from insights.cli_common import JsonLogFormatter, StderrHandler
from insights.cli_common import load_config_for as _config
from insights.cli_common import progress_for_context as _progress
from insights.cli_errors import InsightsGroup, report_error, stop_on_sigterm
from insights.cli_options import gate_options, keep_options, metrics_option, notify_option
from insights.cli_pagerduty import pagerduty, snapshot
from insights.cli_params import CATALOG, RUN_ID
from insights.cli_shards import finalize
from insights.errors import EXIT_OK, EXIT_USAGE, GateFailed
from insights.report.formats import DEFAULT as DEFAULT_REPORT_FORMATS
from insights.report.formats import NAMES as REPORT_FORMATS

log = logging.getLogger("insights")


def _print_summary(outcome) -> None:
    if click.get_current_context().obj["quiet"]:
        return
    s = outcome.summary
    click.echo(f"Run {outcome.run_id}: {s['entities']} entities scanned, {s['findings']} catalog findings")
    click.echo(f"Checks: {s['passed']} passed, {s['failed']} failed, {s['unknown']} unknown, {s['waived']} waived")
    if s["worst_teams"]:
        click.echo("Most failures: " + ", ".join(f"{team} ({n})" for team, n in s["worst_teams"]))
    from insights.report.view import account_lines

    for line in account_lines(outcome.view.run):
        click.echo(f"PagerDuty {line}")
    for fmt, path in outcome.reports.items():
        click.echo(f"Report ({fmt}): {path}")


def _gate_settings(config, **given):
    from insights.gates import gate_settings

    settings = gate_settings(config.gates, **given)
    unknown = [check for check in settings.fail_on if check not in config.check_ids]
    if unknown:
        from insights.rules.parse import did_you_mean

        raise click.BadParameter(f"unknown check {unknown[0]!r}{did_you_mean(unknown[0], config.check_ids)}",
                                 param_hint="'--fail-on'")
    return settings



@click.group(cls=InsightsGroup)
@click.version_option(__version__, prog_name="insights")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="How much to log on stderr.")
@click.option("--log-format", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="json: one JSON object per log line, for log shippers.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and gate failures (no progress, no summary).")
@click.pass_context
def cli(context, log_level: str, log_format: str, quiet: bool) -> None:
    """Tech Insights scorecards for a Backstage catalog wired to PagerDuty.

    \b
    Try it:  insights demo
    """
    handler = StderrHandler()
    handler.setFormatter(JsonLogFormatter() if log_format == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=log_level.upper(), handlers=[handler], force=True)
    context.obj = {"quiet": quiet, "log_format": log_format}




@cli.command()
def demo() -> None:
    """Run the whole job on the bundled example catalog against a local PagerDuty simulator.

    Writes insights.db and reports/ in the current folder. Run it twice to see what changed.

    \b
    Example:  insights demo
    """
    from insights.demo import run_demo

    outcome = run_demo(Path.cwd().resolve(), progress=_progress())
    _print_summary(outcome)


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="scorecards.yaml to use.")
@click.option("--catalog", "catalogs", multiple=True, type=CATALOG, help="Folder, file or git URL; repeat for more. "
              "Replaces the sources in the config.")
@click.option("--db", "db_url", help="Database URL (default: INSIGHTS_DB_URL, the config, sqlite:///insights.db).")
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--pagerduty-url", help="PagerDuty API base URL (e.g. https://api.eu.pagerduty.com).")
@click.option("--pagerduty-snapshot", type=click.Path(exists=True, dir_okay=False), help="Run offline from a snapshot.")
@gate_options
@keep_options
@notify_option
@metrics_option
@click.option("--shard", help="K/N: crawl only shard K of N and land it under --run-key; `insights finalize` "
              "stores the run (PostgreSQL).")
@click.option("--run-key", help="With --shard: the key all shards of one run share (the date, the scheduler's run id).")
def run(config_path, catalogs, db_url, out_dir, pagerduty_url, pagerduty_snapshot, keep_runs, keep_days, notify_teams,
        metrics_file, shard, run_key, **gates) -> None:
    """Crawl the catalog, collect PagerDuty, evaluate checks and scorecards, store the run, write reports.

    The PagerDuty token is read from PAGERDUTY_TOKEN. With --shard K/N --run-key KEY it only crawls its share
    of the catalog (see `insights finalize`).

    \b
    Example:  PAGERDUTY_TOKEN=... insights run --catalog ./services --db sqlite:///insights.db
              insights run --shard 2/4 --run-key 2026-03-14 --db postgresql+psycopg://insights@db/insights
    """
    from insights.catalog.sources import source_from_argument
    from insights.pipeline import execute

    if shard or run_key:
        from insights.cli_shards import run_as_shard

        return run_as_shard(shard, run_key, config_path, catalogs, db_url)
    options = run_options(config_path, db_url, out_dir, pagerduty_url, pagerduty_snapshot, keep_runs, keep_days,
                          gates, sources=tuple(source_from_argument(c) for c in catalogs))
    finish_run(execute(options), options.config if notify_teams else None, options.db_url, metrics_file)


def run_options(config_path, db_url, out_dir, pagerduty_url, pagerduty_snapshot, keep_runs, keep_days, gates,
                sources: tuple = ()):
    """What `run` and `finalize` were asked for, as RunOptions: the configuration with the command line's
    retention, the database, PagerDuty read from a snapshot or collected with the configured credential."""
    from insights.pipeline import RunOptions, credential_for, database_url

    config = _config(config_path)
    config = dataclasses.replace(config, keep_runs=keep_runs or config.keep_runs, keep_days=keep_days or config.keep_days)
    return RunOptions(config=config, sources=sources, db_url=database_url(db_url, config), out_dir=Path(out_dir),
                      pagerduty_url=pagerduty_url, snapshot=Path(pagerduty_snapshot) if pagerduty_snapshot else None,
                      credential=None if pagerduty_snapshot else credential_for(config), progress=_progress(),
                      gates=_gate_settings(config, **gates))


def finish_run(outcome, notify_config=None, db_url: str | None = None, metrics_file: str | None = None) -> None:
    """What a finished run prints; its metrics file; each team told what newly fails when `notify_config` is
    given; exit 1 when a gate tripped."""
    if metrics_file:
        from insights.report.metrics import write_metrics

        outcome.reports["metrics"] = write_metrics(outcome.view, metrics_file)
    _print_summary(outcome)
    quiet = click.get_current_context().obj["quiet"]
    if not quiet:
        for note in outcome.gates.notes:
            click.echo(f"note: {note}", err=True)
    if notify_config is not None:  # after the run is stored and before the gates, so a tripped gate is still told
        from insights.notify import notify_run, settings_from
        from insights.store import Store

        told = notify_run(Store(db_url), outcome.run_id, settings_from(notify_config))
        for line in () if quiet else told.lines():
            click.echo(line)
    if outcome.gates.problems:
        raise GateFailed(list(outcome.gates.problems))


@cli.command()
@click.option("--run", "run_id", type=RUN_ID, help="Run to render (default: the latest successful run).")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--format", "formats", multiple=True, type=click.Choice(REPORT_FORMATS),
              help="Formats to write, repeatable (default: " + ", ".join(DEFAULT_REPORT_FORMATS) + ").")
@click.option("--metrics-file", type=click.Path(dir_okay=False),
              help="Also write the run's metrics here (OpenMetrics text, for node-exporter's textfile collector).")
def report(run_id, db_url, out_dir, formats, metrics_file) -> None:
    """Render the reports of a stored run again.

    \b
    Example:  insights report --run 12 --out reports/ --format html --format jsonl.gz
    """
    from insights.pipeline import database_url
    from insights.report import FORMATS, write_reports
    from insights.report.metrics import write_metrics
    from insights.report.view import load_view
    from insights.store import Store

    store = Store(database_url(db_url))
    view = load_view(store, store.readable_run(run_id))
    written = write_reports(store, view, Path(out_dir), formats or FORMATS)
    if metrics_file:
        written["metrics"] = write_metrics(view, metrics_file)
    for fmt, path in written.items():
        click.echo(f"Report ({fmt}): {path}")


@cli.command()
@click.option("--run", "run_id", type=RUN_ID, help="Run to tell about (default: the latest successful run).")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="scorecards.yaml to use.")
@click.option("--dry-run", is_flag=True, help="Print the messages (JSON) instead of sending them.")
@click.option("--initial", is_flag=True, help="On a first run, send every team its failing checks.")
def notify(run_id, db_url, config_path, dry_run, initial) -> None:
    """Tell each team what newly fails since the previous run, through its webhook (Slack or JSON).

    Each team's webhook URL is read from the environment variable the configuration names for it
    (notify.teams, else notify.default: INSIGHTS_NOTIFY_WEBHOOK). Nothing is sent to a team when nothing
    newly fails for it. Exit 3 names a team whose webhook kept failing, after the others were sent.

    \b
    Example:  insights notify --dry-run
              INSIGHTS_NOTIFY_WEBHOOK=https://hooks.slack.com/services/... insights notify
    """
    from insights.notify import notify_run, settings_from
    from insights.pipeline import database_url
    from insights.store import Store

    config = _config(config_path)
    settings = dataclasses.replace(settings_from(config), initial=True) if initial else settings_from(config)
    outcome = notify_run(Store(database_url(db_url, config)), run_id, settings, dry_run)
    if dry_run:
        click.echo(outcome.as_json())
    elif not click.get_current_context().obj["quiet"]:
        for line in outcome.lines():
            click.echo(line)


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="scorecards.yaml to check.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one document with every problem, file, line and column (insights.validate/1).")
def validate(config_path, fmt) -> None:
    """Check scorecards.yaml and the checks it uses, without running anything.

    Loads the configuration exactly as `insights run` does, so it refuses the same mistakes.

    \b
    Example:  insights validate --config scorecards.yaml
              insights validate --format json
    """
    from insights.output.validation import validation_json

    if fmt == "json":
        text, code = validation_json(lambda: _config(config_path))
        click.echo(text)
        sys.exit(code)
    config = _config(config_path)
    click.echo(f"{config.path}: OK ({len(config.checks)} checks, {len(config.scorecards)} scorecards)")
    if not config.sources:
        click.echo("note: no catalog sources are configured; `insights run` needs --catalog")


@cli.command()
@click.argument("entity_ref", required=False)
@click.option("--team", help="A team (owner group name) instead of one entity.")
@click.option("--runs", default=10, show_default=True, type=click.IntRange(1, 100_000),
              help="How many of the latest runs.")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one document, a row per run and scorecard (insights.history/1).")
def history(entity_ref, team, runs, db_url, fmt) -> None:
    """Score, level and failing checks over the last runs, for one entity or one team.

    ENTITY_REF is written as for `explain`: checkout, component:checkout or component:default/checkout.

    \b
    Example:  insights history component:default/checkout --runs 30
              insights history --team payments --format json
    """
    from insights.explain import entity_ref as parse_entity
    from insights.output.history import render_json, render_text
    from insights.pipeline import database_url
    from insights.store import Store
    from insights.store.history import entity_history, team_history

    if bool(entity_ref) == bool(team):
        raise click.UsageError("name one entity (ENTITY_REF) or one --team")
    ref = parse_entity(entity_ref) if entity_ref else None
    if entity_ref and not ref:
        raise click.BadParameter(f"{entity_ref!r} is not an entity ref such as component:default/checkout",
                                 param_hint="ENTITY_REF")
    store = Store(database_url(db_url))
    store.require_runs()
    frame = entity_history(store, ref, runs) if ref else team_history(store, team, runs)
    if not len(frame):
        raise click.UsageError(f"no stored run mentions {ref or 'team ' + team}")
    click.echo(render_json(frame, entity=ref, team=team) if fmt == "json" else render_text(frame, team=bool(team)))


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory, force) -> None:
    """Write a starter scorecards.yaml and checks/ into DIRECTORY (default: here) to edit as your own.

    \b
    Example:  insights init platform-scorecards/
    """
    from insights.init import write_starter

    written = write_starter(Path(directory), force)
    click.echo(f"wrote {len(written)} files into {directory}; check them with `insights validate "
               f"--config {Path(directory) / 'scorecards.yaml'}`")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: id, type, source and description of each fact (insights.facts/1).")
def facts(fmt) -> None:
    """List every fact checks can use: id, type, source and meaning.

    \b
    Example:  insights facts
              insights facts --format json
    """
    from insights.facts.registry import FACTS
    from insights.output.text import dump

    if fmt == "json":
        click.echo(dump({"schema": "insights.facts/1", "facts": [
            {"id": f.id, "type": f.type, "source": f.source, "description": f.description} for f in FACTS.values()]}))
        return
    for fact in FACTS.values():
        click.echo(f"{fact.id}  ({fact.type}, {fact.source})\n    {fact.description}")


@cli.command()
@click.argument("entity_ref")
@click.option("--run", "run_id", type=RUN_ID, help="Run to read (default: the latest successful run).")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the entity, its scorecards, checks, facts and findings (insights.explain/1).")
def explain(entity_ref, run_id, db_url, fmt) -> None:
    """Every fact and check result of one entity, with how to fix each failure.

    ENTITY_REF: checkout (a component of the default namespace), component:checkout or component:default/checkout.

    \b
    Example:  insights explain component:default/checkout
              insights explain checkout --format json
    """
    from insights.explain import explain_entity, explain_json
    from insights.pipeline import database_url
    from insights.store import Store

    click.echo((explain_json if fmt == "json" else explain_entity)(Store(database_url(db_url)), entity_ref, run_id))




for command in (fix, catalog, db, pagerduty):
    cli.add_command(command)
cli.add_command(snapshot, "collect")
cli.add_command(finalize)


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    try:
        code = cli.main(args=argv, prog_name="insights", standalone_mode=False)
    except click.exceptions.Abort:  # Ctrl-C while click itself was busy (reading the command line)
        code = report_error(KeyboardInterrupt())
    except click.ClickException as error:
        error.show()
        code = EXIT_USAGE
    sys.exit(code if isinstance(code, int) else EXIT_OK)