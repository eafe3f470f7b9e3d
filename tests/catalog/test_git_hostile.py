"""A git server that answers `ls-refs` and then misbehaves: it hangs, drips, sends too much, sends a pack that
would unpack to far more than it weighs, or a tree that names a path outside the checkout. Each ends as a
SourceError naming the repository, without the credential, and the other sources are read. Real packs from
`git pack-objects` (with both kinds of delta) unpack to exactly the objects git lists."""

import hashlib
import re
import socket
import struct
import subprocess
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from insights.catalog.git_pack import PackError, commit_tree, unpack, yaml_files
from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.errors import SourceError

SECRET = "tok-5ec7e7"
RESULT = "application/x-git-upload-pack-result"


def pkt(data: bytes) -> bytes:
    return f"{len(data) + 4:04x}".encode() + data


def object_id(kind: bytes, data: bytes) -> str:
    return hashlib.sha1(b"%s %d\0" % (kind, len(data)) + data).hexdigest()


def entry_header(kind: int, size: int) -> bytes:
    byte, size, out = (kind << 4) | (size & 15), size >> 4, []
    while size:
        out.append(byte | 0x80)
        byte, size = size & 0x7F, size >> 7
    return bytes(out + [byte])


def make_pack(*entries: tuple[int, bytes, int | None]) -> bytes:
    """A pack of (type, content, declared size or None for the true one) entries."""
    body = b"PACK" + (2).to_bytes(4, "big") + len(entries).to_bytes(4, "big")
    for kind, data, declared in entries:
        body += entry_header(kind, len(data) if declared is None else declared) + zlib.compress(data)
    return body + hashlib.sha1(body).digest()


TREE = b"100644 catalog-info.yaml\0" + bytes(20)
COMMIT = b"tree %s\nauthor a <a> 0 +0000\ncommitter a <a> 0 +0000\n\nm\n" % object_id(b"tree", TREE).encode()


class Hostile:
    """Answers ls-refs with COMMIT as HEAD, and every fetch as `self.fetch(handler)` does."""

    def __init__(self, fetch, commit: bytes = COMMIT, resets: int = 0):
        """`resets`: how many requests are answered by resetting the connection before anything is sent."""
        self.fetch, self.authorizations, self.resets = fetch, [], resets
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                owner.authorizations.append(self.headers.get("Authorization"))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if owner.resets:
                    owner.resets -= 1
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()  # a linger of 0: the client sees a reset
                    self.close_connection = True
                    return
                try:
                    if b"command=ls-refs" in body:
                        answer(self, pkt(f"{object_id(b'commit', commit)} HEAD\n".encode()) + b"0000")
                    else:
                        owner.fetch(self)
                except OSError:
                    pass  # the client gave up, as it should

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://robot:{SECRET}@127.0.0.1:{self.server.server_address[1]}/team/repo.git"


def start(handler, **headers: str) -> None:
    handler.send_response(200)
    for name, value in {"Content-Type": RESULT, **headers}.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()


def answer(handler, payload: bytes, length: int | None = None) -> None:
    start(handler, Content_Length=str(len(payload) if length is None else length))
    handler.wfile.write(payload)


def packfile(pack: bytes) -> bytes:
    return pkt(b"packfile\n") + b"".join(pkt(b"\x01" + pack[i:i + 8000]) for i in range(0, len(pack), 8000)) + b"0000"


def hang(handler):
    time.sleep(30)


def drip(handler):
    start(handler, Content_Length="100000")
    for _ in range(300):
        handler.wfile.write(b"0")
        handler.wfile.flush()
        time.sleep(0.1)


def endless(handler):
    start(handler, Connection="close")
    while True:
        handler.wfile.write(b"0" * 65536)


