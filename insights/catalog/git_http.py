"""Git sources over smart HTTP (protocol v2) without a git process: one `ls-refs` request says whether the
repository moved; when it did, a depth-1 pack (trees only under `blob:none`) and then the YAML blobs by id
are fetched, and only the YAML files are written, to a new folder that replaces the old one whole.

Requests go through `git_transport.Connections` (kept alive, bounded in time and bytes). A password or token
in the URL is sent as an Authorization header to that URL only.

A server that does not answer as a protocol-v2 smart-HTTP server raises NotSmart, and the caller asks git.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import os
import shutil
import tempfile
import time
from pathlib import Path

from dulwich.protocol import pkt_line

from insights.catalog.git_pack import PackError, commit_tree, unpack, yaml_files
from insights.catalog.git_transport import Connections, TooLarge
from insights.errors import SourceError

RESULT_TYPE = "application/x-git-upload-pack-result"
AGENT = "git/insights-dulwich"
FILES = "insights-files"  # in the checkout's .git: `blob-id path NUL` a file written, to reuse the unchanged ones
PRIVATE = 0o700


class NotSmart(Exception):
    """The server does not answer as a protocol-v2 smart-HTTP git server."""


class Remote:
    """One repository's upload-pack endpoint, asked within the repository's deadline."""

    def __init__(self, url: str, label: str, authorization: str | None, settings, connections: Connections,
                 deadline: float):
        self.endpoint, self.label, self.settings = url.rstrip("/") + "/git-upload-pack", label, settings
        self.connections, self.deadline = connections, deadline
        self.headers = {"Git-Protocol": "version=2", "Content-Type": "application/x-git-upload-pack-request",
                        "Accept": RESULT_TYPE, "Accept-Encoding": "identity", "User-Agent": AGENT,
                        **({"Authorization": authorization} if authorization else {})}
        self.secrets = _secrets(authorization)

    def said(self, raw: bytes) -> str:
        """What the server said, fit for a message: printable, short, and without the credential even if the
        server echoes it back."""
        text = "".join(c for c in raw.decode("utf-8", "replace").strip() if c.isprintable())[:200]
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

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
            reason = str(error) if isinstance(error, TooLarge) else f"the connection failed ({type(error).__name__})"
            raise self.error(step, reason) from None
        if status in (401, 403) and "Authorization" in self.headers:
            raise self.error(step, f"HTTP {status}: the server refused the credentials in the URL")
        if status != 200 or kind.split(";")[0].strip() != RESULT_TYPE:
            raise NotSmart(f"HTTP {status} {kind}")
        return _packets(answer)

    def error(self, step: str, reason: str) -> SourceError:
        return SourceError(f"git {step} of {self.label} failed: {reason}; check the URL, the ref and the "
                           "credentials")


def _secrets(authorization: str | None) -> list[str]:
    """The forms a credential could be echoed in: the header's value, its token, `user:password`, the password."""
    if not authorization:
        return []
    token = authorization.partition(" ")[2]
    try:
        pair = base64.b64decode(token, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return [authorization, token]
    return sorted({s for s in (authorization, token, pair, pair.partition(":")[2]) if len(s) >= 4}, key=len,
                  reverse=True)


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
        pack = _pack_of(remote.ask("fetch", arguments, step))
    except _Refused as refused:
        if not filter_spec:
            raise remote.error(step, f"the server said: {remote.said(refused.args[0])}") from None
        return fetch_objects(remote, wants, step, depth, "")
    try:
        return unpack(pack, remote.settings.git_max_bytes)
    except PackError as error:
        raise remote.error(step, f"the server sent a pack that {error}") from None


class _Refused(Exception):
    pass


def _pack_of(lines: list[bytes | None]) -> bytes:
    """The pack in the `packfile` section of a fetch answer (side band 1); band 3 and ERR are refusals."""
    pack, inside = bytearray(), False
    for line in lines:
        if line is None:
            if inside:
                return bytes(pack)
            continue
        if line.startswith(b"ERR "):
            raise _Refused(line[4:])
        if not inside:
            inside = line.rstrip(b"\n") == b"packfile"
        elif line[:1] == b"\x01":
            pack += line[1:]
        elif line[:1] == b"\x03":
            raise _Refused(line[1:])
    raise _Refused(b"an answer without a pack")


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
    made = {os.fsencode(new)}
    try:
        for file in files:
            path = os.path.join(os.fsencode(new), file.path)
            if os.path.dirname(path) not in made:
                os.makedirs(os.path.dirname(path), mode=PRIVATE, exist_ok=True)
                made.add(os.path.dirname(path))
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
        (meta / FILES).write_bytes(b"".join(f"{f.blob} ".encode() + f.path + b"\0" for f in files))
        (meta / "HEAD").write_text(commit + "\n")
        replace_folder(new, target)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise


def _previous_files(target: Path) -> dict[str, bytes]:
    """{blob id: content} of the files the last checkout wrote and still holds as written, to write them
    again without asking the server."""
    try:
        listing = (target / ".git" / FILES).read_bytes()
    except OSError:
        return {}
    kept = {}
    for line in filter(None, listing.split(b"\0")):
        blob, _, path = line.partition(b" ")
        full = os.path.join(os.fsencode(target), path)
        try:
            if os.path.islink(full):
                data = os.readlink(full)
            else:
                with open(full, "rb") as file:
                    data = file.read()
        except OSError:
            continue
        if hashlib.sha1(b"blob %d\0%s" % (len(data), data)).hexdigest() == blob.decode("ascii", "replace"):
            kept[blob.decode()] = data
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


def remove_leftovers(folder: Path, age: float) -> None:
    """The half-written (`.new-`) and half-removed (`.old-`) checkouts a killed run left in `folder`: those
    older than `age` seconds, which no fetch still running can own."""
    now = time.time()
    with os.scandir(folder) as entries:
        for entry in entries:
            if (".new-" in entry.name or ".old-" in entry.name) and now - entry.stat().st_mtime > age:
                shutil.rmtree(entry.path, ignore_errors=True)
