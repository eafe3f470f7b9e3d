"""Where each team's notification goes, and how hard to try. Webhook URLs are secrets: the settings name
the environment variables that hold them, and a resolved `Webhook` never shows its URL."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from insights.errors import ConfigError
from insights.notify.formats import RENDERERS
from insights.report.escape import safe_url

DEFAULT_ENV = "INSIGHTS_NOTIFY_WEBHOOK"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class NotifySettings:
    teams: dict[str, str] = field(default_factory=dict)  # team -> variable holding its webhook URL
    default: str | None = DEFAULT_ENV  # variable for teams not in `teams`; None: those teams get nothing
    format: str = "slack"  # slack (Block Kit) or json (the versioned generic body)
    base_url: str | None = None  # where the reports are published, for links in the messages
    initial: bool = False  # on a first run (nothing to compare with), send every team its failing checks
    max_attempts: int = 5
    backoff: float = 1.0  # seconds before the first retry, doubled each time, with jitter
    max_backoff: float = 30.0
    max_seconds: float = 120.0  # no retry starts after this long on one team's message
    timeout: float = 10.0  # per request
    interval: float = 1.0  # between messages to one webhook (Slack takes about one a second)

    def __post_init__(self):
        problems = []
        if self.format not in RENDERERS:
            problems.append(f"`notify.format` must be one of {', '.join(RENDERERS)}, not {self.format!r}")
        for key, name in [*((f"teams.{t}", v) for t, v in self.teams.items()), ("default", self.default)]:
            if name is not None and not (isinstance(name, str) and _ENV_NAME.fullmatch(name)):
                problems.append(f"`notify.{key}` must name an environment variable (such as SLACK_WEBHOOK_PAYMENTS), "
                                "not hold the URL itself")
        if self.base_url is not None and safe_url(self.base_url) is None:
            problems.append("`notify.base_url` must be an http(s) URL")
        if self.max_attempts < 1:
            problems.append("`notify.max_attempts` must be at least 1")
        if min(self.backoff, self.max_backoff, self.max_seconds, self.interval) < 0 or self.timeout <= 0:
            problems.append("`notify` durations must not be negative, and `notify.timeout` must be positive")
        if problems:
            raise ConfigError(problems)

    def variable_for(self, team: str) -> str | None:
        """The variable holding this team's webhook: its own entry (names compared without case), else the default."""
        own = {name.lower(): variable for name, variable in self.teams.items()}
        return own.get(team.lower(), self.default)


class Webhook:
    """A webhook URL read from the environment. Its text is only ever the variable's name."""

    __slots__ = ("variable", "url")

    def __init__(self, variable: str, url: str):
        self.variable, self.url = variable, url

    def __repr__(self) -> str:
        return f"Webhook({self.variable})"

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, ...]:
        """The parts of the URL that give the right to post: all of it, its path and its query."""
        parts = urlsplit(self.url)
        return tuple(s for s in (self.url, parts.path, parts.query) if len(s) > 1)


def resolve(variables: set[str], environ=os.environ) -> dict[str, Webhook]:
    """Every webhook named, read from the environment; all missing or malformed ones are reported together,
    by variable name, before anything is sent."""
    problems, found = [], {}
    for variable in sorted(variables):
        url = environ.get(variable, "").strip()
        if not url:
            problems.append(f"{variable} is not set: it should hold the team's webhook URL")
        elif safe_url(url) is None:
            problems.append(f"{variable} does not hold an http(s) URL")
        else:
            found[variable] = Webhook(variable, url)
    if problems:
        raise ConfigError(problems)
    return found


def settings_from(config) -> NotifySettings:
    """The configuration's `notify:` section (every key already checked by the configuration reader)."""
    return NotifySettings(**getattr(config, "notify", None) or {})
