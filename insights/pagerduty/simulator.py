"""A local PagerDuty REST API v2 server for the demo, tests and benchmarks.

It serves a PagerDutyState (the snapshot format) with the official API's shapes: classic paging
(`limit` at most 100, `offset`, `more`, `total` only with `total=true`, HTTP 400 past offset+limit 10,000),
`include[]`, the filters the collector uses and their defaults, `{"error": {...}}` bodies, 401 on a wrong
token, rate-limit headers with 429s, and optional latency and injected 5xx. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from insights.pagerduty.client import OFFSET_CAP
from insights.pagerduty.state import PagerDutyState, parse_time, within

REFERENCE_TYPES = {"escalation_policies": "escalation_policy_reference", "teams": "team_reference",
                   "integrations": "integration_reference", "services": "service_reference",
                   "users": "user_reference"}


@dataclass
class SimulatorSettings:
    token: str = "simulator-token"
    latency_ms: int = 0
    rate_limit: int = 960
    fail_rate: float = 0.0
    seed: int = 0
    rate_window_s: float = 60.0  # PagerDuty's window is a minute; tests shorten it
    oauth_client_id: str | None = None  # set both to serve POST /oauth/token (client credentials)
    oauth_client_secret: str | None = None
    oauth_token_ttl_s: float = 3600.0


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status, self.body = status, {"error": {"code": code, "message": message, "errors": errors or []}}


def reference(obj: dict, kind: str) -> dict:
    keys = ("id", "summary", "self", "html_url")
    # An integration's reference type names its kind: events_api_v2_inbound_integration_reference.
    kind_type = f"{obj['type']}_reference" if kind == "integrations" and obj.get("type") else REFERENCE_TYPES[kind]
    return {**{k: obj[k] for k in keys if k in obj}, "type": kind_type}


def tag_id(label: str) -> str:
    return "PT" + hashlib.sha1(label.encode()).hexdigest()[:5].upper()


class Api:
    """The endpoints, as plain functions of (path parameters, query) -> JSON body. No HTTP here."""

    def __init__(self, state: PagerDutyState):
        self.state = state
        self.services = {s["id"]: s for s in state.services}
        self.policies = {p["id"]: p for p in state.escalation_policies}
        self.sorted_services = sorted(state.services, key=lambda s: s.get("name", "").lower())
        self.sorted_policies = sorted(state.escalation_policies, key=lambda p: p.get("name", "").lower())
        self.tag_labels = sorted({label for labels in state.tags.values() for label in labels})
        self.routes = [
            (re.compile(r"^/services$"), self.list_services),
            (re.compile(r"^/services/(?P<id>[^/]+)$"), self.get_service),
            (re.compile(r"^/escalation_policies$"), self.list_policies),
            (re.compile(r"^/escalation_policies/(?P<id>[^/]+)$"), self.get_policy),
            (re.compile(r"^/oncalls$"), self.list_oncalls),
            (re.compile(r"^/incidents$"), self.list_incidents),
            (re.compile(r"^/teams$"), lambda q: self.page("teams", self.state.teams, q)),
            (re.compile(r"^/tags$"), self.list_tags),
            (re.compile(r"^/tags/(?P<id>[^/]+)/(?P<entity_type>users|teams|escalation_policies)$"), self.tagged),
            (re.compile(r"^/(?P<entity_type>users|teams|escalation_policies)/(?P<id>[^/]+)/tags$"), self.tags_of),
            (re.compile(r"^/schedules/(?P<id>[^/]+)$"), self.get_schedule),
            (re.compile(r"^/standards/scores/(?P<resource_type>[^/]+)$"), self.standard_scores),
        ]

    def handle(self, path: str, query: dict[str, list[str]]) -> dict:
        for pattern, handler in self.routes:
            match = pattern.match(path)
            if match:
                return handler(query, **match.groupdict())
        raise ApiError(404, 2100, "Not Found")

    @staticmethod
    def page(key: str, items: list, query: dict, shape=None) -> dict:
        try:
            limit = int(query.get("limit", ["25"])[0])
            offset = int(query.get("offset", ["0"])[0])
        except ValueError as error:
            raise ApiError(400, 2001, "Invalid Input Provided", ["limit and offset must be integers"]) from error
        limit = max(1, min(limit, 100))
        if offset + limit > OFFSET_CAP:
            raise ApiError(400, 2001, "Invalid Input Provided",
                           [f"Offset must be less than {OFFSET_CAP - limit + 1}."])
        chunk = [shape(x) for x in items[offset:offset + limit]] if shape else items[offset:offset + limit]
        total = len(items) if query.get("total", ["false"])[0] == "true" else None
        return {key: chunk, "limit": limit, "offset": offset, "more": offset + limit < len(items), "total": total}

    def _service(self, service: dict, include: list[str]) -> dict:
        shaped = dict(service)
        if "escalation_policies" not in include and service.get("escalation_policy"):
            shaped["escalation_policy"] = reference(service["escalation_policy"], "escalation_policies")
        for key in ("teams", "integrations"):
            if key not in include:
                shaped[key] = [reference(x, key) for x in service.get(key, [])]
        return shaped

    @staticmethod
    def of_teams(items: list[dict], query: dict) -> list[dict]:
        """The `team_ids[]` filter of the list endpoints."""
        if "team_ids[]" not in query:
            return items
        wanted = set(query["team_ids[]"])
        return [item for item in items if wanted & {t["id"] for t in item.get("teams", [])}]

    def list_services(self, query):
        include = query.get("include[]", [])
        services = self.of_teams(self.sorted_services, query)
        if "query" in query:
            services = [s for s in services if query["query"][0].lower() in s.get("name", "").lower()]
        return self.page("services", services, query, lambda s: self._service(s, include))

    def get_service(self, query, id):
        if id not in self.services:
            raise ApiError(404, 2100, "Not Found")
        return {"service": self._service(self.services[id], query.get("include[]", []))}

    def _policy(self, policy: dict, include: list[str]) -> dict:
        if "targets" in include:
            return policy
        rules = [{**r, "targets": [{k: t[k] for k in ("id", "type", "summary", "self", "html_url") if k in t}
                                   for t in r.get("targets", [])]} for r in policy.get("escalation_rules", [])]
        return {**policy, "escalation_rules": rules}

    def list_policies(self, query):
        include = query.get("include[]", [])
        policies = self.of_teams(self.sorted_policies, query)
        return self.page("escalation_policies", policies, query, lambda p: self._policy(p, include))

    def get_policy(self, query, id):
        if id not in self.policies:
            raise ApiError(404, 2100, "Not Found")
        return {"escalation_policy": self._policy(self.policies[id], query.get("include[]", []))}

    def list_oncalls(self, query):
        now = datetime.now(timezone.utc)
        since = parse_time(query.get("since", [None])[0]) or now
        until = parse_time(query.get("until", [None])[0]) or now
        wanted = set(query.get("escalation_policy_ids[]", []))
        oncalls = [o for o in self.state.oncalls
                   if (not wanted or o["escalation_policy"]["id"] in wanted)
                   and (within(o.get("start"), o.get("end"), since) or within(o.get("start"), o.get("end"), until))]
        return self.page("oncalls", oncalls, query)

    def list_incidents(self, query):
        statuses = set(query.get("statuses[]", [])) or {"triggered", "acknowledged", "resolved"}
        services = set(query.get("service_ids[]", []))
        incidents = [i for i in self.state.incidents
                     if i.get("status") in statuses and (not services or i["service"]["id"] in services)]
        if query.get("date_range", [""])[0] != "all":
            # The API's default window is the last month: older incidents are left out unless asked for.
            since = parse_time(query.get("since", [None])[0]) or datetime.now(timezone.utc) - timedelta(days=30)
            incidents = [i for i in incidents if parse_time(i["created_at"]) >= since]
        if "urgencies[]" in query:
            incidents = [i for i in incidents if i.get("urgency") in query["urgencies[]"]]
        return self.page("incidents", incidents, query)

    def get_schedule(self, query, id):
        """A schedule with its final layer's coverage of the asked range (the state's 7-day figure)."""
        coverage = self.state.schedule_coverage.get(id)
        targeted = {t["id"] for p in self.policies.values() for r in p.get("escalation_rules", [])
                    for t in r.get("targets", []) if t.get("type", "").startswith("schedule")}
        if coverage is None and id not in targeted:
            raise ApiError(404, 2100, "Not Found")
        final = {"name": "Final Schedule", "rendered_schedule_entries": [],
                 "rendered_coverage_percentage": 100.0 if coverage is None else coverage}
        return {"schedule": {"id": id, "type": "schedule", "summary": id, "name": id, "time_zone": "UTC",
                             "schedule_layers": [], "final_schedule": final}}

    def standard_scores(self, query, resource_type):
        if resource_type != "technical_services":
            raise ApiError(400, 2001, "Invalid Input Provided", ["resource_type must be technical_services"])
        ids = query.get("ids", []) or query.get("ids[]", [])
        if len(ids) > 100:
            raise ApiError(400, 2001, "Invalid Input Provided", ["ids: maximum of 100 items"])
        return {"resources": [{"resource_id": i, "resource_type": "technical_service",
                               "score": self.state.standards.get(i, {"passing": 0, "total": 0}), "standards": []}
                              for i in ids if i in self.services]}

    def list_tags(self, query):
        tags = [{"id": tag_id(label), "type": "tag", "label": label, "summary": label} for label in self.tag_labels]
        if "query" in query:
            tags = [t for t in tags if query["query"][0].lower() in t["label"].lower()]
        return self.page("tags", tags, query)

    def tagged(self, query, id, entity_type):
        refs = [{"id": key.split("/", 1)[1], "type": REFERENCE_TYPES[entity_type]}
                for key, labels in self.state.tags.items()
                if key.startswith(entity_type + "/") and any(tag_id(label) == id for label in labels)]
        return self.page(entity_type, refs, query)

    def tags_of(self, query, entity_type, id):
        labels = self.state.tags.get(f"{entity_type}/{id}", [])
        return self.page("tags", [{"id": tag_id(l), "type": "tag", "label": l, "summary": l} for l in labels], query)


class RateWindow:
    """PagerDuty's per-key limit: a fixed one-minute window, with its remaining count in headers."""

    def __init__(self, per_minute: int, window: float = 60.0):
        self.per_minute, self.window, self.lock = per_minute, window, threading.Lock()
        self.window_start, self.used = time.monotonic(), 0

    def take(self) -> tuple[bool, dict[str, str]]:
        with self.lock:
            now = time.monotonic()
            if now - self.window_start >= self.window:
                self.window_start, self.used = now, 0
            allowed = self.used < self.per_minute
            self.used += allowed
            reset = max(1, int(self.window - (now - self.window_start) + 0.999))
            headers = {"ratelimit-limit": str(self.per_minute),
                       "ratelimit-remaining": str(max(self.per_minute - self.used, 0)),
                       "ratelimit-reset": str(reset)}
            return allowed, headers


