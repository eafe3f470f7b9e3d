"""Fetching a document from an untrusted URL: allowed hosts checked on every redirect, the body capped while it
streams in, and one deadline for the whole exchange (a server that drips its headers or body must still end).

The deadline is an asyncio timeout around the whole exchange: socket timeouts bound each read, not the sum of
them, so only cancellation ends a server that sends one byte every few seconds.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from insights.catalog.settings import CrawlSettings
from insights.catalog.urls import mask_url, raw_url
from insights.errors import SourceError

MAX_REDIRECTS = 5

REDIRECTS = {301, 302, 303, 307, 308}
HOST_NOT_ALLOWED = "host-not-allowed"
UNREACHABLE = "unreachable"


@functools.cache
def tls_context():
    """Building a TLS context loads every CA certificate (about 25 ms); one serves every fetch."""
    return httpx.create_ssl_context()


class FetchError(SourceError):
    """A URL could not be read. `reason` says why in words fit for a finding; `kind` is `host-not-allowed`
    (the URL or a redirect points at a host outside the allow-list) or `unreachable` (anything else)."""

    def __init__(self, url: str, reason: str, kind: str = UNREACHABLE):
        self.url, self.reason, self.kind = mask_url(url), reason, kind
        super().__init__(f"{self.url}: {reason}")


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    content_type: str


def fetch(url: str, *, deadline: float, max_bytes: int, allowed_hosts: tuple[str, ...] | None = None,
          headers_for: Callable[[str], dict] = lambda host: {}, params: dict | None = None,
          content: bytes | None = None) -> Response:
    """GET `url` (POST `content` when given) within `deadline` seconds in total. `allowed_hosts` (None: any
    host) is checked for the URL and every redirect; `headers_for(host)` gives each hop's headers, so a token
    never follows a redirect to another host. A body over `max_bytes` is refused as soon as it is known to be.
    A POST is not redirected."""
    exchange = _exchange(url, deadline=deadline, max_bytes=max_bytes, allowed_hosts=allowed_hosts,
                         headers_for=headers_for, params=params, content=content)
    try:
        response, stop = asyncio.run(_within(exchange, deadline))
    except TimeoutError:
        raise FetchError(url, f"no complete answer within {deadline:g} s") from None
    if stop is not None:
        raise stop
    return response


async def _within(exchange, deadline: float) -> tuple[Response | None, KeyboardInterrupt | None]:
    """(the exchange's answer, None) within `deadline` seconds, in the one task `asyncio.run` makes. Ctrl-C or
    SIGTERM (`errors.Terminated`) raised in it comes back as (None, the interruption), to be raised once the
    loop is closed: left in the task, asyncio would log it as never retrieved after the run's last words."""
    try:
        async with asyncio.timeout(deadline):
            return await exchange, None
    except KeyboardInterrupt as stop:
        return None, stop


async def _exchange(url, *, deadline, max_bytes, allowed_hosts, headers_for, params, content) -> Response:
    async with httpx.AsyncClient(follow_redirects=False, timeout=deadline, verify=tls_context()) as client:
        for hop in range(MAX_REDIRECTS + 1):
            host = _check(url, allowed_hosts, redirected=hop > 0)
            try:
                method = "GET" if content is None else "POST"
                async with client.stream(method, url, params=params, content=content,
                                         headers={"Accept-Encoding": "identity", **headers_for(host)}) as response:
                    if response.status_code in REDIRECTS and "location" in response.headers and content is None:
                        url, params = urljoin(str(response.url), response.headers["location"]), None
                        continue
                    body = await _capped_body(response, url, max_bytes)
                    return Response(str(response.url), response.status_code, body,
                                    response.headers.get("content-type", ""))
            except (httpx.HTTPError, httpx.InvalidURL) as error:
                raise FetchError(url, f"the connection failed ({type(error).__name__})") from None
    raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")


def _check(url: str, allowed_hosts: tuple[str, ...] | None, redirected: bool) -> str:
    parts = urlsplit(url)
    how = "a redirect leads to " if redirected else ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(url, f"{how}a URL that is not http or https")
    if allowed_hosts is not None and parts.hostname not in {h.lower() for h in allowed_hosts}:
        raise FetchError(url, f"{how}host {parts.hostname!r}, which is not in `catalog.allowed_hosts`",
                         HOST_NOT_ALLOWED)
    return parts.hostname


async def _capped_body(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, f"the answer is {declared} bytes, over the limit of {max_bytes} bytes")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(url, f"the answer is over the limit of {max_bytes} bytes")
    return bytes(body)


def token_headers(host: str, settings: CrawlSettings) -> dict:
    """The read token configured for `host`, in the header that host expects."""
    variable = next((v for h, v in settings.url_tokens.items() if h.lower() == host), None)
    if not variable:
        return {}
    token = os.environ.get(variable)
    if not token:
        raise FetchError(f"https://{host}/", f"set {variable} to a read token for {host}")
    if host in ("github.com", "raw.githubusercontent.com", "api.github.com"):
        return {"Authorization": f"token {token}"}
    if "gitlab" in host:
        return {"PRIVATE-TOKEN": token}
    return {"Authorization": f"Bearer {token}"}


def fetch_text(url: str, settings: CrawlSettings) -> str:
    """The text of a catalog file (or a placeholder's target) at `url`, read in its raw form from an allowed
    host with that host's token. Raises FetchError with the reason."""
    response = fetch(raw_url(url), deadline=settings.fetch_timeout, max_bytes=settings.max_file_bytes,
                     allowed_hosts=tuple(settings.allowed_hosts), headers_for=lambda h: token_headers(h, settings))
    if response.status != 200:
        raise FetchError(url, f"HTTP {response.status}")
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        raise FetchError(url, "the answer is not UTF-8 text") from None
