"""Web addresses an owner can open: a descriptor file at its line in the repository's web UI, an entity's
page in Backstage. Pure, except `git_origin`, which asks git where a checkout came from.

Git remotes are read in every form git accepts (`https://`, `ssh://`, scp-like `git@host:o/r.git`) for
GitHub, GitLab, Bitbucket and Azure DevOps, hosted or on a host whose name says which it is
(`github.acme.com`, `gitlab.acme.com`). Anything else needs a template (`web_url_template`).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, urlsplit, urlunsplit

GITHUB, GITLAB, BITBUCKET, AZURE = "github", "gitlab", "bitbucket", "azure"
VIEW_URL, EDIT_URL, SOURCE_LOCATION = "backstage.io/view-url", "backstage.io/edit-url", "backstage.io/source-location"
# scp-like remotes: [user@]host:path, where the path does not start with a slash.
_SCP = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[A-Za-z0-9.-]+):(?!//)(?P<path>[^\s]+)$")
_COMMIT = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"  # what a path segment may hold unencoded (RFC 3986 pchar)
GIT_TIMEOUT = 10


@dataclass(frozen=True)
class Remote:
    """A repository on a known kind of host: `web` is its home page, `kind` decides the URL forms."""

    kind: str
    web: str
    azure: tuple[str, str, str] = ("", "", "")  # organisation, project, repository


def without_credentials(url: str) -> str:
    """`url` with no password, and no user at all for http(s), where a user name is often a token."""
    if _SCP.match(url) and "://" not in url:
        return url  # `git@host:path`: the user is an account name, never a secret
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""
    user = "" if parts.scheme in ("http", "https") or not parts.username else f"{parts.username}@"
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, parts.query, ""))


def _host_kind(host: str) -> str:
    if host in ("dev.azure.com", "ssh.dev.azure.com") or host.endswith(".visualstudio.com"):
        return AZURE
    return next((kind for kind in (GITHUB, GITLAB, BITBUCKET) if kind in host), "")


@functools.lru_cache(maxsize=4096)  # a catalog has few remotes and many entities
def parse_remote(url: str) -> Remote | None:
    """The web side of a git remote URL, or None for a host whose URL forms are not known."""
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return None
    match = _SCP.match(url) if "://" not in url else None
    if match:
        host, path = match["host"].lower(), match["path"]
    else:
        try:
            parts = urlsplit(url)
            host, path = (parts.hostname or "").lower(), parts.path
        except ValueError:
            return None
        if parts.scheme not in ("http", "https", "ssh", "git", "git+ssh"):
            return None
    segments = [s for s in path.strip("/").split("/") if s]
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1][:-4]
    kind = _host_kind(host)
    if not kind or not host or not all(segments) or len(segments) < 2 or ".." in segments:
        return None
    if kind == AZURE:
        return _azure(host, segments)
    if kind in (GITHUB, BITBUCKET) and len(segments) != 2:
        return None
    return Remote(kind, f"https://{host}/" + "/".join(quote(s, safe=_SEGMENT_SAFE) for s in segments))


def _azure(host: str, segments: list[str]) -> Remote | None:
    """Azure DevOps: dev.azure.com/ORG/PROJECT/_git/REPO, ORG.visualstudio.com/[DefaultCollection/]PROJECT/
    _git/REPO, and the ssh forms ssh.dev.azure.com:v3/ORG/PROJECT/REPO (and vs-ssh.visualstudio.com)."""
    if segments[0] == "v3" and len(segments) == 4:
        org, project, repo = segments[1:]
    elif host == "dev.azure.com" and len(segments) == 4 and segments[2] == "_git":
        org, project, repo = segments[0], segments[1], segments[3]
    elif host.endswith(".visualstudio.com") and "_git" in segments and len(segments) in (3, 4) \
            and segments.index("_git") == len(segments) - 2:
        org, project, repo = host.split(".")[0], segments[-3], segments[-1]
    else:
        return None
    names = tuple(quote(s, safe=_SEGMENT_SAFE) for s in (org, project, repo))
    return Remote(AZURE, "https://dev.azure.com/{}/{}/_git/{}".format(*names), names)


def _path(path: str) -> str:
    return "/".join(quote(s, safe=_SEGMENT_SAFE) for s in path.strip("/").split("/"))


def file_url(remote_url: str, revision: str, path: str, line: int | None = None) -> str | None:
    """`path` (relative to the repository's top) at `revision` (a commit or a branch; empty: the default
    branch), at `line` when given, in the web UI of the repository `remote_url`."""
    remote = parse_remote(remote_url)
    if remote is None or not path or ".." in path.split("/"):
        return None
    rev = quote(revision or "HEAD", safe="/")
    if remote.kind == AZURE:
        version = f"&version={'GC' if _COMMIT.match(revision or '') else 'GB'}{quote(revision, safe='')}" if revision else ""
        return line_anchor(f"{remote.web}?path=/{_path(path)}{version}", line)
    middle = {GITHUB: "blob", GITLAB: "-/blob", BITBUCKET: "src"}[remote.kind]
    return line_anchor(f"{remote.web}/{middle}/{rev}/{_path(path)}", line)


def line_anchor(url: str, line: int | None) -> str:
    """`url` of a file pointing at `line`, in its host's form; unchanged when the line is unknown, the URL
    already points somewhere inside the file, or the host's form is not known."""
    if not line or line < 1:
        return url
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return url
    kind = _host_kind(host)
    if kind == AZURE:
        if "line=" in url:
            return url
        return f"{url}{'&' if '?' in url else '?'}line={line}&lineEnd={line + 1}&lineStartColumn=1&lineEndColumn=1"
    if "#" in url or not kind:
        return url
    return f"{url}#lines-{line}" if kind == BITBUCKET else f"{url}#L{line}"


