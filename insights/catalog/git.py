"""Git sources: shallow, sparse (YAML only) checkouts in a cache readable by its owner alone, fetched several at a
time, each repository within its own deadline.

An http(s) repository is asked over smart HTTP without a git process (`git_http`); git itself reads the
others (file, ssh, local paths), those behind a proxy, and servers that do not speak protocol v2.

A password or token in a source URL never reaches the disk: the URL stored as the remote has no user
information, and the credential travels to each git command as an HTTP header in its environment
(`GIT_CONFIG_*`), scoped to that repository's URL so that it is sent nowhere else.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from insights.catalog import git_http
from insights.catalog.git_transport import Connections
from insights.catalog.settings import CrawlSettings
from insights.catalog.urls import mask_url, split_credentials
from insights.errors import SourceError

log = logging.getLogger(__name__)
PRIVATE = 0o700
TEMPLATE = "git-template"  # a git template folder holding the sparse-checkout patterns
COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
FILTER = re.compile(r"^(blob:none|blob:limit=\d+[kmg]?)?$")


def checkout_all(sources: list, settings: CrawlSettings) -> list[Path | SourceError]:
    """Each git source's checkout folder, or the SourceError that says why it could not be had, in order."""
    try:
        folder = _cache_folder(settings, sweep=True)  # once, before the threads
    except OSError:
        folder = None  # each attempt reports it
    connections = Connections()

    def attempt(source) -> Path | SourceError:
        try:
            return checkout(source, settings, connections, folder)
        except SourceError as error:
            return error
        except OSError as error:
            return SourceError(f"git source {mask_url(source.location)}: the cache {settings.cache_dir} cannot be "
                               f"written ({error.strerror}); check INSIGHTS_CACHE")

    # one checkout per repository and ref: two clones into one folder would undo each other
    unique: dict[tuple, object] = {}
    for source in sources:
        unique.setdefault((split_credentials(source.location)[0], source.ref), source)
    try:
        if len(unique) > 1:
            with ThreadPoolExecutor(max_workers=max(1, settings.git_concurrency), thread_name_prefix="git") as pool:
                done = dict(zip(unique, pool.map(attempt, unique.values())))
        else:
            done = {key: attempt(source) for key, source in unique.items()}
    finally:
        connections.close()
    return [done[(split_credentials(s.location)[0], s.ref)] for s in sources]


def checkout(source, settings: CrawlSettings, connections: Connections | None = None,
             folder: Path | None = None) -> Path:
    """The repository's files at `source.ref` (default: the remote HEAD) in the cache, fetched only when the
    remote has moved since the last run."""
    url, ref = source.location, source.ref
    if (url.startswith("-") or url.lower().startswith("ext::") or "::" in url.split("/")[0]
            or any(ord(c) < 32 or ord(c) == 127 for c in url)):
        raise SourceError(f"git source {mask_url(url)!r} is not a plain repository URL; refused")
    if ref and ref.startswith("-"):
        raise SourceError(f"git ref {ref!r} is not a valid ref; refused")
    git = _Git(url, settings)
    target = (folder or _cache_folder(settings)) / hashlib.sha256(f"{git.url}#{ref}".encode()).hexdigest()[:16]
    if git.url.lower().startswith(("http://", "https://")):
        own = connections is None
        connections = connections or Connections()
        try:
            if not connections.proxied(git.url):
                return _http_checkout(git, target, ref, connections)
        except git_http.NotSmart as why:
            log.info("git source %s: not a protocol v2 smart-HTTP server (%s); asking git", git.label, why)
        finally:
            if own:
                connections.close()
    if not (target / ".git" / "index").is_file():  # none yet, or one written without git
        _first_checkout(git, settings.cache_dir / TEMPLATE, target, ref)
    elif not _up_to_date(git, target, ref):
        git.run(["fetch", "-q", "--depth", "1", *git.filter, "origin", "--", ref or "HEAD"], target)
        git.run(["checkout", "-q", "--force", "FETCH_HEAD"], target)
    return target


def _http_checkout(git: _Git, target: Path, ref: str | None, connections: Connections) -> Path:
    authorization = git.headers.get("Authorization")
    remote = git_http.Remote(git.url, git.label, authorization, git.settings, connections, git.deadline)
    current = head(target) if (target / ".git").is_dir() else None
    step = "fetch" if current else "clone"
    commit = ref.lower() if ref and COMMIT.match(ref) else None
    if commit is None:
        commit = git_http.remote_commit(remote, ref, step)
    if commit != current:
        git_http.fetch_checkout(remote, commit, target, step)
    return target


def _first_checkout(git: _Git, template: Path, target: Path, ref: str | None) -> None:
    """A shallow clone (blob-less by default) whose checkout holds only YAML files (the template brings the sparse
    patterns), made beside the cache folder and then put in its place. `clone --branch` takes a branch or tag
    name only: a commit or a full ref name is fetched into an empty repository instead."""
    final, target = target, Path(tempfile.mkdtemp(prefix=f"{target.name}.new-", dir=target.parent))
    sparse = ["--template", str(template), "--config", "core.sparseCheckout=true",
              "--config", "core.sparseCheckoutCone=false"]
    try:
        if ref and (ref.startswith("refs/") or COMMIT.match(ref)):
            git.run(["clone", "-q", "--no-checkout", "--depth", "1", *git.filter, *sparse, "--", git.url, "."], target)
            git.run(["fetch", "-q", "--depth", "1", *git.filter, "origin", "--", ref], target)
            git.run(["checkout", "-q", "--force", "FETCH_HEAD"], target)
        else:
            git.run(["clone", "-q", "--depth", "1", *git.filter, *sparse,
                     *(["--branch", ref] if ref else []), "--", git.url, "."], target)
        git_http.replace_folder(target, final)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # half a clone would fail every later run
        raise


