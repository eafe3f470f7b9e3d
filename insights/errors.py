"""One error tree for the whole tool, and the exit codes the CLI maps it to.

Library code raises these; only ``insights.cli`` turns them into messages and exit codes.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERNAL = 70


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
    """The database could not be reached, is of the wrong schema version, or refused a write."""

    exit_code = EXIT_UNREACHABLE


class GateFailed(InsightsError):
    """The run finished and was stored, but a CI gate tripped."""

    exit_code = EXIT_GATE_FAILED
