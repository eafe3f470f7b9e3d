"""A small PagerDuty REST API v2 client: auth, classic paging, retries, the rate budget, and an end to every wait.

It never logs or raises with the token in the text, counts every request per endpoint, and checks every answer
against the shapes the collector relies on (`shapes.py`): a broken answer is a PagerDutyError naming the
endpoint, never a crash.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from insights import storable
from insights.errors import ConfigError, PagerDutyError
from insights.pagerduty.auth import ENDPOINT_SCOPES, OAuthCredential, TokenCredential
from insights.pagerduty.budget import RateBudget
from insights.pagerduty.limits import Guard
from insights.pagerduty.shapes import SHAPES, problem
from insights.pagerduty.state import iso
from insights.pagerduty.transport import Answer, Transport, TransportFailure

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.pagerduty+json;version=2"
API_URLS = {"us": "https://api.pagerduty.com", "eu": "https://api.eu.pagerduty.com"}
PAGE_LIMIT = 100
OFFSET_CAP = 10_000
SPLIT_MINIMUM = timedelta(minutes=1)  # a time window is not halved below this (see `in_window`)
ID_BATCH = 100  # ids per filtered request; about 1.5 kB of query string
WHOLE_LIST_SHARE = 0.5  # when more than this share of a list is wanted, fetching it whole takes fewer pages


def api_base_url(url: str | None, region: str = "us") -> str:
    """The REST API's base URL: the one configured, else the region's own host."""
    if url:
        return url.rstrip("/")
    if region not in API_URLS:
        raise ConfigError(f"`pagerduty.region` must be one of {', '.join(API_URLS)}, not {region!r}")
    return API_URLS[region]


def segment(value: str) -> str:
    """An id from an answer or a catalog, safe as one path segment."""
    return quote(value, safe="")


@dataclass
class ClientSettings:
    base_url: str = API_URLS["us"]
    requests_per_minute: int = 900  # a ceiling beside the API's own ratelimit-remaining (960 per key)
    concurrency: int = 4
    deadline_s: float = 1800.0  # the whole collection, every request, wait and retry included
    request_timeout_s: float = 60.0  # one request, from connecting to the last byte of the answer
    connect_timeout_s: float = 10.0
    max_wait_s: float = 120.0  # the longest single wait: a backoff, or a rate-limit reset
    max_retries: int = 5  # failed attempts (network, time limit, 5xx) retried per request; 429s do not count
    backoff_s: float = 0.5
    breaker_failures: int = 10  # failures in a row, across all workers, that stop the collection
    max_body_bytes: int = 64_000_000


class OffsetCapExceeded(PagerDutyError):
    """A list longer than the API will page through; the query must be split."""


@dataclass(frozen=True)
class Page:
    items: list[dict]
    total: int | None
    more: bool

    def pages(self) -> int:
        """Pages the whole list takes: from its total, or without one at least two when more follow."""
        if isinstance(self.total, int):
            return max(1, -(-self.total // PAGE_LIMIT))
        return 2 if self.more else 1


class PagerDutyClient:
    def __init__(self, credential: str | TokenCredential | OAuthCredential, settings: ClientSettings | None = None):
        self.settings = s = settings or ClientSettings()
        self.base_url = s.base_url.rstrip("/")
        self.credential = TokenCredential(credential) if isinstance(credential, str) else credential
        self.guard = Guard(s.deadline_s, s.max_wait_s, s.breaker_failures)
        self.budget = RateBudget(s.requests_per_minute, fallback_s=max(s.backoff_s, 0.01))
        self.transport = Transport({"Accept": ACCEPT, "User-Agent": "insights (Tech Insights scorecards)"},
                                   s.connect_timeout_s, s.max_body_bytes, pool_size=max(s.concurrency, 1))
        self.counts: Counter[str] = Counter()
        self.throttled = 0  # answers that were 429
        self.on_request = lambda: None  # progress: called once per request sent
        self._lock = threading.Lock()

    def get(self, path: str, params: dict | None = None, *, endpoint: str | None = None,
            missing_ok: bool = False) -> dict | None:
        """One GET, retried on network errors, time limits and 5xx; `endpoint` names the operation for counting
        and for its shape (`GET /services/{id}`). Rate-limit waits are not retries: they end at the deadline."""
        return self._request("GET", path, params, None, endpoint or f"GET {path}", missing_ok)

    def post(self, path: str, body: dict, *, endpoint: str | None = None) -> dict:
        """One POST of a JSON body that only reads (the Analytics API's queries), so it is retried as a GET is,
        within the same budget, deadline and breaker."""
        return self._request("POST", path, None, body, endpoint or f"POST {path}", False)

    def _request(self, method: str, path: str, params: dict | None, body: dict | None, endpoint: str,
                 missing_ok: bool) -> dict | None:
        failures, refreshed, seen = 0, False, ""
        while True:
            self.guard.check(endpoint, seen)
            authorization = self.credential.header()
            ticket = self.budget.acquire(lambda seconds, why: self.guard.wait(seconds, endpoint, why))
            with self._lock:
                self.counts[endpoint] += 1
            self.on_request()
            try:
                answer = self.transport.send(method, self.base_url + path, self._time_limit(endpoint), params=params,
                                             headers={"Authorization": authorization},
                                             **({} if body is None else {"json": body}))
            except PagerDutyError:  # the deadline passed while waiting for the budget
                self.budget.observe(ticket, None, {})
                raise
            except TransportFailure as error:
                self.budget.observe(ticket, None, {})
                if not error.retry:
                    raise PagerDutyError(f"PagerDuty {endpoint} answered {error.problem}", endpoint=endpoint) from error
                seen = error.problem
            else:
                self.budget.observe(ticket, answer.status, answer.headers)
                if answer.status == 429:
                    self.throttled += 1
                    self.guard.succeeded()  # busy, not gone: the budget waits for the window
                    seen = f"HTTP 429 (ratelimit-reset: {answer.headers.get('ratelimit-reset', 'none')})"
                    continue
                if answer.status < 500:
                    self.guard.succeeded()
                if answer.status < 300:
                    return self._json(answer, endpoint)
                if answer.status == 404 and missing_ok:
                    return None
                if answer.status == 401 and not refreshed and self.credential.refresh():
                    refreshed = True  # an expired OAuth token: renewed once, then retried at once
                    continue
                self._raise_if_final(answer, endpoint)
                seen = f"HTTP {answer.status}"
            failures += 1
            self.guard.failed(endpoint, seen)
            if failures > self.settings.max_retries:
                raise PagerDutyError(f"PagerDuty {endpoint} failed {failures} times ({seen}); the API may be down, "
                                     "try again later", status=_status(seen), endpoint=endpoint)
            delay = min(self.settings.backoff_s * 2 ** (failures - 1) * (0.5 + random.random()),
                        self.settings.max_wait_s)
            log.warning("PagerDuty %s: %s, retrying in %.1fs", endpoint, seen, delay)
            self.guard.wait(delay, endpoint, seen)

    def page(self, path: str, key: str, params: dict | None = None, offset: int = 0, *,
             endpoint: str | None = None) -> Page:
        """One page of a classic-paged list; the first asks for the total."""
        query = {**(params or {}), "limit": PAGE_LIMIT, "offset": offset, **({"total": "true"} if not offset else {})}
        data = self.get(path, query, endpoint=endpoint)
        return Page(data[key], data.get("total"), bool(data.get("more")))

    def paginate(self, path: str, key: str, params: dict | None = None, *, endpoint: str | None = None,
                 first: Page | None = None) -> list[dict]:
        """Every object of a classic-paged list (after `first`, when that page is already read). A list past
        PagerDuty's offset cap is known from the first page's total (OffsetCapExceeded) so the caller can split
        the query; nothing is ever truncated silently."""
        name = endpoint or f"GET {path}"
        page = first or self.page(path, key, params, endpoint=endpoint)
        if isinstance(page.total, int) and page.total > OFFSET_CAP:
            raise OffsetCapExceeded(f"PagerDuty {name} has {page.total} results, past the API's offset cap of "
                                    f"{OFFSET_CAP}", endpoint=name)
        items, offset = list(page.items), 0
        while page.more:
            if not page.items:
                raise PagerDutyError(f"PagerDuty {name} answered an empty page at offset {offset} that says there "
                                     "is more", endpoint=name)
            offset += PAGE_LIMIT
            if offset + PAGE_LIMIT > OFFSET_CAP:
                raise OffsetCapExceeded(f"PagerDuty {name} has more than {OFFSET_CAP} results, past the API's "
                                        "offset cap", endpoint=name)
            page = self.page(path, key, params, offset, endpoint=endpoint)
            items += page.items
        return items

    def in_window(self, path: str, key: str, params: dict, since: datetime, until: datetime, *,
                  endpoint: str | None = None, first: Page | None = None) -> list[dict]:
        """Every object of a listing with `since` and `until` (`paginate`); a window past the offset cap is
        read in halves, down to SPLIT_MINIMUM. `first`: the whole window's first page, when already read."""
        window = {**params, "since": iso(since), "until": iso(until)}
        try:
            return self.paginate(path, key, window, endpoint=endpoint, first=first)
        except OffsetCapExceeded:
            if until - since < SPLIT_MINIMUM:
                raise
            middle = (since + (until - since) / 2).replace(microsecond=0)
            return (self.in_window(path, key, params, since, middle, endpoint=endpoint)
                    + self.in_window(path, key, params, middle, until, endpoint=endpoint))

    def stop(self, error: PagerDutyError) -> None:
        """Stop every request in flight or waiting, with this error."""
        self.guard.stop(error)

    def _time_limit(self, endpoint: str) -> float:
        left = self.guard.left()
        if left <= 0:
            self.guard.check(endpoint)
        return min(self.settings.request_timeout_s, left)

    def _json(self, answer: Answer, endpoint: str) -> dict:
        try:
            data = storable.loads(answer.body)
        except (ValueError, RecursionError) as error:  # RecursionError: nesting deeper than the parser goes
            raise PagerDutyError(f"PagerDuty {endpoint} answered with malformed JSON (HTTP {answer.status})",
                                 status=answer.status, endpoint=endpoint) from error
        shape = SHAPES.get(endpoint, {})
        found = problem(data, shape)
        if found:
            raise PagerDutyError(self._masked(f"PagerDuty {endpoint} answered something broken: {found}"),
                                 status=answer.status, endpoint=endpoint)
        return data

    def _raise_if_final(self, answer: Answer, endpoint: str) -> None:
        status = answer.status
        if status == 401:
            raise PagerDutyError(f"PagerDuty {endpoint}: HTTP 401, the credential in {self.credential.names} is "
                                 "refused; check the key and its read access", status=status, endpoint=endpoint)
        if status == 403:
            scope = ENDPOINT_SCOPES.get(endpoint, "its read scope")
            needs = f"an OAuth app needs {scope}" if scope else "it takes no scoped OAuth token"
            raise PagerDutyError(f"PagerDuty {endpoint}: HTTP 403, the credential in {self.credential.names} may "
                                 f"not read this ({needs}; a user token or team-scoped app sees "
                                 "only part of the account): use an account-level read-only key",
                                 status=status, endpoint=endpoint)
        if 300 <= status < 500:
            raise PagerDutyError(self._masked(f"PagerDuty {endpoint}: HTTP {status}: {_error_message(answer)}"),
                                 status=status, endpoint=endpoint)

    def _masked(self, text: str) -> str:
        """`text` from an answer, without the credential: a server or proxy may echo what it was sent."""
        for name in ("token", "client_secret", "_token"):
            secret = getattr(self.credential, name, None)
            if isinstance(secret, str) and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def _status(seen: str) -> int | None:
    return int(seen.split()[1]) if seen.startswith("HTTP ") and seen.split()[1].isdigit() else None


def _error_message(answer: Answer) -> str:
    try:
        error = json.loads(answer.body).get("error", {})
        details = "; ".join(str(e) for e in error.get("errors") or [])
        return f"{error.get('message', 'error')}" + (f" ({details})" if details else "")
    except (ValueError, AttributeError, TypeError, RecursionError):
        return answer.body[:200].decode("utf-8", "replace")
