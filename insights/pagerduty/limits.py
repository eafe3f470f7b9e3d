"""The ends of every wait in a collection: one deadline for the whole of it, a cap on any single wait, and a
circuit breaker that stops every worker once the API is clearly gone.

All workers share one Guard. Waits go through `Guard.wait`, so a worker asleep in a backoff or a rate-limit
pause wakes at once when the breaker opens or another worker's error stops the collection.
"""

from __future__ import annotations

import threading
import time

from insights.errors import PagerDutyError


class Guard:
    def __init__(self, deadline_s: float, max_wait_s: float, breaker_failures: int):
        self.deadline_s, self.max_wait_s, self.breaker_failures = deadline_s, max_wait_s, max(breaker_failures, 1)
        self.started: float | None = None
        self.failures = 0  # consecutive failures (network, timeouts, 5xx) across all workers
        self.error: PagerDutyError | None = None  # set once: why every worker stops
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.started is None:
                self.started = time.monotonic()

    def left(self) -> float:
        self.start()
        return self.started + self.deadline_s - time.monotonic()

    def check(self, endpoint: str, seen: str = "") -> None:
        """Raise if the collection has stopped or passed its deadline."""
        if self.error is not None:
            raise self.error
        if self.left() <= 0:
            self.stop(PagerDutyError(
                f"PagerDuty collection passed its deadline of {self.deadline_s:g} s before {endpoint} finished"
                + (f" (last seen: {seen})" if seen else "") + "; the API is too slow or too busy, try again later "
                "or raise the deadline", endpoint=endpoint))
            raise self.error

    def wait(self, seconds: float, endpoint: str, why: str) -> None:
        """Sleep `seconds` unless that is longer than any single wait may be, or would pass the deadline."""
        if seconds > self.max_wait_s:
            raise PagerDutyError(f"PagerDuty {endpoint}: {why} asks to wait {seconds:.0f} s, longer than the "
                                 f"longest wait allowed ({self.max_wait_s:g} s); try again later", endpoint=endpoint)
        if seconds >= self.left():
            self.check(endpoint, why)  # raises if already past
            self.stop(PagerDutyError(
                f"PagerDuty {endpoint}: {why} asks to wait {seconds:.0f} s, past the collection's deadline of "
                f"{self.deadline_s:g} s; try again later or raise the deadline", endpoint=endpoint))
            raise self.error
        if seconds > 0:
            self.stopped.wait(seconds)
        self.check(endpoint, why)

    def succeeded(self) -> None:
        self.failures = 0

    def failed(self, endpoint: str, problem: str) -> None:
        """One more failure in a row; enough of them open the breaker for every worker."""
        with self.lock:
            self.failures += 1
            opened = self.failures >= self.breaker_failures and self.error is None
        if opened:
            self.stop(PagerDutyError(
                f"PagerDuty looks down: {self.failures} requests in a row failed (last: {endpoint}: {problem}); "
                "stopped every request instead of retrying them, try again later", endpoint=endpoint))
        self.check(endpoint, problem)

    def stop(self, error: PagerDutyError) -> None:
        """Stop every worker with this error (the first one given wins)."""
        with self.lock:
            if self.error is None:
                self.error = error
        self.stopped.set()
