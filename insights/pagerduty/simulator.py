"""A local PagerDuty REST API v2 server for the demo, tests and benchmarks.

It serves a PagerDutyState (the snapshot format) with the official API's shapes: every request checked against
the spec's parameters (HTTP 400 otherwise, `spec.py`), classic paging (`limit` at most 100, `offset`, `more`,
`total` only with `total=true`, HTTP 400 past offset+limit 10,000), `include[]`, the filters and their
defaults, v2 and v3 (shift-based) schedules, `{"error": {...}}` bodies, 401 on a wrong token, credentials that
see only some teams or lack a scope (403, `simulator_access.py`), rate-limit headers with 429s, and optional
latency and injected 5xx. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from insights.pagerduty import spec
from insights.pagerduty.simulator_access import Access, Credentials, OAuthApp, RateLimits
from insights.pagerduty.simulator_api import Api
from insights.pagerduty.spec import ApiError
from insights.pagerduty.state import PagerDutyState

__all__ = ["Access", "ApiError", "Simulator", "SimulatorSettings"]
MAX_FORM_BYTES = 64 * 1024


@dataclass
class SimulatorSettings:
    token: str = "simulator-token"  # an account API key: sees everything `access` allows
    access: Access = field(default_factory=Access)
    tokens: dict[str, Access] = field(default_factory=dict)  # more API keys or user tokens, each its own access
    latency_ms: int = 0
    rate_limit: int = 960  # requests per window per credential
    rate_window_s: float = 60.0  # PagerDuty's window is a minute; tests shorten it
    operation_rate_limit: int | None = None  # requests per window to each operation with its own limit (oncalls)
    fail_rate: float = 0.0
    seed: int = 0
    oauth_client_id: str | None = None  # set both to serve POST /oauth/token (client credentials)
    oauth_client_secret: str | None = None
    oauth_scopes: frozenset[str] | None = None  # the scopes the app was granted; None: any it asks for
    oauth_access: Access = field(default_factory=Access)  # a team-scoped app: Access(teams=...)
    oauth_region: str = "us"  # the account's service region, `us` or `eu`
    oauth_subdomain: str | None = None  # the account's subdomain; None: any
    oauth_token_ttl_s: float = 3600.0

    def oauth_app(self) -> OAuthApp | None:
        if not (self.oauth_client_id and self.oauth_client_secret):
            return None
        return OAuthApp(self.oauth_client_id, self.oauth_client_secret, self.oauth_scopes, self.oauth_access,
                        self.oauth_region, self.oauth_subdomain, self.oauth_token_ttl_s)


class Simulator:
    """Runs the API on 127.0.0.1 in a background thread. Use as a context manager."""

    def __init__(self, state: PagerDutyState, settings: SimulatorSettings | None = None, port: int = 0):
        self.settings = s = settings or SimulatorSettings()
        self.api = Api(state)
        self.credentials = Credentials({s.token: s.access, **s.tokens}, s.oauth_app())
        self.rate = RateLimits(s.rate_limit, s.rate_window_s, s.operation_rate_limit)
        self.random = random.Random(s.seed)
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.statuses: list[int] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Simulator:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def banner(self, catalog: str, moved_from: str | None) -> str:
        """What `insights pagerduty simulate` prints: where it serves, which times, and how to run against it."""
        times = (f"On-call shifts and incidents moved to now (captured {moved_from}), as `insights demo` does."
                 if moved_from else "Times served as captured.")
        return (f"PagerDuty simulator on {self.url} ({len(self.api.services)} services); Ctrl-C stops it\n{times}\n"
                f"Run against it:\n  export PAGERDUTY_TOKEN={self.settings.token}\n"
                f"  insights run --pagerduty-url {self.url} --catalog {catalog}")

    def issue_token(self, form: dict[str, list[str]]) -> tuple[int, dict]:
        """POST /oauth/token, client-credentials grant, as PagerDuty's identity service answers it."""
        status, body = self.credentials.issue(form)
        self._record("POST /oauth/token", status)
        return status, body

    def expire_tokens(self) -> None:
        self.credentials.expire_tokens()

    def _record(self, request: str, status: int) -> None:
        with self.lock:
            self.requests.append(request)
            self.statuses.append(status)

    def respond(self, method: str, target: str, headers, body: bytes = b"") -> tuple[int, dict[str, str], dict]:
        parts = urlsplit(target)
        if self.settings.latency_ms:
            time.sleep(self.settings.latency_ms / 1000)
        rate_headers: dict[str, str] = {}
        try:
            caller = self.credentials.authenticate(headers.get("Authorization"))
            if caller is None:
                raise ApiError(401, 2006, "Authentication failed", ["Invalid or missing API token"])
            try:
                op, path_values = spec.match(method, parts.path)
                routing_error = None
            except ApiError as error:
                op, routing_error = None, error
            allowed, rate_headers = self.rate.take(caller.rate_key, op.endpoint if op and op.own_rate_limit else None)
            if not allowed:
                raise ApiError(429, 2020, "Rate Limit Exceeded")
            if routing_error:
                raise routing_error
            refusal = caller.refusal(op.endpoint, op.scope)
            if refusal:
                raise ApiError(403, 2010, "Access Denied", [refusal])
            if self.settings.fail_rate and self.random.random() < self.settings.fail_rate:
                raise ApiError(503, 2000, "Service Unavailable")
            query = spec.check(op, path_values, parts.query)
            payload = spec.check_body(op, body, headers.get("Content-Type")) if method == "POST" else None
            answer = self.api.handle(op.operation_id, query, caller.access.teams, path_values, payload)
            status = 200
        except ApiError as error:
            status, answer = error.status, error.body
        self._record(f"{method} {parts.path}", status)
        return status, rate_headers, answer


def _handler_for(simulator: Simulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's naming)
            status, headers, body = simulator.respond("GET", self.path, self.headers)
            self._send(status, body, headers)

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_FORM_BYTES:
                self.close_connection = True  # the unread body must not be taken for the next request
                self._send(413, {"error": {"code": 2001, "message": "Request Too Large", "errors": []}})
            elif urlsplit(self.path).path == "/oauth/token":
                self._send(*simulator.issue_token(parse_qs(self.rfile.read(length).decode(errors="replace"))))
            else:
                status, headers, body = simulator.respond("POST", self.path, self.headers, self.rfile.read(length))
                self._send(status, body, headers)

        def _send(self, status: int, body: dict, headers: dict[str, str] | None = None):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler
