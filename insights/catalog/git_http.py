"""Git sources over smart HTTP (protocol v2) without a git process: one `ls-refs` request says whether the
repository moved; when it did, a depth-1 pack (trees only under `blob:none`) and then the YAML blobs by id
are fetched, and only the YAML files are written, to a new folder that replaces the old one whole.

Each worker thread keeps one connection per host alive across repositories. Every request is bounded by the
repository's deadline (a watchdog closes the socket of a server that stops or drips) and every answer by
`git_max_bytes`. A password or token in the URL is sent as an Authorization header to that URL only.

A server that does not answer as a protocol-v2 smart-HTTP server raises NotSmart, and the caller asks git.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from dulwich.protocol import pkt_line

from insights.catalog.fetch import tls_context
from insights.catalog.git_pack import PackError, commit_tree, unpack, yaml_files
from insights.errors import SourceError

RESULT_TYPE = "application/x-git-upload-pack-result"
AGENT = "git/insights-dulwich"
FILES = "insights-files"  # in the checkout's .git: `blob-id path` of every file written, to reuse unchanged ones
PRIVATE = 0o700


class NotSmart(Exception):
    """The server does not answer as a protocol-v2 smart-HTTP git server."""


class Connections:
    """One kept-alive connection per worker thread and host, closed together when the crawl is done."""

    def __init__(self):
        self._local, self._lock, self._open = threading.local(), threading.Lock(), []

    def post(self, url: str, body: bytes, headers: dict, timeout: float, max_bytes: int) -> tuple[int, str, bytes]:
        """(status, content type, body) of one POST, within `timeout` seconds and `max_bytes` bytes in all.
        Raises TimeoutError, OSError or http.client.HTTPException (the connection is then dropped)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        pool = self._local.__dict__.setdefault("pool", {})
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            connection = pool.get(key)
            reused = connection is not None
            if connection is None:
                connection = pool[key] = self._connect(parts, timeout)
            fired = threading.Event()
            watchdog = threading.Timer(timeout, _abort, (connection, fired))
            watchdog.daemon = True
            watchdog.start()
            try:
                connection.timeout = timeout
                if connection.sock is not None:
                    connection.sock.settimeout(timeout)
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheader("Content-Type", ""), _body(response, max_bytes)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                connection.close()
                del pool[key]
                if fired.is_set():
                    raise TimeoutError from None
                if not reused or attempt == 2:
                    raise
                # a kept-alive connection the server had closed meanwhile: once more on a new one
            except BaseException as error:
                connection.close()
                del pool[key]
                if fired.is_set() and isinstance(error, (OSError, http.client.HTTPException)):
                    raise TimeoutError from None
                raise
            finally:
                watchdog.cancel()
        raise AssertionError("unreachable")

    def _connect(self, parts, timeout: float) -> http.client.HTTPConnection:
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                     context=tls_context())
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        with self._lock:
            self._open.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()


def _abort(connection: http.client.HTTPConnection, fired: threading.Event) -> None:
    """At the deadline: end whatever the request waits for (connect, headers, body) by shutting its socket."""
    fired.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _TooLarge(max_bytes)
    body = bytearray()
    while chunk := response.read1(65536):
        body += chunk
        if len(body) > max_bytes:
            raise _TooLarge(max_bytes)
    response.close()  # read to its end: the connection serves the next request
    return bytes(body)


class _TooLarge(http.client.HTTPException):
    def __init__(self, max_bytes: int):
        super().__init__(f"the answer is over the limit of {max_bytes} bytes (`catalog.git_max_bytes`)")