class Simulator:
    """Runs the API on 127.0.0.1 in a background thread. Use as a context manager."""

    def __init__(self, state: PagerDutyState, settings: SimulatorSettings | None = None, port: int = 0):
        self.settings = settings or SimulatorSettings()
        self.api = Api(state)
        self.rate = RateWindow(self.settings.rate_limit, self.settings.rate_window_s)
        self.random = random.Random(self.settings.seed)
        self.requests: list[str] = []
        self.statuses: list[int] = []
        self.bearer_tokens: dict[str, float] = {}  # token -> monotonic expiry
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

    def issue_token(self, form: dict[str, list[str]]) -> tuple[int, dict]:
        """POST /oauth/token, client-credentials grant, as PagerDuty's identity service answers it."""
        self.requests.append("POST /oauth/token")
        first = {k: v[0] for k, v in form.items()}
        s = self.settings
        if first.get("grant_type") != "client_credentials" or not first.get("scope", "").startswith("as_account-"):
            return 400, {"error": "invalid_request", "error_description": "grant_type and scope are required"}
        if not s.oauth_client_id or (first.get("client_id"), first.get("client_secret")) != (
                s.oauth_client_id, s.oauth_client_secret):
            return 401, {"error": "invalid_client", "error_description": "client authentication failed"}
        token = secrets.token_hex(16)
        self.bearer_tokens[token] = time.monotonic() + s.oauth_token_ttl_s
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": int(s.oauth_token_ttl_s),
                     "scope": first["scope"]}

    def expire_tokens(self) -> None:
        self.bearer_tokens.clear()

    def authorised(self, header: str | None) -> bool:
        if header == f"Token token={self.settings.token}":
            return True
        if header and header.startswith("Bearer "):
            return self.bearer_tokens.get(header[len("Bearer "):], 0) > time.monotonic()
        return False

    def respond(self, method: str, target: str, headers) -> tuple[int, dict[str, str], dict]:
        parts = urlsplit(target)
        self.requests.append(f"{method} {parts.path}")
        if self.settings.latency_ms:
            time.sleep(self.settings.latency_ms / 1000)
        allowed, rate_headers = self.rate.take()
        try:
            if not self.authorised(headers.get("Authorization")):
                raise ApiError(401, 2006, "Authentication failed", ["Invalid or missing API token"])
            if not allowed:
                raise ApiError(429, 2020, "Rate Limit Exceeded")
            if self.settings.fail_rate and self.random.random() < self.settings.fail_rate:
                raise ApiError(503, 2000, "Service Unavailable")
            if method != "GET":
                raise ApiError(405, 2000, "Method Not Allowed")
            body = self.api.handle(parts.path, parse_qs(parts.query))
            self.statuses.append(200)
            return 200, rate_headers, body
        except ApiError as error:
            self.statuses.append(error.status)
            return error.status, rate_headers, error.body


def _handler_for(simulator: Simulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's naming)
            self._send(*simulator.respond("GET", self.path, self.headers))

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            if urlsplit(self.path).path == "/oauth/token":
                status, body = simulator.issue_token(form)
            else:
                status, body = 405, {"error": {"code": 2000, "message": "Method Not Allowed", "errors": []}}
            self._send(status, {}, body)

        def _send(self, status, headers, body):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler
