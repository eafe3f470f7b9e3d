"""One error tree for the whole tool, and the exit codes the CLI maps it to.

Library code raises these; only ``insights.cli`` turns them into messages and exit codes::

    InsightsError             exit 2   a person can act on the message
    ├── ConfigError           exit 2   configuration or check file wrong (every problem, each with file:line)
    ├── SourceError           exit 3   a catalog source could not be read at all
    ├── PagerDutyError        exit 3   the PagerDuty API refused, could not be reached or answered something broken
    ├── StoreError            exit 3   the database could not be used, refused a write, or the run lost its lock
    │   └── NotInStore        exit 2   what a command asked to read is not there (no database, no run yet, no such run)
    ├── OutputError           exit 3   a report file could not be written (full disk, read-only folder)
    ├── NotifyError           exit 3   a team's webhook kept failing (after the other teams were told)
    └── GateFailed            exit 1   the run was stored, but a CI gate tripped

Ctrl-C exits 130 (128 + SIGINT, as shells expect), SIGTERM (a scheduler stopping the job: Kubernetes, systemd,
`timeout`) 143 (128 + SIGTERM), both after recording the run failed; a closed output pipe (`| head`) 141
(128 + SIGPIPE) without a message; anything else is a bug in insights and exits 70.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C, so that the run is recorded failed and its lock let go."""


def interruption(error: BaseException) -> str:
    """What a run interrupted by `error` records as its error."""
    return "terminated by SIGTERM" if isinstance(error, Terminated) else f"interrupted by {type(error).__name__}"


class InsightsError(Exception):
    """Base of every error the tool reports to a person."""

    exit_code = EXIT_USAGE


class ConfigError(InsightsError):
    """A configuration or check file is wrong. Carries every problem found, each with file:line."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class SourceError(InsightsError):
    """A catalog source could not be read at all (a single bad file is a finding, not this)."""

    exit_code = EXIT_UNREACHABLE


class NotifyError(InsightsError):
    """A team's webhook kept failing; the other teams were notified. Names teams, statuses and the
    environment variables holding the URLs, never the URLs."""

    exit_code = EXIT_UNREACHABLE


class PagerDutyError(InsightsError):
    """The PagerDuty API could not be used: credentials refused, unreachable, or a broken answer."""

    exit_code = EXIT_UNREACHABLE

    def __init__(self, message: str, *, status: int | None = None, endpoint: str | None = None):
        self.status = status
        self.endpoint = endpoint
        super().__init__(message)


class StoreError(InsightsError):
    """The database could not be reached, is of the wrong schema version, refused a write, or another run
    holds (or took over) the run lock."""

    exit_code = EXIT_UNREACHABLE


class NotInStore(StoreError):
    """The database was read fine, but what was asked for is not in it: no database at that path, no
    successful run yet, no run of that id. The request is what needs changing."""

    exit_code = EXIT_USAGE


class OutputError(InsightsError):
    """A report could not be written. The previous reports are left as they were."""

    exit_code = EXIT_UNREACHABLE


class GateFailed(InsightsError):
    """The run finished and was stored, but a CI gate tripped. Carries one line per tripped gate."""

    exit_code = EXIT_GATE_FAILED

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
