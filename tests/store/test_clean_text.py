"""Text no database can hold (NUL, lone surrogates), from a hostile catalog, is replaced at the store's door
(U+FFFD) on every engine, so the run succeeds and stores the rest as it is."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from insights.store import Store
from insights.store import tables as t
from insights.store.rows import clean_text

HOSTILE = "pays\u0000out \ud800 and \udcff"
CLEANED = "pays\ufffdout \ufffd and \ufffd"


def test_clean_text_replaces_only_what_no_database_holds():
    assert clean_text(HOSTILE) == CLEANED
    assert clean_text("ünïcødé 🙂 \t\n") == "ünïcødé 🙂 \t\n"
    assert clean_text(None) is None and clean_text(3) == 3


@pytest.fixture()
def hostile_catalog():
    """A Backstage catalog API on loopback whose entity carries NUL and lone surrogates (JSON escapes)."""
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
              "metadata": {"name": "payments-api", "title": f"Payments {HOSTILE}", "description": HOSTILE,
                           "annotations": {"pagerduty.com/service-id": "PPAYAPI"}},
              "spec": {"type": "service", "lifecycle": "production", "owner": "payments"}}
    body = json.dumps({"items": [entity], "totalItems": 1, "pageInfo": {}}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_run_stores_hostile_catalog_text_cleaned(insights, hostile_catalog, snapshot, db_url):
    result = insights("run", "--catalog", f"backstage:{hostile_catalog}", "--pagerduty-snapshot", snapshot,
                      "--db", db_url, env={"BACKSTAGE_TOKEN": "bs-token"})
    assert result.exit_code == 0, result.stderr + result.stdout
    store = Store(db_url)
    entity = store.table(t.entities, store.latest_run_id()).set_index("ref").loc["component:default/payments-api"]
    assert entity["description"] == CLEANED and entity["title"] == f"Payments {CLEANED}"