class Remote:
    """One repository's upload-pack endpoint, asked within the repository's deadline."""

    def __init__(self, url: str, label: str, authorization: str | None, settings, connections: Connections,
                 deadline: float):
        self.endpoint, self.label, self.settings = url.rstrip("/") + "/git-upload-pack", label, settings
        self.connections, self.deadline = connections, deadline
        self.headers = {"Git-Protocol": "version=2", "Content-Type": "application/x-git-upload-pack-request",
                        "Accept": RESULT_TYPE, "Accept-Encoding": "identity", "User-Agent": AGENT,
                        **({"Authorization": authorization} if authorization else {})}

    def ask(self, command: str, arguments: list[str], step: str) -> list[bytes | None]:
        """The pkt-lines of the answer to one command (None for a flush or delimiter packet)."""
        body = (pkt_line(f"command={command}\n".encode()) + pkt_line(f"agent={AGENT}\n".encode()) + b"0001"
                + b"".join(pkt_line(f"{a}\n".encode()) for a in arguments) + pkt_line(None))
        left = min(self.settings.git_timeout, self.deadline - time.monotonic())
        if left <= 0:
            raise self.error(step, f"the repository took longer than {self.settings.repository_timeout:g} s")
        try:
            status, kind, answer = self.connections.post(self.endpoint, body, self.headers, left,
                                                         self.settings.git_max_bytes)
        except TimeoutError:
            raise self.error(step, f"no complete answer within {left:.0f} s") from None
        except (OSError, http.client.HTTPException) as error:
            reason = str(error) if isinstance(error, _TooLarge) else f"the connection failed ({type(error).__name__})"
            raise self.error(step, reason) from None
        if status in (401, 403) and "Authorization" in self.headers:
            raise self.error(step, f"HTTP {status}: the server refused the credentials in the URL")
        if status != 200 or kind.split(";")[0].strip() != RESULT_TYPE:
            raise NotSmart(f"HTTP {status} {kind}")
        return _packets(answer)

    def error(self, step: str, reason: str) -> SourceError:
        return SourceError(f"git {step} of {self.label} failed: {reason}; check the URL, the ref and the "
                           "credentials")


def _packets(body: bytes) -> list[bytes | None]:
    lines, position = [], 0
    while position < len(body):
        try:
            length = int(body[position:position + 4], 16)
        except ValueError:
            raise NotSmart("an answer that is not pkt-lines") from None
        if length in (0, 1):
            lines.append(None)
            length = 4
        elif length < 4 or position + length > len(body):
            raise NotSmart("an answer that is not pkt-lines")
        else:
            lines.append(body[position + 4:position + length])
        position += length
    return lines


def remote_commit(remote: Remote, ref: str | None, step: str) -> str:
    """The commit `ref` names on the remote (a branch before a tag of that name; the remote HEAD when None)."""
    names = ([ref] if ref.startswith("refs/") else [f"refs/heads/{ref}", f"refs/tags/{ref}"]) if ref else ["HEAD"]
    lines = remote.ask("ls-refs", ["peel", "symrefs", *(f"ref-prefix {n}" for n in names)], step)
    if not lines or lines[-1] is not None:
        raise NotSmart("an ls-refs answer without its end")
    commits = {}
    for line in lines[:-1]:
        if line is None or line.startswith(b"ERR "):
            raise NotSmart("an ls-refs answer that is not a list of refs")
        commit, _, rest = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
        name, *attributes = rest.split(" ")
        peeled = [a.removeprefix("peeled:") for a in attributes if a.startswith("peeled:")]
        if len(commit) != 40:
            raise NotSmart("an ls-refs answer that is not a list of refs")
        commits[name] = (peeled[0] if peeled else commit).lower()
    found = next((commits[n] for n in names if n in commits), None)
    if found is None:
        raise remote.error(step, f"the remote has no {'HEAD' if not ref else repr(ref)}")
    return found


def fetch_objects(remote: Remote, wants: list[str], step: str, depth: bool, filter_spec: str) -> dict:
    """The objects of one `fetch`: `wants` (at depth 1 when `depth`), under `filter_spec` unless empty. A
    server that refuses the filter is asked once more without it."""
    arguments = ["no-progress", "ofs-delta", *(["deepen 1"] if depth else []),
                 *([f"filter {filter_spec}"] if filter_spec else []), *(f"want {w}" for w in wants), "done"]
    try:
        pack = _pack_of(remote.ask("fetch", arguments, step), remote, step)
    except _Refused as refused:
        if not filter_spec:
            raise remote.error(step, f"the server said: {refused}") from None
        return fetch_objects(remote, wants, step, depth, "")
    try:
        return unpack(pack, remote.settings.git_max_bytes)
    except PackError as error:
        raise remote.error(step, f"the server sent a pack that {error}") from None


