"""The `insights` command. Commands parse options, call one library function, print, and exit.

Errors are mapped to messages and exit codes in one place for every command: `insights.cli_errors`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from pathlib import Path

import click

from insights import __version__
from insights.cli_errors import InsightsGroup, report_error
from insights.cli_options import gate_options, keep_options, metrics_option, notify_option
from insights.cli_params import CATALOG, RUN_ID, FiniteRange
from insights.cli_shards import finalize
from insights.errors import EXIT_GATE_FAILED, EXIT_OK, EXIT_USAGE, GateFailed, InsightsError
from insights.report.formats import DEFAULT as DEFAULT_REPORT_FORMATS
from insights.report.formats import NAMES as REPORT_FORMATS

log = logging.getLogger("insights")
LINT_FORMATS = ("text", "json", "sarif", "github")  # insights.catalog.lint.FORMATS, without importing it here


def _config(path: str | None):
    from insights.config import load_config
    from insights.resources import default_config

    if path:
        return load_config(Path(path))
    local = Path("scorecards.yaml")
    return load_config(local if local.is_file() else default_config())


def _print_summary(outcome) -> None:
    if click.get_current_context().obj["quiet"]:
        return
    s = outcome.summary
    click.echo(f"Run {outcome.run_id}: {s['entities']} entities scanned, {s['findings']} catalog findings")
    click.echo(f"Checks: {s['passed']} passed, {s['failed']} failed, {s['unknown']} unknown, {s['waived']} waived")
    if s["worst_teams"]:
        click.echo("Most failures: " + ", ".join(f"{team} ({n})" for team, n in s["worst_teams"]))
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


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record is logged (a test runner may swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _):
        pass


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname.lower(),
                           "logger": record.name, "message": record.getMessage()})


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


def _progress():
    from insights.progress import Progress

    settings = click.get_current_context().obj
    json_lines = settings["log_format"] == "json"  # every line on stderr is then one JSON object
    return Progress(quiet=settings["quiet"], formatter=JsonLogFormatter() if json_lines else None)


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
    from insights.pipeline import RunOptions, credential_for, database_url, execute

    if shard or run_key:
        from insights.cli_shards import run_as_shard

        return run_as_shard(shard, run_key, config_path, catalogs, db_url)
    config = _config(config_path)
    config = dataclasses.replace(config, keep_runs=keep_runs or config.keep_runs, keep_days=keep_days or config.keep_days)
    outcome = execute(RunOptions(
        config=config, sources=tuple(source_from_argument(c) for c in catalogs), db_url=database_url(db_url, config),
        out_dir=Path(out_dir), pagerduty_url=pagerduty_url,
        snapshot=Path(pagerduty_snapshot) if pagerduty_snapshot else None,
        credential=None if pagerduty_snapshot else credential_for(config), progress=_progress(),
        gates=_gate_settings(config, **gates)))
    finish_run(outcome, config if notify_teams else None, database_url(db_url, config), metrics_file)


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


@cli.command()
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


@cli.group()
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


@cli.group()
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


@cli.group()
def pagerduty() -> None:
    """PagerDuty: snapshot the account, or serve a local simulator."""


@pagerduty.command()
@click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False),
              help="Snapshot file to serve (default: the bundled demo data).")
@click.option("--as-captured", is_flag=True, help="Serve the snapshot's times as captured, not moved to now.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0, 600_000),
              help="Delay added to every response.")
@click.option("--rate-limit", default=960, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Requests per minute before 429.")
@click.option("--fail-rate", default=0.0, show_default=True, type=FiniteRange(0, 1),
              help="Share of requests answered with 503.")
@click.option("--token", default="simulator-token", show_default=True, help="The API key it accepts.")
@click.option("--generate", "generate_services", type=int, help="Serve a generated account of N services instead.")
@click.option("--entities", type=int, help="With --generate: catalog entities to write (default 5 per service).")
@click.option("--catalog-out", default="generated-catalog", show_default=True, type=click.Path(file_okay=False),
              help="With --generate: where the matching catalog is written.")
def simulate(data_file, as_captured, port, latency_ms, rate_limit, fail_rate, token, generate_services, entities,
             catalog_out) -> None:
    """Serve the PagerDuty REST API v2 on 127.0.0.1 from a snapshot, until interrupted.

    On-call shifts and incidents are moved so that the snapshot's capture time is now, as `insights demo` does.

    \b
    Example:  insights pagerduty simulate --port 8080 --latency-ms 20
              insights pagerduty simulate --generate 2000 --catalog-out bench-catalog/
    """
    import signal
    import threading
    from datetime import datetime, timezone

    from insights.pagerduty.simulator import Simulator, SimulatorSettings
    from insights.pagerduty.state import load_snapshot, shift_times
    from insights.resources import demo_data

    moved_from = None
    if generate_services:
        from insights.pagerduty.generate import generate, write_catalog

        generated = generate(generate_services, entities)
        state, catalog = generated.state, catalog_out
        write_catalog(generated.catalog, Path(catalog_out))
        click.echo(f"wrote {len(generated.catalog)} descriptor files under {catalog_out}", err=True)
    else:
        state = load_snapshot(Path(data_file) if data_file else demo_data() / "pagerduty.json")
        catalog = "YOUR_CATALOG" if data_file else str(demo_data() / "catalog")
        if not as_captured:
            moved_from, state = state.collected_at, shift_times(state, datetime.now(timezone.utc))
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    settings = SimulatorSettings(token=token, latency_ms=latency_ms, rate_limit=rate_limit, fail_rate=fail_rate)
    try:
        simulator = Simulator(state, settings, port=port)
    except OSError as error:
        raise InsightsError(f"cannot serve on 127.0.0.1:{port}: {error.strerror}; choose another --port") from None
    with simulator:
        click.echo(simulator.banner(catalog, moved_from), err=True)
        stop.wait()


@pagerduty.command()
@click.option("-o", "--output", "--out", "output", required=True, type=click.Path(dir_okay=False),
              help="Snapshot file to write.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="scorecards.yaml to use.")
@click.option("--pagerduty-url", help="PagerDuty API base URL.")
def snapshot(output, config_path, pagerduty_url) -> None:
    """Collect the PagerDuty account once and write it to a snapshot file (credential as for `run`).

    Runs once per account within its rate limit; the snapshot then serves any number of runs and
    finalize (--pagerduty-snapshot). `insights collect` and `insights pagerduty snapshot` are one command.

    \b
    Example:  insights collect --out pagerduty.json
              insights pagerduty snapshot -o pagerduty.json
    """
    from insights.pagerduty.state import save_snapshot
    from insights.pipeline import RunOptions, credential_for, pagerduty_state

    config = _config(config_path)
    credential = credential_for(config)
    if not credential and not config.pagerduty.accounts:  # several accounts name their own credentials
        raise click.UsageError("set PAGERDUTY_TOKEN to a read-only REST API key, or PD_CLIENT_ID and "
                               "PD_CLIENT_SECRET for an OAuth app")
    state = pagerduty_state(RunOptions(config=config, pagerduty_url=pagerduty_url, credential=credential))
    save_snapshot(state, Path(output))
    services = sum(len(s.services) for s in getattr(state, "accounts", {"": state}).values())
    click.echo(f"{output}: {services} services, {sum(state.requests.values())} requests")


cli.add_command(snapshot, "collect")
cli.add_command(finalize)


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="insights", standalone_mode=False)
    except click.exceptions.Abort:  # Ctrl-C while click itself was busy (reading the command line)
        code = report_error(KeyboardInterrupt())
    except click.ClickException as error:
        error.show()
        code = EXIT_USAGE
    sys.exit(code if isinstance(code, int) else EXIT_OK)
