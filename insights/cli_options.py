"""Options shared by the commands that finish a run (`run`, `finalize`): CI gates and retention."""

from __future__ import annotations

import click

from insights.cli_params import FiniteRange

GATE_OPTIONS = ("fail_under", "fail_on", "allow_unknown", "fail_on_new_failures", "fail_on_new_entity_failures",
                "max_shrink_percent")


def _apply(function, options):
    for option in reversed(options):
        function = option(function)
    return function


def gate_options(function):
    """The CI gates, passed to the command as keyword arguments named as in GATE_OPTIONS."""
    return _apply(function, [
        click.option("--fail-under", type=FiniteRange(0, 100), help="Exit 1 when the mean score is below this."),
        click.option("--fail-on", multiple=True, metavar="CHECK", help="Exit 1 unless this check passes for every "
                     "entity it applies to; unknown does not pass (repeatable)."),
        click.option("--allow-unknown", is_flag=True,
                     help="With --fail-on: only failing trips the gate, unknown does not."),
        click.option("--fail-on-new-failures", is_flag=True,
                     help="Exit 1 when a check that passed last run fails now."),
        click.option("--fail-on-new-entity-failures", is_flag=True,
                     help="Exit 1 when an entity new since last run fails a check."),
        click.option("--max-shrink", "max_shrink_percent", type=FiniteRange(0, 100), metavar="PERCENT",
                     help="Exit 1 when the catalog has more than PERCENT% fewer entities than last run, or none "
                          "(default 20; 100 turns it off)."),
    ])


def keep_options(function):
    return _apply(function, [
        click.option("--keep-runs", type=click.IntRange(min=1),
                     help="Keep only the newest N runs (default: store.keep_runs)."),
        click.option("--keep-days", type=click.IntRange(min=1), help="Keep only runs of the last D days (default: "
                     "store.keep_days)."),
    ])


def notify_option(function):
    return click.option("--notify", "notify_teams", is_flag=True,
                        help="Then tell each team what newly fails (as `insights notify`).")(function)


def metrics_option(function):
    return click.option("--metrics-file", type=click.Path(dir_okay=False), metavar="PATH",
                        help="Also write the run's metrics there (OpenMetrics text, for node-exporter's textfile "
                             "collector).")(function)
