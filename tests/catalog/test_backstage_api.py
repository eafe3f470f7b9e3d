"""A Backstage stand-in on loopback answering what a broken or hostile catalog API answers."""

import json
import time

import pytest

from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.errors import SourceError

PATH = "/api/catalog/entities/by-query"


def component(name):
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": name},
            "spec": {"type": "service", "lifecycle": "production", "owner": "team"}}


def read(server, **more):
    return crawl([Source("backstage", server.url)], CrawlSettings(**more))


def page(items, cursor=None):
    return 200, json.dumps({"items": items, "pageInfo": {"nextCursor": cursor} if cursor else {}})


def test_a_repeated_cursor_ends_the_paging(server):
    server.routes[PATH] = lambda h, q: page([component("same")], cursor="again")
    with pytest.raises(SourceError) as error:
        read(server)
    assert f"Backstage API {server.url}{PATH}: page 2 repeats a cursor" in str(error.value)
    assert len(server.requests) == 2


@pytest.mark.parametrize("body, seen", [
    ('{"items": 5}', "`items` is a number, not a list of entities"),
    ('{"items": [], "pageInfo": "x"}', "`pageInfo` is a string, not an object"),
    ('{"items": [], "pageInfo": {"nextCursor": 7}}', "`pageInfo.nextCursor` is a number, not a string"),
    ('[1, 2]', "the answer is a JSON a list, not a catalog page"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("<html>maintenance</html>", "the answer is not JSON"),
    ('{"pageInfo": {}}', "`items` is missing or null"),
])
def test_answers_that_are_not_catalog_pages_are_source_errors(server, body, seen):
    server.routes[PATH] = (200, body)
    with pytest.raises(SourceError) as error:
        read(server)
    assert f"Backstage API {server.url}{PATH}: page 1:" in str(error.value) and seen in str(error.value)


def test_one_malformed_entity_is_a_finding_and_the_others_are_read(server):
    broken = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": "a string"}
    odd = {**component("odd"), "metadata": {"name": "odd", "annotations": "not a mapping", "tags": 5}}
    server.routes[PATH] = lambda h, q: page([component("good"), broken, 42, odd, component("also-good")])
    catalog = read(server)
    names = [e.name for e in catalog.entities]
    assert names[0] == "good" and names[-1] == "also-good"
    assert names == ["good", "odd", "also-good"]
    codes = sorted({f.code for f in catalog.findings})
    assert codes == ["backstage-entity-invalid", "metadata-missing", "schema-violation", "spec-missing"]
    assert any("page 1, item 3 is a number, not an entity" in f.message for f in catalog.findings)


def test_a_dripping_page_ends_at_the_request_limit(server):
    def drip(handler, query):
        try:
            handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(1000):
                handler.wfile.write(b" ")
                time.sleep(0.2)
        except OSError:
            pass

    server.routes[PATH] = drip
    with pytest.raises(SourceError, match=r"page 1: no complete answer within 1 s"):
        read(server, backstage_request_timeout=1.0)


def test_the_source_has_an_overall_deadline(server):
    def slow_pages(handler, query):
        time.sleep(0.3)
        return page([component(f"e{len(server.requests)}")], cursor=f"c{len(server.requests)}")

    server.routes[PATH] = slow_pages
    with pytest.raises(SourceError, match=r"not finished within 1 s \(\d+ pages read\)"):
        read(server, backstage_timeout=1.0)


def test_an_oversized_page_is_refused(server):
    server.routes[PATH] = page([component(f"e{i}") for i in range(200)])
    with pytest.raises(SourceError, match="over the limit of 1000 bytes"):
        read(server, backstage_max_page_bytes=1000)


def test_the_token_is_not_sent_to_a_host_a_redirect_points_at(server, monkeypatch):
    monkeypatch.setenv("BACKSTAGE_TOKEN", "bs-secret")
    port = server.server.server_address[1]

    def moved(handler, query):
        if handler.headers["Host"].startswith("localhost"):
            return page([component("moved")])
        handler.send_response(307)
        handler.send_header("Location", f"http://localhost:{port}{PATH}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.routes[PATH] = moved
    catalog = crawl([Source("backstage", server.url, token_env="BACKSTAGE_TOKEN")])
    assert [e.name for e in catalog.entities] == ["moved"]
    assert [headers.get("Authorization") for _, _, headers in server.requests] == ["Bearer bs-secret", None]