def _cache_folder(settings: CrawlSettings, sweep: bool = False) -> Path:
    """The folder of checkouts; with `sweep`, without the half-written ones a killed run left there."""
    settings.cache_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE)
    folder = settings.cache_dir / "git"
    folder.mkdir(exist_ok=True, mode=PRIVATE)
    folder.chmod(PRIVATE)
    if sweep:
        git_http.remove_leftovers(folder, settings.repository_timeout)
    patterns = settings.cache_dir / TEMPLATE / "info" / "sparse-checkout"
    if not patterns.is_file():
        patterns.parent.mkdir(parents=True, exist_ok=True)
        partial = patterns.with_name(f"sparse-checkout.{os.getpid()}")
        partial.write_text("*.yaml\n*.yml\n")
        partial.replace(patterns)  # a clone never copies a half-written pattern file
    return folder


def head(target: Path) -> str | None:
    """The commit checked out: HEAD itself when detached, else the branch it names (loose or packed)."""
    git_dir = target / ".git"
    try:
        head = (git_dir / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        name = head.removeprefix("ref: ")
        if (git_dir / name).is_file():
            return (git_dir / name).read_text().strip()
        packed = (git_dir / "packed-refs").read_text() if (git_dir / "packed-refs").is_file() else ""
    except OSError:
        return None
    return next((line.split()[0] for line in packed.splitlines() if line.endswith(f" {name}")), None)


def _up_to_date(git: _Git, target: Path, ref: str | None) -> bool:
    """Whether the checkout already holds the commit `ref` names on the remote (asked without a fetch)."""
    current = head(target)
    if current is None:
        return False
    if ref and ref.lower() == current:
        return True
    names = ([ref] if ref.startswith("refs/") else [f"refs/heads/{ref}", f"refs/tags/{ref}"]) if ref else ["HEAD"]
    commits = {}
    for line in git.run(["ls-remote", "origin", *names], target).splitlines():
        commit, _, name = line.partition("\t")
        if name.removesuffix("^{}") in names and (name.endswith("^{}") or name not in commits):
            commits[name.removesuffix("^{}")] = commit  # a peeled tag names the commit itself
    return set(commits.values()) == {current}


class _Git:
    """Runs git for one repository: no prompts, no `ext::` transport, the credential in the environment only,
    every command killed with its children at the repository's deadline."""

    def __init__(self, url: str, settings: CrawlSettings):
        self.settings, self.label = settings, mask_url(url)
        if not FILTER.match(settings.git_filter):
            raise SourceError(f"git filter {settings.git_filter!r} is not `blob:none`, `blob:limit=SIZE` or empty")
        self.filter = [f"--filter={settings.git_filter}"] if settings.git_filter else []
        self.deadline = time.monotonic() + settings.repository_timeout
        self.url, self.headers = url, {}
        if url.lower().startswith(("http://", "https://")):
            self.url, user, password = split_credentials(url)
            if user or password:
                basic = base64.b64encode(f"{user or ''}:{password or ''}".encode()).decode()
                self.headers = {"Authorization": f"Basic {basic}"}

    def environment(self) -> dict:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        if self.headers:
            index = os.environ.get("GIT_CONFIG_COUNT", "0")  # after any the caller's environment holds
            index = int(index) if index.isdigit() else 0
            env.update({"GIT_CONFIG_COUNT": str(index + 1), f"GIT_CONFIG_KEY_{index}": f"http.{self.url}.extraHeader",
                        f"GIT_CONFIG_VALUE_{index}": f"Authorization: {self.headers['Authorization']}"})
        return env

    def timeout(self) -> float:
        """What is left for the next command: at most `git_timeout`, never past the repository's deadline."""
        left = min(self.settings.git_timeout, self.deadline - time.monotonic())
        if left <= 0:
            raise SourceError(f"git source {self.label}: the repository took longer than "
                              f"{self.settings.repository_timeout:g} s")
        return left

    def run(self, args: list[str], cwd: Path) -> str:
        timeout = self.timeout()
        command = ["git", "-c", "protocol.ext.allow=never", "-c", "advice.detachedHead=false",
                   "-c", "maintenance.auto=false", "-c", "gc.auto=0", *args]  # no background upkeep per repository
        process = subprocess.Popen(command, cwd=cwd, env=self.environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # git's helpers (remote-https, index-pack) hold the pipes too: end the whole group
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise SourceError(f"git {args[0]} of {self.label} took longer than {timeout:.0f} s") from None
        if process.returncode != 0:
            lines = err.strip().splitlines() or ["no output"]
            reason = mask_url(next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1]))
            raise SourceError(f"git {args[0]} of {self.label} failed: {reason}; check the URL, the ref and "
                              "git's credentials (credential helper or environment)")
        return out