def from_template(template: str, revision: str, path: str, line: int | None) -> str | None:
    """A configured template for any other host: `{revision}`, `{path}` (URL-encoded) and `{line}` are
    replaced; nothing else is interpreted."""
    if not template or not path:
        return None
    values = {"{revision}": quote(revision or "HEAD", safe="/"), "{path}": _path(path), "{line}": str(line or 1)}
    return re.sub(r"\{revision\}|\{path\}|\{line\}", lambda m: values[m[0]], template)


def entity_page(backstage_url: str, namespace: str, kind: str, name: str) -> str | None:
    """The entity's page in Backstage: `<base>/catalog/<namespace>/<kind>/<name>`."""
    if not backstage_url or not (namespace and kind and name):
        return None
    parts = (quote(p, safe=_SEGMENT_SAFE) for p in (namespace.lower(), kind.lower(), name))
    return backstage_url.rstrip("/") + "/catalog/{}/{}/{}".format(*parts)


def descriptor_url(annotations: dict, *, origin_url: str = "", revision: str = "", origin_dir: str = "",
                   path: str = "", line: int | None = None, template: str = "") -> str | None:
    """Where the entity's descriptor is shown, in this order: its `backstage.io/view-url` (at the line, in
    the host's form), `backstage.io/edit-url`, `backstage.io/source-location` (the folder it lives in),
    the source's template, and a URL derived from the git remote and revision that were crawled."""
    annotations = annotations or {}
    if annotations.get(VIEW_URL):
        return line_anchor(annotations[VIEW_URL].strip(), line)
    if annotations.get(EDIT_URL):
        return annotations[EDIT_URL].strip()
    location = (annotations.get(SOURCE_LOCATION) or "").strip()
    if location.startswith("url:"):
        return location[len("url:"):]
    in_repository = "/".join(p for p in (origin_dir.strip("/"), path) if p)
    if template:
        return from_template(template, revision, in_repository, line)
    if origin_url:
        return file_url(origin_url, revision, in_repository, line)
    return None


class GitOrigin(NamedTuple):
    remote: str  # the `origin` remote (else the first one), without credentials
    commit: str
    subdir: str  # the folder's path inside the checkout, "" at its top


def _git(folder: Path, *args: str) -> str | None:
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(["git", "-c", "core.fsmonitor=false", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=GIT_TIMEOUT, env=environment, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_origin(folder) -> GitOrigin | None:
    """Where a folder that is (inside) a git checkout came from: its remote, the commit checked out, and its
    place in the checkout. None when it is not a checkout, has no commit or no remote, or git is absent."""
    folder = Path(folder)
    top = _git(folder, "rev-parse", "--show-toplevel")
    commit = _git(folder, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    remotes = (_git(folder, "remote") or "").split()
    if not top or not commit or not remotes:
        return None
    remote = _git(folder, "remote", "get-url", "origin" if "origin" in remotes else remotes[0])
    if not remote:
        return None
    try:
        subdir = folder.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        subdir = ""
    return GitOrigin(without_credentials(remote), commit, "" if subdir == "." else subdir)
