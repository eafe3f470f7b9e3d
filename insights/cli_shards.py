"""The commands of a sharded run: `insights run --shard K/N --run-key KEY` and `insights finalize`
(see `insights.shards`). Registered on the `insights` group by `insights.cli`."""

from __future__ import annotations

import click
from click.core import ParameterSource

from insights.cli_options import GATE_OPTIONS, gate_options, keep_options, metrics_option, notify_option
from insights.cli_params import FiniteRange

FINALIZE_ONLY = ("out_dir", "pagerduty_url", "pagerduty_snapshot", "keep_runs", "keep_days", "notify_teams",
                 "metrics_file") + GATE_OPTIONS


def run_as_shard(shard, run_key, config_path, catalogs, db_url) -> None:
    """`insights run --shard K/N --run-key KEY`: crawl one share and land it."""
    from insights.catalog.sources import source_from_argument
    from insights.cli_common import load_config_for as _config, progress_for_context as _progress
    from insights.pipeline import RunOptions, database_url
    from insights.shards import parse_shard, run_shard

    context = click.get_current_context()
    if not shard or not run_key:
        raise click.UsageError("--shard K/N and --run-key KEY go together: shard K of a run that N shards share")
    given = [name for name in FINALIZE_ONLY if context.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if given:
        option = next(p.opts[-1] for p in context.command.params if p.name == given[0])
        raise click.UsageError(f"{option} belongs to `insights finalize`: a shard only crawls its share")
    config = _config(config_path)
    outcome = run_shard(RunOptions(
        config=config, sources=tuple(source_from_argument(c) for c in catalogs), db_url=database_url(db_url, config),
        progress=_progress()), parse_shard(shard), run_key)
    if not context.obj["quiet"]:
        unreadable = f" ({outcome.unreadable} could not be read)" if outcome.unreadable else ""
        click.echo(f"Shard {outcome.shard} of run key {outcome.key}: {outcome.sources} of {outcome.total} sources"
                   f"{unreadable}, {outcome.entities} entities, {outcome.findings} findings landed")


@click.command()
@click.option("--run-key", required=True, help="The key the shards of the run were given.")
@click.option("--wait", "wait_s", default=0.0, show_default=True, type=FiniteRange(0, 24 * 3600),
              metavar="SECONDS", help="Wait this long for shards that have not landed yet (0: look once).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="scorecards.yaml to use (the shards' own).")
@click.option("--db", "db_url", help="Database URL (default: INSIGHTS_DB_URL, the config).")
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--pagerduty-url", help="PagerDuty API base URL (e.g. https://api.eu.pagerduty.com).")
@click.option("--pagerduty-snapshot", type=click.Path(exists=True, dir_okay=False),
              help="Read PagerDuty from this snapshot (see `insights collect`) instead of the API.")
@gate_options
@keep_options
@notify_option
@metrics_option
def finalize(run_key, wait_s, config_path, db_url, out_dir, pagerduty_url, pagerduty_snapshot, keep_runs, keep_days,
             notify_teams, metrics_file, **gates) -> None:
    """Store the run whose shards landed under --run-key: evaluate the whole catalog, write reports, gate.

    Only when every shard has landed; a shard missing or failed leaves the run failed (exit 3) and the
    previous run the latest. PagerDuty is read from --pagerduty-snapshot, else collected now
    (PAGERDUTY_TOKEN). PostgreSQL only.

    \b
    Example:  insights finalize --run-key 2026-03-14 --pagerduty-snapshot pagerduty.json --wait 3600 \\
                                --out reports/ --fail-on-new-failures
    """
    from insights.cli import finish_run, run_options
    from insights.shards import finalize as finalize_run

    options = run_options(config_path, db_url, out_dir, pagerduty_url, pagerduty_snapshot, keep_runs, keep_days, gates)
    outcome = finalize_run(options, run_key, wait_s)
    finish_run(outcome, options.config if notify_teams else None, options.db_url, metrics_file)
