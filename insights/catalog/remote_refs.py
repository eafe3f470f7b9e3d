"""Which commits a remote's refs name, asked in one smart-HTTP request (protocol v2 `ls-refs`, as git's own
`ls-remote` sends it, without the capability request before it and without a git process).

Deciding that a repository has not changed is most of a nightly crawl of thousands of them: one request
and no process instead of two requests and two processes. Any answer that is not a clean `ls-refs` result
gives None, and the caller asks git itself (credential helpers, proxies and URL rewrites included).
"""

from __future__ import annotations

from insights.catalog.fetch import FetchError, fetch

RESULT_TYPE = "application/x-git-upload-pack-result"
MAX_ANSWER = 1_000_000


def _packet(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


def _lines(body: bytes) -> list[str] | None:
    """The data lines of a pkt-line stream up to its flush packet, or None when it is malformed or an error."""
    lines, position = [], 0
    while position + 4 <= len(body):
        try:
            length = int(body[position:position + 4], 16)
        except ValueError:
            return None
        if length == 0:
            return lines
        if length < 4 or position + length > len(body):
            return None
        line = body[position + 4:position + length].decode("utf-8", "replace").rstrip("\n")
        if line.startswith("ERR "):
            return None
        lines.append(line)
        position += length
    return None


def ls_refs(url: str, names: list[str], headers: dict, deadline: float) -> dict[str, str] | None:
    """{ref name: commit} for the refs in `names` (tags peeled to their commit), or None when the server did
    not answer the question directly."""
    request = (_packet("command=ls-refs\n") + b"0001" + _packet("peel\n") + _packet("symrefs\n")
               + b"".join(_packet(f"ref-prefix {name}\n") for name in names) + b"0000")
    asked = {**headers, "Git-Protocol": "version=2", "Content-Type": "application/x-git-upload-pack-request",
             "Accept": RESULT_TYPE}
    try:
        response = fetch(url.rstrip("/") + "/git-upload-pack", deadline=deadline, max_bytes=MAX_ANSWER,
                         headers_for=lambda host: asked, content=request)
    except FetchError:
        return None
    lines = _lines(response.body) if response.status == 200 and response.content_type == RESULT_TYPE else None
    if lines is None:
        return None
    commits = {}
    for line in lines:
        commit, _, rest = line.partition(" ")
        name, *attributes = rest.split(" ")
        peeled = [a.removeprefix("peeled:") for a in attributes if a.startswith("peeled:")]
        if name in names:
            commits[name] = peeled[0] if peeled else commit
    return commits
