"""Location URLs and placeholder targets are fetched from untrusted servers: real HTTP servers on loopback that
redirect elsewhere, send endless bodies, drip bytes, or fail."""

import threading
import time

import pytest

from insights.catalog.fetch import FetchError, fetch_text
from insights.catalog.sources import CrawlSettings, Source, crawl

GROUP = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n"


def settings(tmp_path, hosts=("127.0.0.1",), **more):
    return CrawlSettings(**{"cache_dir": tmp_path / "cache", "allowed_hosts": hosts, "max_file_bytes": 100_000,
                            "fetch_timeout": 10.0, **more})


def crawl_targets(tmp_path, location, *targets, **more):
    (tmp_path / "repo").mkdir(exist_ok=True)
    (tmp_path / "repo" / "catalog-info.yaml").write_text(location(*targets))
    return crawl([Source("folder", str(tmp_path / "repo"))], settings(tmp_path, **more))


class Writer:
    """A route that writes its own answer; `done` is set and `sent` counted when the client has gone."""

    def __init__(self, head: bytes, piece: bytes, pause: float = 0.0, pieces: int = 10**6):
        self.head, self.piece, self.pause, self.pieces = head, piece, pause, pieces
        self.sent, self.done = 0, threading.Event()

    def __call__(self, handler, query):
        try:
            handler.wfile.write(self.head)
            for _ in range(self.pieces):
                handler.wfile.write(self.piece)
                self.sent += len(self.piece)
                time.sleep(self.pause)
        except OSError:
            pass
        finally:
            self.done.set()


def test_a_redirect_to_a_host_not_allowed_is_not_followed(tmp_path, location, server):
    internal = []
    server.routes["/team.yaml"] = lambda h, q: redirect(h, "/hop.yaml")
    server.routes["/hop.yaml"] = lambda h, q: redirect(h, f"http://localhost:{server.server.server_address[1]}/internal")
    server.routes["/internal"] = lambda h, q: internal.append(1) or (200, GROUP.format(name="internal"))
    catalog = crawl_targets(tmp_path, location, f"{server.url}/team.yaml")
    assert [e.name for e in catalog.entities] == ["loc"] and internal == []
    [finding] = catalog.findings
    assert finding.code == "location-host-not-allowed" and "a redirect leads to host 'localhost'" in finding.message


def redirect(handler, where):
    handler.send_response(302)
    handler.send_header("Location", where)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def test_redirects_within_allowed_hosts_are_followed_and_bounded(tmp_path, location, server):
    server.routes["/a.yaml"] = lambda h, q: redirect(h, "/b.yaml")
    server.routes["/b.yaml"] = (200, GROUP.format(name="after-redirect"))
    server.routes["/loop"] = lambda h, q: redirect(h, "/loop")
    catalog = crawl_targets(tmp_path, location, f"{server.url}/a.yaml", f"{server.url}/loop")
    assert sorted(e.name for e in catalog.entities) == ["after-redirect", "loc"]
    [loop] = catalog.findings
    assert loop.code == "location-target-unreachable" and "more than 5 redirects" in loop.message


def test_an_endless_body_is_cut_at_max_file_bytes(tmp_path, location, server):
    endless = Writer(b"HTTP/1.0 200 OK\r\n\r\n", b"# padding\n" * 6_500)
    server.routes["/huge.yaml"] = endless
    server.routes["/declared.yaml"] = Writer(b"HTTP/1.0 200 OK\r\nContent-Length: 1500000000\r\n\r\n", b"#" * 65_536)
    catalog = crawl_targets(tmp_path, location, f"{server.url}/huge.yaml", f"{server.url}/declared.yaml")
    messages = sorted(f.message for f in catalog.findings)
    assert "the answer is 1500000000 bytes, over the limit of 100000" in messages[0]
    assert "the answer is over the limit of 100000 bytes" in messages[1]
    assert endless.done.wait(10) and endless.sent < 64_000_000  # the reader stopped, not the writer