CASES = {
    "hangs": (hang, "(no complete answer within 2 s|the repository took longer than 2 s)"),
    "drips": (drip, "(no complete answer within 2 s|the repository took longer than 2 s)"),
    "declares too much": (lambda h: answer(h, b"", length=10**12), re.escape("the answer is over the limit of 200000 bytes")),
    "sends too much": (endless, re.escape("the answer is over the limit of 200000 bytes")),
    "sends a pack bomb": (lambda h: answer(h, packfile(make_pack((3, b"x" * 1000, 1 << 40)))),
                          re.escape("the server sent a pack that unpacks to more than 200000 bytes")),
    "sends a bad checksum": (lambda h: answer(h, packfile(make_pack((1, COMMIT, None))[:-1] + b"!")),
                             re.escape("the server sent a pack that does not match its checksum")),
    "sends no commit": (lambda h: answer(h, packfile(make_pack((3, b"x", None)))),
                        re.escape(f"the server sent a pack that lacks the commit {object_id(b'commit', COMMIT)}")),
    "echoes the credential": (lambda h: answer(h, pkt(f"ERR denied for robot:{SECRET} with {h.headers['Authorization']}"
                                                      "\x1b[2J\n".encode())),
                              re.escape("the server said: denied for *** with ***[2J;")),  # no escape character
    "refuses": (lambda h: answer(h, pkt(b"ERR upload-pack: not our ref\n")),
                re.escape("the server said: upload-pack: not our ref")),
}


@pytest.mark.parametrize("case", CASES)
def test_a_misbehaving_server_is_a_source_error_naming_it(tmp_path, case, tree):
    behaviour, reason = CASES[case]
    server = Hostile(behaviour)
    good = tree(tmp_path / "good", {"catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
                                    "metadata:\n  name: good\nspec:\n  type: team\n  children: []\n"})
    settings = CrawlSettings(cache_dir=tmp_path / "cache", repository_timeout=2, git_max_bytes=200_000)
    started = time.monotonic()
    catalog = crawl([Source("git", server.url), Source("folder", str(good))], settings)
    assert time.monotonic() - started < 20  # bounded by the deadline, not by the server
    [finding] = catalog.findings
    assert finding.code == "source-unreadable" and [e.name for e in catalog.entities] == ["good"]
    masked = server.url.replace(f"robot:{SECRET}@", "***@")
    assert re.search(re.escape(f"git clone of {masked} failed: ") + reason, finding.message)
    assert SECRET not in finding.message
    assert set(server.authorizations) == {"Basic cm9ib3Q6dG9rLTVlYzdlNw=="}  # robot:SECRET, as a header
    assert list((tmp_path / "cache" / "git").iterdir()) == []  # nothing half-written


def test_a_connection_reset_before_the_answer_is_tried_once_more(tmp_path):
    text = b"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g\nspec:\n  type: team\n  children: []\n"
    tree = b"100644 catalog-info.yaml\0" + bytes.fromhex(object_id(b"blob", text))
    commit = b"tree %s\nauthor a <a> 0 +0000\ncommitter a <a> 0 +0000\n\nm\n" % object_id(b"tree", tree).encode()
    pack = make_pack((1, commit, None), (2, tree, None), (3, text, None))
    server = Hostile(lambda h: answer(h, packfile(pack)), commit, resets=1)
    catalog = crawl([Source("git", server.url)], CrawlSettings(cache_dir=tmp_path / "cache", git_filter=""))
    assert [e.name for e in catalog.entities] == ["g"] and not catalog.findings
    assert len(server.authorizations) == 3  # ls-refs reset, ls-refs again, the fetch
    server.resets = 2
    with pytest.raises(SourceError, match="failed: the connection failed"):  # once more, not again and again
        crawl([Source("git", server.url)], CrawlSettings(cache_dir=tmp_path / "other"))
    assert len(server.authorizations) == 5


