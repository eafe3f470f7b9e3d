"""A small PagerDuty REST API v2 client on `requests`: auth, classic paging, retries, rate limit.

It never logs or raises with the token in the text, and counts every request per endpoint.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

import requests

from insights.errors import PagerDutyError
from insights.pagerduty.auth import TOKEN_ENV, OAuthCredential, TokenCredential

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_LIMIT = 100
OFFSET_CAP = 10_000
LOW_SHARE = 0.1  # below this share of the limit left, requests are spread over the rest of the window


@dataclass
class ClientSettings:
    base_url: str = "https://api.pagerduty.com"
    requests_per_minute: int = 900
    timeout: float = 30.0
    max_retries: int = 5
    backoff: float = 0.5
    max_retry_seconds: float = 120.0
    concurrency: int = 4


class OffsetCapExceeded(PagerDutyError):
    """A list longer than the API will page through; the query must be split."""


class RateBudget:
    """Spaces requests so that no rolling minute exceeds the budget; shared by all worker threads."""

    def __init__(self, per_minute: int):
        self.interval = 60.0 / max(per_minute, 1)
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_at)
            self.next_at = at + self.interval
        if at > now:
            time.sleep(at - now)

    def pause(self, seconds: float) -> None:
        with self.lock:
            self.next_at = max(self.next_at, time.monotonic() + seconds)


class PagerDutyClient:
    def __init__(self, credential: str | TokenCredential | OAuthCredential, settings: ClientSettings | None = None):
        self.settings = settings or ClientSettings()
        self.base_url = self.settings.base_url.rstrip("/")
        self.credential = TokenCredential(credential) if isinstance(credential, str) else credential
        self.budget = RateBudget(self.settings.requests_per_minute)
        self.counts: Counter[str] = Counter()
        self.on_request = lambda: None  # progress: called once per request sent
        self._lock = threading.Lock()
        self.session = requests.Session()
        self.session.headers.update({"Accept": ACCEPT, "User-Agent": "insights (Tech Insights scorecards)"})

    def get(self, path: str, params: dict | None = None, *, endpoint: str | None = None,
            missing_ok: bool = False) -> dict | None:
        """One GET with retries. `endpoint` names the operation for counting (`GET /services/{id}`)."""
        endpoint = endpoint or f"GET {path}"
        started = time.monotonic()
        refreshed = False
        for attempt in range(self.settings.max_retries + 1):
            self.budget.wait()
            with self._lock:
                self.counts[endpoint] += 1
            self.on_request()
            try:
                response = self.session.get(self.base_url + path, params=params, timeout=self.settings.timeout,
                                            headers={"Authorization": self.credential.header()})
            except requests.RequestException as error:
                problem = f"{type(error).__name__} talking to {self.base_url}"
                response = None
            else:
                problem = None
                if response.status_code == 404 and missing_ok:
                    return None
                self._respect_rate_limit(response)
                if response.status_code < 300:
                    return self._json(response, endpoint)
                if response.status_code == 401 and not refreshed and self.credential.refresh():
                    refreshed = True  # an expired OAuth token: renewed once, then retried at once
                    continue
                self._raise_if_final(response, endpoint)
                problem = f"HTTP {response.status_code}"
            elapsed = time.monotonic() - started
            if attempt == self.settings.max_retries or elapsed > self.settings.max_retry_seconds:
                raise PagerDutyError(f"PagerDuty {endpoint} failed after {attempt + 1} attempts over "
                                     f"{elapsed:.0f}s ({problem}); the API may be down, try again later",
                                     status=response.status_code if response is not None else None,
                                     endpoint=endpoint)
            delay = self.settings.backoff * 2 ** attempt * (0.5 + random.random())
            if response is not None and response.status_code == 429:
                delay = max(delay, _reset_seconds(response))
            log.warning("PagerDuty %s: %s, retrying in %.1fs", endpoint, problem, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")

    def paginate(self, path: str, key: str, params: dict | None = None, *, endpoint: str | None = None) -> list[dict]:
        """Every object of a classic-paged list. The first page asks for the total, so a list past PagerDuty's
        offset cap is known at once (OffsetCapExceeded) and the caller can split the query; nothing is
        ever truncated silently."""
        items: list[dict] = []
        offset = 0
        while True:
            query = {**(params or {}), "limit": PAGE_LIMIT, "offset": offset, **({"total": "true"} if not offset else {})}
            page = self.get(path, query, endpoint=endpoint)
            total = page.get("total")
            if not offset and isinstance(total, int) and total > OFFSET_CAP:
                raise OffsetCapExceeded(f"PagerDuty {endpoint or 'GET ' + path} has {total} results, past the API's "
                                        f"offset cap of {OFFSET_CAP}", endpoint=endpoint)
            items += page.get(key, [])
            if not page.get("more"):
                return items
            offset += PAGE_LIMIT
            if offset + PAGE_LIMIT > OFFSET_CAP:
                raise OffsetCapExceeded(f"PagerDuty {endpoint or 'GET ' + path} has more than {OFFSET_CAP} results, "
                                        "past the API's offset cap", endpoint=endpoint)

    def _json(self, response: requests.Response, endpoint: str) -> dict:
        try:
            data = response.json()
        except ValueError as error:
            raise PagerDutyError(f"PagerDuty {endpoint} answered with malformed JSON (HTTP {response.status_code})",
                                 status=response.status_code, endpoint=endpoint) from error
        if not isinstance(data, dict):
            raise PagerDutyError(f"PagerDuty {endpoint} answered with JSON that is not an object",
                                 status=response.status_code, endpoint=endpoint)
        return data

    def _raise_if_final(self, response: requests.Response, endpoint: str) -> None:
        status = response.status_code
        if status in (401, 403):
            what = "refused" if status == 401 else "lacks permission for this request"
            raise PagerDutyError(f"PagerDuty {endpoint}: HTTP {status}, the credential in {self.credential.names} is "
                                 f"{what}; check the key and its read access", status=status, endpoint=endpoint)
        if 400 <= status < 500 and status != 429:
            raise PagerDutyError(f"PagerDuty {endpoint}: HTTP {status}: {_error_message(response)}",
                                 status=status, endpoint=endpoint)

    def _respect_rate_limit(self, response: requests.Response) -> None:
        """Wait out the window on a 429; when few requests remain, spread them over the time left."""
        remaining, limit = response.headers.get("ratelimit-remaining", ""), response.headers.get("ratelimit-limit", "")
        if response.status_code == 429 or remaining == "0":
            self.budget.pause(_reset_seconds(response))
        elif remaining.isdigit() and limit.isdigit() and int(remaining) < LOW_SHARE * int(limit):
            self.budget.pause(_reset_seconds(response) / int(remaining))


def _reset_seconds(response: requests.Response) -> float:
    try:
        return max(float(response.headers.get("ratelimit-reset", "1")), 0.0)
    except ValueError:
        return 1.0


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        details = "; ".join(error.get("errors") or [])
        return f"{error.get('message', 'error')}" + (f" ({details})" if details else "")
    except (ValueError, AttributeError):
        return response.text[:200]
