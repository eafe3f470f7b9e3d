"""Stored runs on real SQLite where checks newly fail, and a webhook receiver on 127.0.0.1 that records
what it was sent and answers as it is told to."""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from insights.catalog.model import Catalog
from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.notify import NotifySettings
from insights.resources import default_config
from insights.store import Store


@pytest.fixture(scope="session")
def quick() -> NotifySettings:
    """Settings that retry at once: the tests check what is retried, not how long it waits."""
    return NotifySettings(backoff=0.01, max_backoff=0.05, max_seconds=20, timeout=2, interval=0)


class Receiver(ThreadingHTTPServer):
    """Answers each path from its plan, in order (the last answer repeats); 200 `ok` for any other path."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.plans: dict[str, list[tuple[int, dict, str, float]]] = {}
        self.received: list[dict] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def plan(self, path: str, *answers) -> None:
        """Each answer: (status, headers, body[, delay in seconds before answering])."""
        self.plans[path] = [(*a, 0.0) if len(a) == 3 else a for a in answers]

    def bodies(self, path: str) -> list[dict]:
        return [r["body"] for r in self.received if r["path"] == path]

    def answer(self, path: str):
        with self.lock:
            plan = self.plans.get(path)
            if not plan:
                return 200, {}, "ok", 0.0
            return plan.pop(0) if len(plan) > 1 else plan[0]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        self.server.received.append({"path": self.path, "at": time.monotonic(), "headers": dict(self.headers),
                                     "body": json.loads(raw)})
        status, headers, body, delay = self.server.answer(self.path)
        time.sleep(delay)
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "text/plain", "Content-Length": str(len(data)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _save(store, catalog, state, now) -> int:
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["test"])
    store.save_run(run_id, evaluate_run(load_config(default_config()), catalog, state, now))
    return run_id


def _disabled(state, *service_ids, **names):
    """The account with these services disabled (a check newly fails) and some renamed."""
    services = [dict(s, status="disabled") if s["id"] in service_ids else s for s in state.services]
    services = [dict(s, name=names[s["id"]]) if s["id"] in names else s for s in services]
    return dataclasses.replace(state, services=services)


@pytest.fixture()
def store(sqlite_url):
    return Store(sqlite_url)


@pytest.fixture(scope="session")
def _two_runs(tmp_path_factory, demo_catalog, demo_state, demo_now):
    path = tmp_path_factory.mktemp("notify") / "two-runs.db"
    template = Store(f"sqlite:///{path}")
    first = _save(template, demo_catalog, demo_state, demo_now)
    second = _save(template, demo_catalog, _disabled(demo_state, "PPAYAPI", "PMETRIC"), demo_now)
    return path, (first, second)


@pytest.fixture()
def runs(store, sqlite_url, _two_runs):
    """A first run of the demo, then one in which payments-api (team payments) and metrics-gateway (team
    data) have their PagerDuty service disabled: `pagerduty-service-enabled` newly fails for both. Each
    test gets its own copy of the database."""
    path, ids = _two_runs
    shutil.copyfile(path, sqlite_url.removeprefix("sqlite:///"))
    return ids


@pytest.fixture(scope="session")
def save():
    """`save(store, catalog, state, now)`: evaluate and store one run; its id."""
    return _save


@pytest.fixture(scope="session")
def disabled():
    """`disabled(state, *service_ids, **names)`: the account with those services disabled, others renamed."""
    return _disabled


@pytest.fixture(scope="session")
def block_kit():
    """`block_kit(message)`: what in a Slack message breaks Block Kit's documented limits (empty: nothing)."""
    return _block_kit_problems


@pytest.fixture(scope="session")
def mrkdwn():
    """`mrkdwn(message)`: every mrkdwn text of a Slack message, its fallback text first."""
    return _mrkdwn_texts


def _block_kit_problems(message: dict) -> list[str]:
    """What breaks Slack's documented Block Kit limits in a message for an incoming webhook."""
    problems = []
    blocks = message.get("blocks", [])
    if not isinstance(message.get("text"), str) or not message["text"]:
        problems.append("no fallback text")
    if not 0 < len(blocks) <= 50:
        problems.append(f"{len(blocks)} blocks")
    for index, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "header":
            text = block["text"]
            if text["type"] != "plain_text" or not 0 < len(text["text"]) <= 150:
                problems.append(f"block {index}: header text")
        elif kind == "section":
            text = block["text"]
            if text["type"] != "mrkdwn" or not 0 < len(text["text"]) <= 3000:
                problems.append(f"block {index}: section text of {len(text['text'])} characters")
        elif kind == "context":
            elements = block["elements"]
            if not 0 < len(elements) <= 10 or any(not 0 < len(e["text"]) <= 3000 for e in elements):
                problems.append(f"block {index}: context elements")
        elif kind != "divider":
            problems.append(f"block {index}: unexpected type {kind!r}")
    return problems


def _mrkdwn_texts(message: dict) -> list[str]:
    texts = [message["text"]]
    for block in message["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [e["text"] for e in block["elements"]]
    return texts
