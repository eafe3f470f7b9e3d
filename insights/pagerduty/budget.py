"""PagerDuty's per-key request budget, used rather than guessed.

Requests go out at once while the budget allows: the API's `ratelimit-remaining`, less every request still in
flight (the server may not have counted them yet), and a configured ceiling: never more than that many
requests in any 60 seconds, whatever window the server counts in. When few remain, the rest are spread over the time left in the window (`ratelimit-reset`); at
none, every worker waits for the window to end. A 429 pauses every worker until `ratelimit-reset`. The
waits themselves are the Guard's, so none outlasts the longest wait or the deadline.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from typing import Callable

LOW_SHARE = 0.1  # below this share of the limit left, requests are spread over the rest of the window
BLIND_WAIT_CAP_S = 60.0  # a 429 without a usable ratelimit-reset: backoff doubling up to this


class RateBudget:
    def __init__(self, per_minute: int, fallback_s: float = 1.0):
        self.capacity = max(per_minute, 1)
        self.sent: deque[float] = deque()  # when the requests of the last 60 seconds were sent
        self.fallback_s, self.blind = fallback_s, 0
        self.limit: int | None = None  # ratelimit-limit, once seen
        self.remaining: int | None = None  # what may still be sent in this window, counted conservatively
        self.reset_at: float | None = None  # when this window ends (monotonic)
        self.why = ""  # what the API said, for messages about a wait
        self.epoch = 0  # windows passed: an answer sent in an older window says nothing about this one
        self.in_flight: Counter[int] = Counter()
        self.last_sent = 0.0
        self.lock = threading.Lock()

    def acquire(self, wait: Callable[[float, str], None]) -> int:
        """Block until a request may be sent; returns the ticket to give back to `observe`."""
        while True:
            with self.lock:
                now = time.monotonic()
                seconds, why = self._delay(now)
                if seconds <= 0:
                    self.sent.append(now)
                    if self.remaining is not None:
                        self.remaining -= 1
                    self.in_flight[self.epoch] += 1
                    self.last_sent = now
                    return self.epoch
            wait(seconds, why)

    def observe(self, ticket: int, status: int | None, headers: dict[str, str]) -> None:
        """The answer to a request (status None: none came); headers with lower-case names."""
        with self.lock:
            self.in_flight[ticket] -= 1
            if self.in_flight[ticket] <= 0:
                del self.in_flight[ticket]
            if ticket != self.epoch:
                return
            now = time.monotonic()
            limit, left = _count(headers.get("ratelimit-limit")), _count(headers.get("ratelimit-remaining"))
            reset = _seconds(headers.get("ratelimit-reset"))
            self.limit = limit or self.limit
            said = f"ratelimit-reset: {headers.get('ratelimit-reset', '(none)')}"
            if status == 429:
                left, self.why = 0, f"HTTP 429 with {said}"
                if reset is None:  # nothing usable to go by: back off, doubling
                    reset = min(self.fallback_s * 2 ** self.blind, BLIND_WAIT_CAP_S)
                    self.blind += 1
                reset = max(reset, self.fallback_s)  # never ask again at once
            elif left is not None:
                self.why = f"ratelimit-remaining: {left} with {said}"
            if status is not None and status < 300:
                self.blind = 0
            if reset is not None and (status == 429 or self.reset_at is None):
                # The window's end as first reported: later answers round differently and would only push it
                # back. A 429 is obeyed in full.
                self.reset_at = max(self.reset_at or now, now + reset)
            if left is not None:
                estimate = left - sum(self.in_flight.values())  # sent, and perhaps not counted yet
                self.remaining = estimate if self.remaining is None else min(self.remaining, estimate)

    def _delay(self, now: float) -> tuple[float, str]:
        while self.sent and self.sent[0] <= now - 60:
            self.sent.popleft()
        if self.reset_at is not None and now >= self.reset_at:
            # A new window: the whole budget, less what may still land in it.
            self.epoch += 1
            self.remaining = None if self.limit is None else self.limit - sum(self.in_flight.values())
            self.reset_at = None
        waits = [(0.0, "")]
        if len(self.sent) >= self.capacity:
            waits.append((self.sent[0] + 60 - now, f"{self.capacity} requests per minute"))
        if self.remaining is not None and self.remaining < 1:
            if self.reset_at is None:  # the window's end is unknown: look again shortly
                self.reset_at = now + self.fallback_s
            waits.append((self.reset_at - now, self.why))
        elif self.remaining is not None and self.limit and self.remaining < LOW_SHARE * self.limit and self.reset_at:
            waits.append((self.last_sent + (self.reset_at - now) / self.remaining - now, self.why))
        return max(waits)


def _count(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


def _seconds(text: str | None) -> float | None:
    """A usable ratelimit-reset: a finite, non-negative number of seconds; anything else is ignored."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value >= 0 else None
