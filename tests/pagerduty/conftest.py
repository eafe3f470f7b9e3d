"""PagerDuty test fixtures: the official spec from ../shared, loaded once, for the contract, request and
schemathesis tests; and a fault proxy, a real HTTP server on 127.0.0.1 in front of the simulator that can
answer anything, drip, truncate, reset connections, and go away after a number of requests."""

from __future__ import annotations

import http.client
import json
import socket
import socketserver
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urlsplit

import pytest
import requests

from insights.pagerduty.generate import generate
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import shift_times
from tests.conftest import imported

TOKEN = "test-token"
HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2", "Authorization": f"Token token={TOKEN}"}


def apply_errata(spec: dict) -> dict:
    """Where the spec contradicts its own descriptions or PagerDuty's documentation, follow those:
    - Oncall.start/end: "If `null`, the on-call is a permanent user on-call", yet not nullable.
    - Service.integrations: "If `integrations` is passed as an argument, these are full objects", yet the
      items allow only references; the same holds for the other values of the `include[]` parameter (a log
      entry's `service`, `incident` and `teams` too).
    - The Analytics operations document only 200, 400 and 429, yet PagerDuty answers 401 to a missing or wrong
      credential and 403 to one that may not use them on every operation (its errors page).
    - The change events' `since` and `until` carry `pattern: YYYY-MM-DDThh:mm:ssZ`, a picture of the format
      its description names ("a UTC ISO 8601 datetime string"), not a regular expression: no time matches it.
    - `LogEntry.type` lists `acknowledge_log_entry`, yet `AcknowledgeLogEntry` (all of `LogEntry` and more)
      allows only `acknowledgement_log_entry`, so no acknowledgement fits both: `LogEntry` takes the latter too.
    Nothing else is relaxed."""
    schemas = spec["components"]["schemas"]
    for key in ("start", "end"):
        schemas["Oncall"]["properties"][key]["nullable"] = True
    service = next(part for part in schemas["Service"]["allOf"] if "properties" in part)["properties"]
    for key, full in (("integrations", "Integration"), ("teams", "Team")):
        service[key]["items"] = {"anyOf": [service[key]["items"], {"$ref": f"#/components/schemas/{full}"}]}
    service["escalation_policy"] = {"anyOf": [service["escalation_policy"],
                                              {"$ref": "#/components/schemas/EscalationPolicy"}]}
    log_entry = next(part for part in schemas["LogEntry"]["allOf"] if "properties" in part)["properties"]
    log_entry["type"]["enum"] = [*log_entry["type"]["enum"], "acknowledgement_log_entry"]
    for key, full in (("service", "Service"), ("incident", "Incident")):
        log_entry[key] = {"anyOf": [log_entry[key], {"$ref": f"#/components/schemas/{full}"}]}
    log_entry["teams"]["items"] = {"anyOf": [log_entry["teams"]["items"], {"$ref": "#/components/schemas/Team"}]}
    for name in ("change_since", "change_until"):
        spec["components"]["parameters"][name]["schema"].pop("pattern")
    for path in ("/analytics/metrics/incidents/services", "/analytics/raw/incidents"):
        responses = spec["paths"][path]["post"]["responses"]
        responses.setdefault("401", {"$ref": "#/components/responses/Unauthorized"})
        responses.setdefault("403", {"$ref": "#/components/responses/Forbidden"})
    return spec


@pytest.fixture(scope="session")
def pd_spec(shared) -> dict:
    """The spec with its errata, served from any simulator on loopback."""
    spec = apply_errata(json.loads((shared / "pagerduty" / "openapiv3.json").read_text()))
    spec["servers"] = [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}]
    return spec


@pytest.fixture(scope="session")
def openapi(pd_spec):
    openapi_core = imported("openapi_core")
    # The spec does not pass strict OpenAPI validation (see ../shared/pagerduty/NOTES.md).
    return openapi_core.OpenAPI.from_dict(pd_spec, config=openapi_core.Config(spec_validator_cls=None))