def test_a_tree_naming_a_path_outside_is_refused(tmp_path):
    bad_tree = b"40000 ..\0" + bytes.fromhex(object_id(b"tree", TREE))
    commit = b"tree %s\nauthor a <a> 0 +0000\ncommitter a <a> 0 +0000\n\nm\n" % object_id(b"tree", bad_tree).encode()
    pack = make_pack((1, commit, None), (2, bad_tree, None), (2, TREE, None))
    objects = unpack(pack, 1_000_000)
    with pytest.raises(PackError, match=r"holds a tree with the file name b'\.\.', which git itself refuses"):
        yaml_files(objects, commit_tree(objects, object_id(b"commit", commit)))


def test_a_link_and_a_folder_of_one_name_are_refused(tmp_path):
    """`d.yaml` as a link to /etc and as a folder holding `passwd.yaml` would write outside the checkout."""
    inner = b"100644 passwd.yaml\0" + bytes.fromhex(object_id(b"blob", b"x"))
    root = (b"120000 d.yaml\0" + bytes.fromhex(object_id(b"blob", b"/etc"))
            + b"40000 d.yaml\0" + bytes.fromhex(object_id(b"tree", inner)))
    commit = b"tree %s\nauthor a <a> 0 +0000\ncommitter a <a> 0 +0000\n\nm\n" % object_id(b"tree", root).encode()
    objects = unpack(make_pack((1, commit, None), (2, root, None), (2, inner, None)), 1_000_000)
    with pytest.raises(PackError, match="holds a tree that names one file twice"):
        yaml_files(objects, commit_tree(objects, object_id(b"commit", commit)))


@pytest.mark.parametrize("delta_base_offset", [True, False])
def test_a_real_pack_with_deltas_unpacks_to_what_git_lists(tmp_path, make_repo, commit, delta_base_offset):
    text = "".join(f"line {i}: {'x' * (i % 50)}\n" for i in range(3000))
    repo = make_repo(tmp_path / "repo", {"a.yaml": text, "b.yaml": text + "more\n"})
    commit(repo, {"a.yaml": text + "changed\n"})
    listed = subprocess.run(["git", "rev-list", "--objects", "--all"], cwd=repo, capture_output=True, text=True,
                            check=True).stdout
    ids = {line.split()[0] for line in listed.splitlines()}
    command = ["git", "pack-objects", "--stdout", "--all", *(["--delta-base-offset"] if delta_base_offset else [])]
    pack = subprocess.run(command, cwd=repo, input=b"", capture_output=True, check=True).stdout
    objects = unpack(pack, 10_000_000)
    assert set(objects) == ids
    kinds = {1: "commit", 2: "tree", 3: "blob"}
    for oid, (kind, data) in objects.items():
        shown = subprocess.run(["git", "cat-file", kinds[kind], oid], cwd=repo, capture_output=True, check=True)
        assert shown.stdout == data
    with pytest.raises(PackError, match="unpacks to more than 1000 bytes"):
        unpack(pack, 1000)
    (tmp_path / "p.pack").write_bytes(pack)
    subprocess.run(["git", "index-pack", str(tmp_path / "p.pack")], cwd=repo, capture_output=True, check=True)
    listing = subprocess.run(["git", "verify-pack", "-v", str(tmp_path / "p.idx")], cwd=repo, capture_output=True,
                             text=True, check=True).stdout
    assert any(len(line.split()) == 7 for line in listing.splitlines())  # deltas were there to apply


def test_a_truncated_or_foreign_pack_is_refused():
    pack = make_pack((3, b"hello\n", None))
    with pytest.raises(PackError, match="is not a git pack"):
        unpack(b"JUNK" + pack[4:], 1000)
    body = pack[:-20][:-3]
    with pytest.raises(PackError, match="ends inside an object|does not inflate"):
        unpack(body + hashlib.sha1(body).digest(), 1000)
    lying = make_pack((3, b"hello\n", 3))
    with pytest.raises(PackError, match="larger than it says"):
        unpack(lying, 1000)
    assert unpack(pack, 1000) == {object_id(b"blob", b"hello\n"): (3, b"hello\n")}
