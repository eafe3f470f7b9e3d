"""HTTP for git sources: one kept-alive connection per worker thread and host, every request ended at its
deadline by one watchdog thread (which shuts the socket of a server that stops or drips, whatever the request
waits for), every answer capped in bytes while it streams in."""

from __future__ import annotations

import heapq
import http.client
import itertools
import socket
import threading
import time
import urllib.request
from urllib.parse import urlsplit

from insights.catalog.fetch import tls_context

ARMED, DONE, FIRED = 0, 1, 2
RESET = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
RETRY_PAUSE = 0.1


class Connections:
    """One kept-alive connection per worker thread and host, closed together when the crawl is done."""

    def __init__(self):
        self._local, self._lock, self._open = threading.local(), threading.Lock(), []
        self.watchdog = Watchdog()
        self._proxies = urllib.request.getproxies()

    def proxied(self, url: str) -> bool:
        """Whether the environment sends this URL through a proxy (git, which knows proxies, then fetches it)."""
        parts = urlsplit(url)
        return parts.scheme.lower() in self._proxies and not urllib.request.proxy_bypass(parts.hostname or "")

    def post(self, url: str, body: bytes, headers: dict, timeout: float, max_bytes: int) -> tuple[int, str, bytes]:
        """(status, content type, body) of one POST, within `timeout` seconds and `max_bytes` bytes in all.
        Raises TimeoutError, OSError or http.client.HTTPException (the connection is then dropped)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        pool = self._local.__dict__.setdefault("pool", {})
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        end = time.monotonic() + timeout
        for attempt in (1, 2):
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError
            connection = pool.get(key) or self._connect(parts, left)
            pool[key] = connection
            alarm = self.watchdog.arm(left, connection)
            try:
                connection.timeout = left
                if connection.sock is not None:
                    connection.sock.settimeout(left)
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheader("Content-Type", ""), _body(response, max_bytes)
            except BaseException as error:
                connection.close()
                del pool[key]
                if alarm[3] == FIRED and isinstance(error, (OSError, http.client.HTTPException)):
                    raise TimeoutError from None
                if attempt == 2 or not isinstance(error, RESET):
                    raise
                # a kept-alive connection the server closed meanwhile, or a new one it reset (a full accept
                # queue): the request only reads, so it is sent once more on a new connection
                time.sleep(min(RETRY_PAUSE, max(0.0, end - time.monotonic())))
            finally:
                self.watchdog.disarm(alarm)
        raise AssertionError("unreachable")

    def _connect(self, parts, timeout: float) -> http.client.HTTPConnection:
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                     context=tls_context())
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        with self._lock:
            self._open.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()
        self.watchdog.stop()


def _body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(max_bytes)
    body = bytearray()
    while chunk := response.read1(65536):
        body += chunk
        if len(body) > max_bytes:
            raise TooLarge(max_bytes)
    if response.length:  # the server (or the watchdog) closed the connection before the promised end
        raise http.client.IncompleteRead(bytes(body), response.length)
    response.close()  # read to its end: the connection serves the next request
    return bytes(body)


class TooLarge(http.client.HTTPException):
    def __init__(self, max_bytes: int):
        super().__init__(f"the answer is over the limit of {max_bytes} bytes (`catalog.git_max_bytes`)")




class Watchdog:
    """One thread that shuts the socket of every request still running at its deadline."""

    def __init__(self):
        self._wake, self._alarms, self._order = threading.Condition(), [], itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, timeout: float, connection: http.client.HTTPConnection) -> list:
        alarm = [time.monotonic() + timeout, next(self._order), connection, ARMED]
        with self._wake:
            heapq.heappush(self._alarms, alarm)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="git-watchdog", daemon=True)
                self._thread.start()
            self._wake.notify()
        return alarm

    def disarm(self, alarm: list) -> None:
        with self._wake:
            if alarm[3] == ARMED:
                alarm[3] = DONE

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()

    def _watch(self) -> None:
        with self._wake:
            while not self._stopped:
                while self._alarms and self._alarms[0][3] != ARMED:
                    heapq.heappop(self._alarms)
                if not self._alarms:
                    self._wake.wait()
                    continue
                alarm = self._alarms[0]
                if alarm[0] > time.monotonic():
                    self._wake.wait(alarm[0] - time.monotonic())
                    continue
                heapq.heappop(self._alarms)
                alarm[3] = FIRED
                sock = alarm[2].sock
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)  # ends the read or connect the request waits in
                    except OSError:
                        pass