class _Refused(Exception):
    pass


def _pack_of(lines: list[bytes | None], remote: Remote, step: str) -> bytes:
    """The pack in the `packfile` section of a fetch answer (side band 1); band 3 and ERR are refusals."""
    pack, inside = bytearray(), False
    for line in lines:
        if line is None:
            if inside:
                return bytes(pack)
            continue
        if line.startswith(b"ERR "):
            raise _Refused(line[4:].decode("utf-8", "replace").strip())
        if not inside:
            inside = line.rstrip(b"\n") == b"packfile"
        elif line[:1] == b"\x01":
            pack += line[1:]
        elif line[:1] == b"\x03":
            raise _Refused(line[1:].decode("utf-8", "replace").strip())
    raise _Refused("an answer without a pack")


def fetch_checkout(remote: Remote, commit: str, target: Path, step: str) -> None:
    """Write the YAML files of `commit` to a new folder and put it in place of `target`."""
    settings = remote.settings
    objects = fetch_objects(remote, [commit], step, True, settings.git_filter)
    try:
        files = yaml_files(objects, commit_tree(objects, commit))
    except PackError as error:
        raise remote.error(step, f"the server sent a pack that {error}") from None
    kept = _previous_files(target)
    missing = sorted({f.blob for f in files if f.blob not in objects and f.blob not in kept})
    if missing:
        objects.update(fetch_objects(remote, missing, step, False, ""))
    new = Path(tempfile.mkdtemp(prefix=f"{target.name}.new-", dir=target.parent))
    try:
        for file in files:
            path = os.path.join(os.fsencode(new), file.path)
            os.makedirs(os.path.dirname(path), mode=PRIVATE, exist_ok=True)
            if file.blob in objects:
                kind, data = objects[file.blob]
                if kind != 3:
                    raise remote.error(step, f"the server sent a pack that lacks the blob {file.blob}")
            else:
                data = kept[file.blob]
            if file.link:
                os.symlink(data, path)
            else:
                with open(path, "xb") as out:
                    out.write(data)
        meta = new / ".git"
        for folder in (meta / "objects", meta / "refs"):
            folder.mkdir(parents=True, mode=PRIVATE)
        (meta / "config").write_text(f'[remote "origin"]\n\turl = {remote.endpoint.removesuffix("/git-upload-pack")}\n')
        (meta / FILES).write_bytes(b"".join(f"{f.blob} ".encode() + f.path + b"\n" for f in files))
        (meta / "HEAD").write_text(commit + "\n")
        replace_folder(new, target)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise


def _previous_files(target: Path) -> dict[str, bytes]:
    """{blob id: content} of the files the last checkout wrote and still holds, to write them again unasked."""
    try:
        listing = (target / ".git" / FILES).read_bytes()
    except OSError:
        return {}
    kept = {}
    for line in listing.splitlines():
        blob, _, path = line.partition(b" ")
        full = os.path.join(os.fsencode(target), path)
        try:
            kept[blob.decode()] = os.readlink(full) if os.path.islink(full) else Path(os.fsdecode(full)).read_bytes()
        except (OSError, UnicodeDecodeError):
            continue
    return kept


def replace_folder(new: Path, target: Path) -> None:
    """`new` becomes `target`: the old one is first moved aside, so that `target` is only ever whole or absent."""
    new.chmod(PRIVATE)
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{target.name}.old-", dir=target.parent))
        target.replace(old / "checkout")
        new.replace(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.replace(target)


def remove_leftovers(target: Path) -> None:
    """Folders a killed run left beside `target` (`.new-`, `.old-`)."""
    for leftover in target.parent.glob(f"{target.name}.*-*"):
        shutil.rmtree(leftover, ignore_errors=True)