@pytest.fixture(scope="session")
def check_answer(openapi):
    """Validate a `requests` response (and the request that produced it) against the spec."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    def check(response: requests.Response, request_too: bool = True) -> None:
        request = RequestsOpenAPIRequest(response.request)
        if request_too:
            openapi.validate_request(request)
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    return check


@pytest.fixture(scope="module")
def demo_served(demo_state):
    with Simulator(shift_times(demo_state, datetime.now(timezone.utc)), SimulatorSettings(token=TOKEN)) as running:
        yield running


@pytest.fixture(scope="module")
def generated_served():
    """A generated account: long-form ids, shift-based (v3) schedules, on-calls on both."""
    with Simulator(generate(100, 100, seed=11).state, SimulatorSettings(token=TOKEN)) as running:
        yield running


@dataclass(frozen=True)
class Fault:
    """What the proxy does with one request; the default forwards it untouched."""

    status: int | None = None  # answer this status instead of forwarding
    body: bytes | None = None  # with this body (or replace the upstream body)
    headers: dict[str, str] = field(default_factory=dict)  # headers added to (or replacing) the answer's
    drip_s: float = 0.0  # send the body one byte at a time, this far apart
    drip_head: bool = False  # drip the status line and headers as well
    truncate: int | None = None  # send this many bytes of the body, announce its full length, and close
    reset: bool = False  # reset the connection instead of answering
    delay_s: float = 0.0  # wait this long before answering
    rewrite: Callable[[bytes], bytes] | None = None  # change the upstream body


Rule = Callable[[int, str, str], "Fault | None"]  # (request number from 1, method, target) -> fault


class FaultProxy(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, upstream: str, rule: Rule | None = None, gone_after: int | None = None):
        self.upstream = urlsplit(upstream)
        self.rule, self.gone_after = rule or (lambda n, method, target: None), gone_after
        self.requests: list[str] = []  # "METHOD target" of every request received, in order
        self.bodies: list[bytes] = []  # the body of each, in the same order
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def after_gone(self) -> int:
        """Requests received after the proxy went away."""
        return max(0, len(self.requests) - (self.gone_after or len(self.requests)))

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def _reset(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _handler(proxy: FaultProxy):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                head += chunk
            head, _, body = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(headers.get("Content-Length", 0))
            while len(body) < length:
                body += self.request.recv(65536)
            with proxy.lock:
                proxy.requests.append(f"{method} {target}")
                proxy.bodies.append(body)
                number = len(proxy.requests)
            if proxy.gone_after is not None and number > proxy.gone_after:
                return _reset(self.request)
            fault = proxy.rule(number, method, target) or Fault()
            if fault.reset:
                return _reset(self.request)
            time.sleep(fault.delay_s)
            try:
                status, answer_headers, answer = self.upstream(method, target, headers, body) \
                    if fault.status is None else (fault.status, {"Content-Type": "application/json"}, b"")
            except OSError:
                return _reset(self.request)  # the upstream went away
            if fault.rewrite:
                answer = fault.rewrite(answer)
            answer = answer if fault.body is None else fault.body
            answer_headers = {**answer_headers, **fault.headers, "Content-Length": str(len(answer)),
                              "Connection": "close"}
            raw_head = (f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in answer_headers.items())
                        + "\r\n").encode("latin-1")
            try:
                self.send(raw_head, fault.drip_s if fault.drip_head else 0)
                self.send(answer[:fault.truncate] if fault.truncate is not None else answer, fault.drip_s)
            except OSError:
                return  # the client gave up

        def send(self, data: bytes, drip_s: float) -> None:
            if not drip_s:
                return self.request.sendall(data)
            for i in range(len(data)):
                self.request.sendall(data[i:i + 1])
                time.sleep(drip_s)

        def upstream(self, method, target, headers, body):
            connection = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
            forwarded = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            connection.request(method, target, body=body or None, headers=forwarded)
            response = connection.getresponse()
            data = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in ("content-length", "connection")}
            connection.close()
            return response.status, kept, data

    return Handler


@pytest.fixture()
def fault_proxy():
    """`fault_proxy(upstream_url, rule=None, gone_after=None)` starts a FaultProxy, stopped after the test."""
    started: list[FaultProxy] = []

    def start(upstream: str, rule: Rule | None = None, gone_after: int | None = None) -> FaultProxy:
        started.append(FaultProxy(upstream, rule, gone_after))
        return started[-1]

    yield start
    for proxy in started:
        proxy.close()


@pytest.fixture()
def fault():
    return Fault
