"""Sources over HTTP on loopback: a Backstage catalog API, and URL targets of Location entities."""

import json

import pytest

from insights.catalog.sources import CrawlSettings, Source, crawl, read_repository_list
from insights.errors import SourceError


def component(name, owner="team"):
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": name, "annotations": {
                "backstage.io/managed-by-origin-location": f"url:https://git.example/{name}/catalog-info.yaml"}},
            "spec": {"type": "service", "lifecycle": "production", "owner": owner}}


def catalog_pages(handler, query):
    return 200, pages(query)


def pages(query):
    """Three entities, two per page, cursor paging as Backstage does it."""
    items = [component("alpha"), component("beta"), {**component("gamma"), "extra": 1}]
    start = int(query.get("cursor", ["0"])[0])
    page = items[start:start + 2]
    next_cursor = str(start + 2) if start + 2 < len(items) else None
    return json.dumps({"items": page, "totalItems": len(items), "pageInfo": {"nextCursor": next_cursor}})


def test_backstage_api_is_read_with_cursor_paging_and_a_bearer_token(server, monkeypatch):
    server.routes["/api/catalog/entities/by-query"] = catalog_pages
    monkeypatch.setenv("BACKSTAGE_TOKEN", "bs-secret")
    catalog = crawl([Source("backstage", server.url, token_env="BACKSTAGE_TOKEN", filter="kind=component")])
    assert [e.name for e in catalog.entities] == ["alpha", "beta", "gamma"]
    assert catalog.entities[0].path == "https://git.example/alpha/catalog-info.yaml"
    assert [f.code for f in catalog.findings] == ["unknown-root-key"]
    assert [r[2]["Authorization"] for r in server.requests] == ["Bearer bs-secret"] * 2
    assert server.requests[0][1]["filter"] == ["kind=component"] and server.requests[1][1]["cursor"] == ["2"]


@pytest.mark.parametrize("status, message", [(401, "HTTP 401, the token in BACKSTAGE_TOKEN is refused"),
                                             (500, "HTTP 500 from the catalog API")])
def test_backstage_api_errors_are_clear(server, monkeypatch, status, message):
    server.routes["/api/catalog/entities/by-query"] = (status, "{}")
    monkeypatch.setenv("BACKSTAGE_TOKEN", "bs-secret")
    with pytest.raises(SourceError) as error:
        crawl([Source("backstage", server.url, token_env="BACKSTAGE_TOKEN")])
    assert message in str(error.value) and "bs-secret" not in str(error.value)


def test_backstage_token_variable_must_be_set(server, monkeypatch):
    monkeypatch.delenv("BACKSTAGE_TOKEN", raising=False)
    with pytest.raises(SourceError, match="set BACKSTAGE_TOKEN to a catalog read token"):
        crawl([Source("backstage", server.url, token_env="BACKSTAGE_TOKEN")])


LOCATION = """apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: remote
spec:
  targets: [{url}/team.yaml, https://elsewhere.example/x.yaml]
"""
GROUP = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: remote-team\nspec:\n  type: team\n  children: []\n"


def test_url_targets_are_followed_only_to_allowed_hosts(server, tmp_path):
    server.routes["/team.yaml"] = (200, GROUP)
    (tmp_path / "catalog-info.yaml").write_text(LOCATION.format(url=server.url))
    settings = CrawlSettings(cache_dir=tmp_path, allowed_hosts=("127.0.0.1",))
    catalog = crawl([Source("folder", str(tmp_path))], settings)
    assert sorted(e.name for e in catalog.entities) == ["remote", "remote-team"]
    [refused] = catalog.findings
    assert refused.code == "location-host-not-allowed" and "'elsewhere.example'" in refused.message
    assert crawl([Source("folder", str(tmp_path))], CrawlSettings(cache_dir=tmp_path)).entities[0].name == "remote"


def test_repository_list_file(tmp_path):
    listing = tmp_path / "repos.txt"
    listing.write_text("# our repositories\nhttps://git.example/a.git\n\nhttps://git.example/b.git main\n")
    assert read_repository_list(Source("list", str(listing))) == [
        Source("git", "https://git.example/a.git"), Source("git", "https://git.example/b.git", ref="main")]
    listing.write_text("https://git.example/a.git main extra\n")
    with pytest.raises(SourceError, match=r"repos.txt:1: expected `URL \[ref\]`"):
        read_repository_list(Source("list", str(listing)))
