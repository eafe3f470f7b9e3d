"""Git sources: shallow, sparse (YAML only) checkouts in a cache readable by its owner alone, fetched several at a
time, each repository within its own deadline.

A password or token in a source URL never reaches the disk: the URL stored as the remote has no user
information, and the credential travels to each git command as an HTTP header in its environment
(`GIT_CONFIG_*`), scoped to that repository's URL so that it is sent nowhere else.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from insights.catalog.settings import CrawlSettings
from insights.catalog.urls import mask_url, split_credentials
from insights.errors import SourceError

PRIVATE = 0o700


def checkout_all(sources: list, settings: CrawlSettings) -> list[Path | SourceError]:
    """Each git source's checkout folder, or the SourceError that says why it could not be had, in order."""

    def attempt(source) -> Path | SourceError:
        try:
            return checkout(source, settings)
        except SourceError as error:
            return error
        except OSError as error:
            return SourceError(f"git source {mask_url(source.location)}: the cache {settings.cache_dir} cannot be "
                               f"written ({error.strerror}); check INSIGHTS_CACHE")

    if len(sources) <= 1:
        return [attempt(s) for s in sources]
    with ThreadPoolExecutor(max_workers=max(1, settings.git_concurrency), thread_name_prefix="git") as pool:
        return list(pool.map(attempt, sources))


def checkout(source, settings: CrawlSettings) -> Path:
    """The repository's files at `source.ref` (default: the remote HEAD) in the cache, fetched only when the
    remote has moved since the last run."""
    url, ref = source.location, source.ref
    if (url.startswith("-") or url.lower().startswith("ext::") or "::" in url.split("/")[0]
            or any(ord(c) < 32 or ord(c) == 127 for c in url)):
        raise SourceError(f"git source {mask_url(url)!r} is not a plain repository URL; refused")
    if ref and ref.startswith("-"):
        raise SourceError(f"git ref {ref!r} is not a valid ref; refused")
    git = _Git(url, settings)
    target = _cache_folder(settings) / hashlib.sha256(f"{git.url}#{ref}".encode()).hexdigest()[:16]
    if not (target / ".git").is_dir():
        _init(git, target)
    elif _up_to_date(git, target, ref):
        return target
    git.run(["fetch", "-q", "--depth", "1", "--filter=blob:none", "origin", "--", ref or "HEAD"], target)
    git.run(["checkout", "-q", "--force", "FETCH_HEAD"], target)
    return target


def _init(git: _Git, target: Path) -> None:
    target.mkdir(mode=PRIVATE, exist_ok=True)
    target.chmod(PRIVATE)
    try:
        git.run(["init", "-q"], target)
        # what `git remote add` and `git sparse-checkout set --no-cone` write, without two more processes
        with (target / ".git" / "config").open("a") as config:
            config.write(f'[remote "origin"]\n\turl = "{_quoted(git.url)}"\n'
                         "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
                         "[core]\n\tsparseCheckout = true\n\tsparseCheckoutCone = false\n")
        (target / ".git" / "info").mkdir(exist_ok=True)
        (target / ".git" / "info" / "sparse-checkout").write_text("*.yaml\n*.yml\n")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # half a setup would fail every later run
        raise


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _cache_folder(settings: CrawlSettings) -> Path:
    settings.cache_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE)
    folder = settings.cache_dir / "git"
    folder.mkdir(exist_ok=True, mode=PRIVATE)
    folder.chmod(PRIVATE)
    return folder


def _up_to_date(git: _Git, target: Path, ref: str | None) -> bool:
    """Whether the checkout already holds what `ref` names on the remote (one `ls-remote`, no fetch)."""
    try:
        head = (target / ".git" / "HEAD").read_text().strip()
    except OSError:
        return False
    if ref and ref.lower() == head:
        return True
    listing = git.run(["ls-remote", "origin", ref or "HEAD"], target)
    commits: dict[str, str] = {}
    for line in listing.splitlines():
        commit, _, name = line.partition("\t")
        if ref is None and name != "HEAD":
            continue
        commits[name.removesuffix("^{}")] = commit  # a peeled tag line comes after its tag and wins
    return set(commits.values()) == {head}


class _Git:
    """Runs git for one repository: no prompts, no `ext::` transport, the credential in the environment only,
    every command killed with its children at the repository's deadline."""

    def __init__(self, url: str, settings: CrawlSettings):
        self.settings, self.label = settings, mask_url(url)
        self.deadline = time.monotonic() + settings.repository_timeout
        self.env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        self.url = url
        if url.lower().startswith(("http://", "https://")):
            self.url, user, password = split_credentials(url)
            if user or password:
                basic = base64.b64encode(f"{user or ''}:{password or ''}".encode()).decode()
                self.env.update({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"http.{self.url}.extraHeader",
                                 "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"})

    def run(self, args: list[str], cwd: Path) -> str:
        timeout = min(self.settings.git_timeout, self.deadline - time.monotonic())
        if timeout <= 0:
            raise SourceError(f"git {args[0]} of {self.label}: the repository took longer than "
                              f"{self.settings.repository_timeout:g} s")
        command = ["git", "-c", "protocol.ext.allow=never", "-c", "advice.detachedHead=false",
                   "-c", "maintenance.auto=false", "-c", "gc.auto=0", *args]  # no background upkeep per repository
        process = subprocess.Popen(command, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # git's helpers (remote-https, index-pack) hold the pipes too: end the whole group
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise SourceError(f"git {args[0]} of {self.label} took longer than {timeout:.0f} s") from None
        if process.returncode != 0:
            reason = mask_url(err.strip().splitlines()[-1] if err.strip() else "no output")
            raise SourceError(f"git {args[0]} of {self.label} failed: {reason}; check the URL, the ref and "
                              "git's credentials (credential helper or environment)")
        return out
