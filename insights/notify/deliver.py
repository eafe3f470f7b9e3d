"""Tell every team what newly fails in a stored run: build the notices, render them, send each to its
team's webhook (or print them, for a dry run), and report the teams whose webhook kept failing last."""

from __future__ import annotations

import dataclasses
import json
import os

import requests

from insights.errors import NotifyError
from insights.notify.formats import RENDERERS
from insights.notify.message import notices
from insights.notify.send import Delivery, Sender
from insights.notify.settings import NotifySettings, resolve
from insights.report.view import load_view


@dataclasses.dataclass(frozen=True)
class Message:
    team: str
    variable: str | None  # the environment variable holding the team's webhook; None: none configured
    format: str
    body: dict


@dataclasses.dataclass(frozen=True)
class NotifyOutcome:
    run_id: int
    first_run: bool
    messages: tuple[Message, ...]  # what was sent, or would be on a dry run
    quiet: tuple[str, ...]  # teams with nothing newly failing: nothing is sent to them
    deliveries: tuple[Delivery, ...] = ()

    @property
    def unrouted(self) -> tuple[str, ...]:
        return tuple(m.team for m in self.messages if m.variable is None)

    def as_json(self) -> str:
        """The messages, for `--dry-run`: team, the variable its webhook is read from, format and body."""
        return json.dumps([{"team": m.team, "webhook_env": m.variable, "format": m.format, "body": m.body}
                           for m in self.messages], indent=2, ensure_ascii=False)

    def lines(self) -> list[str]:
        """What happened, for a person."""
        if self.first_run and not self.messages:
            return [f"run {self.run_id} is the first in this database: nothing to compare with, nothing sent "
                    "(--initial sends every team its failing checks)"]
        lines = [f"notified {d.team} (webhook in {d.variable})" for d in self.deliveries if d.delivered]
        if self.unrouted:
            lines.append("no webhook for " + ", ".join(self.unrouted) + " (set notify.teams or notify.default)")
        if self.quiet:
            lines.append("nothing newly failing for " + ", ".join(self.quiet) + ": nothing sent")
        return lines


def notify_run(store, run_id: int | None, settings: NotifySettings, dry_run: bool = False,
               environ=os.environ) -> NotifyOutcome:
    """Send each team what newly fails in run `run_id` (the latest successful run when None).

    Every webhook variable is checked before anything is sent (ConfigError naming the missing ones). A team
    whose webhook keeps failing does not stop the others: NotifyError names it, with the status, after
    all were tried, and carries the outcome as `.outcome`.
    """
    view = load_view(store, store.readable_run(run_id))
    render = RENDERERS[settings.format]
    messages = tuple(Message(n.team, settings.variable_for(n.team), settings.format, render(n))
                     for n in notices(view, initial=settings.initial, base_url=settings.base_url))
    told = {m.team for m in messages}
    quiet = tuple(sorted(t for t in view.entities["team"].unique() if t not in told))
    outcome = NotifyOutcome(int(view.run["id"]), view.previous_run_id is None, messages, quiet)
    if dry_run or not messages:
        return outcome
    webhooks = resolve({m.variable for m in messages if m.variable}, environ)
    with requests.Session() as session:
        sender = Sender(settings, session)
        deliveries = tuple(sender.post(m.team, webhooks[m.variable], m.body) for m in messages if m.variable)
    outcome = dataclasses.replace(outcome, deliveries=deliveries)
    failed = [d for d in deliveries if not d.delivered]
    if failed:
        sent = [d.team for d in deliveries if d.delivered]
        error = NotifyError("could not notify " + "; ".join(d.describe() for d in failed)
                            + (f"; notified {', '.join(sent)}" if sent else ""))
        error.outcome = outcome
        raise error
    return outcome
