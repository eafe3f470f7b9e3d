"""Posting one message to one webhook. 429, 5xx and network errors are retried with exponential backoff
and jitter (tenacity), honouring a 429's `Retry-After` as Slack sends it, bounded in attempts and in time:
no retry starts whose wait would run past `max_seconds`.

A webhook URL is a secret. Only the variable holding it is named in log lines, results and errors; the
HTTP libraries' own log records are scrubbed of it while a message is being posted.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests
import urllib3
from tenacity import (Retrying, retry_if_result, stop_after_attempt, stop_before_delay, wait_exponential,
                      wait_random)

from insights import __version__
from insights.notify.settings import NotifySettings, Webhook

log = logging.getLogger(__name__)
# Slack answers a refused message with a short error code in the body (`invalid_blocks`, `no_text`).
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{1,60}")
_LIBRARY_LOGGERS = ("urllib3", "requests")


@dataclass(frozen=True)
class Answer:
    """One attempt: the HTTP status (None when no answer came) and what went wrong, if anything."""

    status: int | None
    problem: str | None = None
    retryable: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class Delivery:
    team: str
    variable: str  # the environment variable that holds the webhook URL
    status: int | None
    problem: str | None  # None: delivered
    attempts: int

    @property
    def delivered(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        tries = f"after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        return f"team {self.team}: {self.problem} {tries} (webhook in {self.variable})"


class Sender:
    def __init__(self, settings: NotifySettings, session: requests.Session | None = None):
        self.settings = settings
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"insights/{__version__} (Tech Insights notifications)"
        self._last_post: dict[str, float] = {}

    def post(self, team: str, webhook: Webhook, body: dict) -> Delivery:
        s = self.settings
        attempts = 0

        def attempt() -> Answer:
            nonlocal attempts
            attempts += 1
            return self._attempt(webhook, body)

        def before_sleep(state) -> None:
            answer = state.outcome.result()
            log.warning("notify team %s: %s from the webhook in %s; retrying in %.1fs", team, answer.problem,
                        webhook.variable, state.upcoming_sleep)

        retrying = Retrying(
            stop=stop_after_attempt(s.max_attempts) | stop_before_delay(s.max_seconds),
            wait=_wait(s.backoff, s.max_backoff), retry=retry_if_result(lambda answer: answer.retryable),
            retry_error_callback=lambda state: state.outcome.result(), before_sleep=before_sleep)
        self._space(webhook.variable)
        with _scrubbed(webhook):
            answer = retrying(attempt)
        self._last_post[webhook.variable] = time.monotonic()
        return Delivery(team, webhook.variable, answer.status, answer.problem, attempts)

    def _space(self, variable: str) -> None:
        """Several teams may share one webhook; Slack takes about one message a second on each."""
        last = self._last_post.get(variable)
        if last is not None:
            time.sleep(max(0.0, last + self.settings.interval - time.monotonic()))

    def _attempt(self, webhook: Webhook, body: dict) -> Answer:
        try:
            response = self.session.post(webhook.url, json=body, timeout=self.settings.timeout,
                                         allow_redirects=False, stream=True)
        except (requests.ConnectionError, requests.Timeout) as error:
            # The exception's text carries the URL: only its kind is kept.
            return Answer(None, f"no answer ({type(error).__name__})", retryable=True)
        except requests.RequestException as error:
            return Answer(None, f"the request could not be made ({type(error).__name__})")
        with response:
            status = response.status_code
            if status < 300:
                return Answer(status)
            try:  # the start of the body only: an answer is untrusted and may be huge
                head = response.raw.read(64, decode_content=True).decode("utf-8", "replace").strip()
            except (OSError, ValueError, urllib3.exceptions.HTTPError):
                head = ""
        detail = f" {head}" if _ERROR_CODE.fullmatch(head) else ""
        return Answer(status, f"HTTP {status}{detail}", retryable=status == 429 or status >= 500,
                      retry_after=_retry_after(response.headers.get("Retry-After")))


def _wait(backoff: float, max_backoff: float):
    exponential = wait_exponential(multiplier=backoff, max=max_backoff) + wait_random(0, backoff)

    def wait(state) -> float:
        return max(exponential(state), state.outcome.result().retry_after or 0.0)

    return wait


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait: `Retry-After` is a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class _Scrub(logging.Filter):
    def __init__(self, webhook: Webhook):
        super().__init__()
        self.secrets = sorted(webhook.secrets, key=len, reverse=True)
        self.mask = f"<webhook in {webhook.variable}>"

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, self.mask)
        record.msg, record.args = message, ()
        record.exc_info = record.exc_text = None  # a traceback's text would carry the URL
        return True


@contextmanager
def _scrubbed(webhook: Webhook):
    """Filters on the HTTP libraries' loggers (a filter acts on the records its own logger creates)."""
    manager = logging.root.manager
    loggers = [logging.getLogger(name) for name in list(manager.loggerDict)
               if name.split(".")[0] in _LIBRARY_LOGGERS] + [logging.getLogger(n) for n in _LIBRARY_LOGGERS]
    scrub = _Scrub(webhook)
    for logger in loggers:
        logger.addFilter(scrub)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrub)