@pytest.mark.parametrize("head, piece", [
    (b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n", b"#"),  # a body one byte at a time
    (b"HTTP/1.0 200 OK\r\n", b"X-Slow: 1\r\n"),  # headers one line at a time
])
def test_a_dripping_server_ends_at_the_deadline(tmp_path, server, head, piece):
    drip = Writer(head, piece, pause=0.2)
    server.routes["/drip.yaml"] = drip
    with pytest.raises(FetchError) as error:
        fetch_text(f"{server.url}/drip.yaml", settings(tmp_path, fetch_timeout=1.0))
    assert error.value.reason == "no complete answer within 1 s"
    assert drip.done.wait(10)  # the connection was closed, so the server's writes fail


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_are_findings_naming_the_url_without_credentials(tmp_path, location, server, status):
    server.routes["/x.yaml"] = (status, "nope")
    url = server.url.replace("http://", "http://robot:s3cr3t@") + "/x.yaml"
    [finding] = crawl_targets(tmp_path, location, url).findings
    assert finding.code == "location-target-unreachable" and f"HTTP {status}" in finding.message
    assert "s3cr3t" not in finding.message and "http://***@127.0.0.1" in finding.message


def test_unreachable_host_is_a_finding(tmp_path, location):
    [finding] = crawl_targets(tmp_path, location, "http://127.0.0.1:9/x.yaml").findings
    assert finding.code == "location-target-unreachable" and "connection failed (ConnectError)" in finding.message


def test_locations_in_fetched_files_are_followed_relative_to_their_url(tmp_path, location, server):
    base = "/acme/mono/-/raw/main"
    server.routes[f"{base}/catalog-info.yaml"] = (200, location(
        "./teams/a.yaml", "b.yaml", "/top.yaml", "../../../../escape.yaml", "./catalog-info.yaml", name="remote"))
    server.routes[f"{base}/teams/a.yaml"] = (200, GROUP.format(name="a") + "---\n" + location("../b.yaml", name="inner"))
    server.routes[f"{base}/b.yaml"] = (200, GROUP.format(name="b"))
    server.routes[f"{base}/top.yaml"] = (200, GROUP.format(name="top"))
    catalog = crawl_targets(tmp_path, location, f"{server.url}/acme/mono/-/blob/main/catalog-info.yaml")
    assert sorted(e.name for e in catalog.entities) == ["a", "b", "inner", "loc", "remote", "top"]
    assert sorted(f.code for f in catalog.findings) == ["location-cycle", "location-escapes-root"]
    fetched = [path for path, _, _ in server.requests]
    assert fetched.count(f"{base}/b.yaml") == 1 and all("/-/raw/" in path for path in fetched)


def test_tokens_are_sent_per_host_in_that_host_s_header(tmp_path, location, server, monkeypatch):
    """Real hosts through a loopback proxy: GitLab gets PRIVATE-TOKEN, others Bearer, no token crosses hosts."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("GITLAB_READ", "gl-secret")
    monkeypatch.setenv("FILES_READ", "files-secret")
    server.routes["/g/p/-/raw/main/catalog-info.yaml"] = (200, GROUP.format(name="from-gitlab"))
    server.routes["/files/x.yaml"] = (200, GROUP.format(name="from-files"))
    server.routes["/g/p/-/raw/main/moved.yaml"] = lambda h, q: redirect(h, "http://plain.example/files/y.yaml")
    server.routes["/files/y.yaml"] = (200, GROUP.format(name="moved"))
    hosts = ("gitlab.example", "files.example", "plain.example")
    catalog = crawl_targets(tmp_path, location, "http://gitlab.example/g/p/-/blob/main/catalog-info.yaml",
                            "http://files.example/files/x.yaml", "http://gitlab.example/g/p/-/blob/main/moved.yaml",
                            hosts=hosts, url_tokens={"gitlab.example": "GITLAB_READ", "files.example": "FILES_READ"})
    assert sorted(e.name for e in catalog.entities) == ["from-files", "from-gitlab", "loc", "moved"]
    sent = {path: (headers.get("PRIVATE-TOKEN"), headers.get("Authorization")) for path, _, headers in server.requests}
    assert sent == {"/g/p/-/raw/main/catalog-info.yaml": ("gl-secret", None),
                    "/files/x.yaml": (None, "Bearer files-secret"),
                    "/g/p/-/raw/main/moved.yaml": ("gl-secret", None),
                    "/files/y.yaml": (None, None)}


def test_a_missing_token_variable_is_named_never_a_value(tmp_path, server, monkeypatch):
    monkeypatch.delenv("ABSENT_TOKEN", raising=False)
    server.routes["/x.yaml"] = (200, GROUP.format(name="x"))
    with pytest.raises(FetchError, match="set ABSENT_TOKEN to a read token for 127.0.0.1"):
        fetch_text(f"{server.url}/x.yaml", settings(tmp_path, url_tokens={"127.0.0.1": "ABSENT_TOKEN"}))
    assert server.requests == []


def test_fetch_text_reads_utf8_from_allowed_hosts_only(tmp_path, server):
    server.routes["/ok.yaml"] = (200, "name: café\n")
    server.routes["/latin.yaml"] = (200, "name: caf\xe9\n".encode("latin-1"))
    assert fetch_text(f"{server.url}/ok.yaml", settings(tmp_path)) == "name: café\n"
    with pytest.raises(FetchError, match="not UTF-8"):
        fetch_text(f"{server.url}/latin.yaml", settings(tmp_path))
    with pytest.raises(FetchError) as refused:
        fetch_text(f"{server.url}/ok.yaml", settings(tmp_path, hosts=()))
    assert refused.value.kind == "host-not-allowed"
    with pytest.raises(FetchError, match="not http or https"):
        fetch_text("file:///etc/passwd", settings(tmp_path, hosts=("",)))
