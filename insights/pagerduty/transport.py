"""HTTP for the PagerDuty client: a total time limit per request and a size limit per answer.

`requests` bounds each socket read, not a request: a server that drips a byte every few seconds, in its headers
or its body, never times out. Here every connection the session opens arms a watchdog when a request is sent on
it; when the request's time is up the watchdog shuts the socket down, whatever phase the request is in, and the
blocked read returns at once.
"""

from __future__ import annotations

import heapq
import socket
import threading
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

CHUNK = 65536


class TransportFailure(Exception):
    """No usable answer: network error, time limit or size limit. `retry` says whether trying again may help."""

    def __init__(self, problem: str, retry: bool = True):
        super().__init__(problem)
        self.problem, self.retry = problem, retry


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class Watchdog:
    """One thread that shuts down the sockets of requests past their time limit."""

    def __init__(self):
        self.local = threading.local()  # the calling thread's time limit, read by the connections it uses
        self.armed: dict[int, tuple[float, HTTPConnection]] = {}  # thread id -> (monotonic end, connection)
        self.sockets: dict[int, socket.socket] = {}  # thread id -> the socket its answer is read from
        self.heap: list[tuple[float, int]] = []
        self.fired: set[int] = set()
        self.condition = threading.Condition()
        self.thread: threading.Thread | None = None

    def arm(self, connection: HTTPConnection) -> None:
        ends = getattr(self.local, "ends", None)
        if ends is None:
            return
        key = threading.get_ident()
        with self.condition:
            self.armed[key] = (ends, connection)
            heapq.heappush(self.heap, (ends, key))
            self.condition.notify()

    def hold(self, sock: socket.socket | None) -> None:
        """Keep the socket an answer is read from: http.client lets go of it on `Connection: close`."""
        with self.condition:
            if sock is not None and threading.get_ident() in self.armed:
                self.sockets[threading.get_ident()] = sock

    def begin(self, ends: float) -> None:
        self.local.ends = ends
        with self.condition:
            self.fired.discard(threading.get_ident())
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="pagerduty-watchdog", daemon=True)
                self.thread.start()

    def end(self) -> bool:
        """Disarm the calling thread; True if its request was cut off."""
        self.local.ends = None
        key = threading.get_ident()
        with self.condition:
            self.armed.pop(key, None)
            self.sockets.pop(key, None)
            fired = key in self.fired
            self.fired.discard(key)
        return fired

    def _run(self) -> None:
        with self.condition:
            while True:
                now = time.monotonic()
                while self.heap and self.heap[0][0] <= now:
                    ends, key = heapq.heappop(self.heap)
                    armed = self.armed.get(key)
                    if armed and armed[0] == ends:
                        self.armed.pop(key)
                        self.fired.add(key)
                        _shut(self.sockets.pop(key, None) or getattr(armed[1], "sock", None))
                self.condition.wait(self.heap[0][0] - now if self.heap else None)


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


WATCHDOG = Watchdog()


class _Timed:
    def request(self, *args, **kwargs):
        WATCHDOG.arm(self)
        return super().request(*args, **kwargs)

    def getresponse(self, *args, **kwargs):
        WATCHDOG.hold(self.sock)
        return super().getresponse(*args, **kwargs)


class _TimedHTTPConnection(_Timed, HTTPConnection):
    pass


class _TimedHTTPSConnection(_Timed, HTTPSConnection):
    pass


class _TimedPool(HTTPConnectionPool):
    ConnectionCls = _TimedHTTPConnection


class _TimedTlsPool(HTTPSConnectionPool):
    ConnectionCls = _TimedHTTPSConnection


POOLS = {"http": _TimedPool, "https": _TimedTlsPool}


class _TimedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = POOLS
        return manager


class Transport:
    def __init__(self, headers: dict[str, str], connect_timeout_s: float, max_body_bytes: int, pool_size: int = 10):
        self.connect_timeout_s, self.max_body_bytes = connect_timeout_s, max_body_bytes
        self.session = requests.Session()
        self.session.headers.update(headers)
        adapter = _TimedAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def send(self, method: str, url: str, limit_s: float, **kwargs) -> Answer:
        """One request, from connecting to the last byte of the answer, within `limit_s` seconds."""
        limit_s = max(limit_s, 0.001)
        WATCHDOG.begin(time.monotonic() + limit_s)
        response = None
        try:
            response = self.session.request(method, url, stream=True, allow_redirects=False,
                                            timeout=(min(self.connect_timeout_s, limit_s), limit_s), **kwargs)
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > self.max_body_bytes:
                    raise TransportFailure(f"more than {self.max_body_bytes:,} bytes", retry=False)
            answer = Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, bytes(body))
        except requests.RequestException as error:
            if WATCHDOG.end():
                raise TransportFailure(f"no complete answer within {limit_s:g} s") from error
            raise TransportFailure(f"{type(error).__name__} talking to {_origin(url)}") from error
        finally:
            if response is not None:
                response.close()
            WATCHDOG.end()
        return answer


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
