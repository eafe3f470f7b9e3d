"""The one place where errors become what the user sees and the exit code, for every command (see
`insights.errors` for the tree and the codes)."""

from __future__ import annotations

import logging
import os
import sys

import click

from insights.catalog.model import cut
from insights.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED, GateFailed, \
    InsightsError, Terminated

log = logging.getLogger("insights")


def report_error(error: BaseException) -> int:
    """The one place that turns an error into what the user sees, and returns the exit code."""
    if isinstance(error, Terminated):
        click.echo("terminated (SIGTERM)", err=True)
        return EXIT_TERMINATED
    if isinstance(error, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    if isinstance(error, BrokenPipeError):  # the reader of our output went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    if isinstance(error, GateFailed):
        for problem in error.problems:
            click.echo(f"gate failed: {problem}", err=True)
        return error.exit_code
    if isinstance(error, InsightsError):
        click.echo(f"error: {error}", err=True)
        return error.exit_code
    log.debug("internal error", exc_info=error)
    click.echo(f"internal error: {type(error).__name__}: {cut(str(error), 1000)}\nThis is a bug in insights; please report it "
               "with the command you ran (rerun with --log-level debug for the traceback).", err=True)
    return EXIT_INTERNAL


class InsightsGroup(click.Group):
    """A click group whose commands' errors all go through `report_error`."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 (the one place errors become exit codes)
            ctx.exit(report_error(error))


def stop_on_sigterm() -> None:
    """SIGTERM unwinds the command as Ctrl-C does (its run recorded failed, its lock let go), then exits 143.
    A second SIGTERM while unwinding ends the process at once."""
    import signal

    def terminate(number, _frame):
        signal.signal(number, signal.SIG_DFL)
        raise Terminated()

    signal.signal(signal.SIGTERM, terminate)
