"""Crawling catalog sources: local folders, single files, git repositories, Location entities.

This module does the file and git I/O; everything it reads goes through `parse.parse_file`.
A bad file becomes a finding; only a source that cannot be read at all raises SourceError.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from pathlib import Path

import requests

from insights.catalog.model import ERROR, WARNING, Catalog, Entity, Finding
from insights.catalog.parse import parse_file
from insights.catalog.placeholders import file_reader
from insights.errors import SourceError

log = logging.getLogger(__name__)

DEFAULT_GLOBS = ("**/catalog-info.yaml", "**/catalog-info.yml")
IGNORED_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "vendor", "dist", "build"}
GIT_URL = re.compile(r"^(https?://|ssh://|git://|file://|git@[\w.-]+:)")


@dataclass(frozen=True)
class Source:
    """One configured catalog source: kind is `folder`, `file`, `git`, `list` (a file naming git
    repositories, one per line) or `backstage` (a Backstage catalog API)."""

    kind: str
    location: str
    globs: tuple[str, ...] = DEFAULT_GLOBS
    ref: str | None = None
    token_env: str | None = None
    filter: str | None = None

    @property
    def label(self) -> str:
        return mask_url(self.location) + (f"@{self.ref}" if self.ref else "")


@dataclass
class CrawlSettings:
    max_file_bytes: int = 1_000_000
    allowed_hosts: tuple[str, ...] = ()
    cache_dir: Path = field(default_factory=lambda: Path(os.environ.get("INSIGHTS_CACHE", "~/.cache/insights")).expanduser())
    git_timeout: int = 300


def source_from_argument(text: str) -> Source:
    """What `--catalog` accepts: a git URL (`#ref` optional), a folder, a file, `list:FILE` (a file
    naming repositories) or `backstage:URL` (a Backstage catalog API, token from BACKSTAGE_TOKEN)."""
    if text.startswith("list:"):
        return Source("list", text[len("list:"):])
    if text.startswith("backstage:"):
        return Source("backstage", text[len("backstage:"):], token_env="BACKSTAGE_TOKEN")
    if GIT_URL.match(text) or text.endswith(".git"):
        url, _, ref = text.partition("#")
        return Source("git", url, ref=ref or None)
    path = Path(text)
    if path.is_dir():
        return Source("folder", text)
    if path.is_file():
        return Source("file", text)
    raise SourceError(f"catalog source {text!r} is neither a folder, a file nor a git URL; check the path")


def mask_url(url: str) -> str:
    return re.sub(r"://[^/@]*@", "://***@", url)


def read_repository_list(source: Source) -> list[Source]:
    """`URL [ref]` per line; blank lines and lines starting with `#` are skipped."""
    try:
        lines = Path(source.location).read_text().splitlines()
    except OSError as error:
        raise SourceError(f"repository list {source.location} cannot be read: {error.strerror}") from error
    repositories = []
    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) > 2:
            raise SourceError(f"{source.location}:{number}: expected `URL [ref]`, got {line.strip()!r}")
        repositories.append(Source("git", words[0], source.globs, words[1] if len(words) == 2 else None))
    return repositories


def crawl(sources: list[Source], settings: CrawlSettings | None = None, advance=lambda n=1: None) -> Catalog:
    """Every entity and finding of the sources; `advance()` is called once per file or page read."""
    settings = settings or CrawlSettings()
    entities: list[Entity] = []
    findings: list[Finding] = []
    expanded = [s for source in sources for s in (read_repository_list(source) if source.kind == "list" else [source])]
    for source in expanded:
        if source.kind == "backstage":
            from insights.catalog import backstage

            found, problems = backstage.fetch(source.location, token_env=source.token_env,
                                              query_filter=source.filter, label=source.label)
            entities += found
            findings += problems
            advance()
            continue
        root, files = _files_of(source, settings)
        crawler = _RootCrawl(source, root, settings)
        for path in files:
            crawler.read(path)
            advance()
        entities += crawler.entities
        findings += crawler.findings
    findings += duplicate_findings(entities)
    return Catalog(tuple(entities), tuple(findings), tuple(s.label for s in expanded))


def _files_of(source: Source, settings: CrawlSettings) -> tuple[Path, list[Path]]:
    if source.kind == "file":
        path = Path(source.location)
        if not path.is_file():
            raise SourceError(f"catalog file {source.location} does not exist")
        return path.parent.resolve(), [path.resolve()]
    root = Path(source.location) if source.kind == "folder" else _checkout(source, settings)
    if not root.is_dir():
        raise SourceError(f"catalog folder {source.location} does not exist or is not a folder")
    root = root.resolve()
    files: set[Path] = set()
    for pattern in source.globs:
        for path in root.glob(pattern):
            if path.is_file() and not IGNORED_DIRS.intersection(path.relative_to(root).parts[:-1]):
                files.add(path)
    return root, sorted(files)


class _RootCrawl:
    """Reads the files of one root, following Location entities without leaving the root."""

    def __init__(self, source: Source, root: Path, settings: CrawlSettings):
        self.source, self.root, self.settings = source, root, settings
        self.seen: set[Path] = set()
        self.seen_urls: set[str] = set()
        self.entities: list[Entity] = []
        self.findings: list[Finding] = []

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def finding(self, code, message, path: Path, line=None, ref=None, severity=ERROR):
        self.findings.append(Finding(code, severity, message, self.source.label, self.rel(path), line, ref))

    def read(self, path: Path) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        try:
            size = path.stat().st_size
            if size > self.settings.max_file_bytes:
                self.finding("file-too-large", f"the file is {size} bytes, over the limit of "
                             f"{self.settings.max_file_bytes}; split it or raise `crawl.max_file_bytes`", path)
                return
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            self.finding("file-not-utf8", "the file is not UTF-8 text; save it as UTF-8", path)
            return
        except OSError as error:
            self.finding("file-unreadable", f"the file cannot be read: {error.strerror}", path)
            return
        reader = file_reader(path, self.root, max_bytes=self.settings.max_file_bytes)
        entities, findings = parse_file(text, source=self.source.label, repository=self.repository,
                                        path=self.rel(path), read_target=reader)
        self.entities += entities
        self.findings += findings
        for entity in entities:
            if entity.kind == "location":
                self.follow(entity, path)

    @property
    def repository(self) -> str:
        if self.source.kind == "git":
            return mask_url(self.source.location)
        return Path(self.source.location).name if self.source.kind == "folder" else ""

    def follow(self, location: Entity, path: Path) -> None:
        targets = location.spec.get("targets") or []
        targets = ([location.spec["target"]] if location.spec.get("target") else []) + list(targets)
        optional = location.spec.get("presence") == "optional"
        for target in targets:
            if not isinstance(target, str):
                continue
            if re.match(r"^[a-z]+://", target):
                self.follow_url(location, path, target)
                continue
            self.follow_target(location, path, target, optional)

    def follow_target(self, location: Entity, path: Path, target: str, optional: bool) -> None:
        base = path.parent if target.startswith(".") else self.root
        pattern = os.path.normpath(os.path.join(base, target))
        if not _inside(Path(pattern), self.root):
            self.finding("location-escapes-root", f"Location target {target} points outside the repository; "
                         "targets must stay inside it", path, location.line, location.ref)
            return
        matches = sorted(Path("/").glob(pattern.lstrip("/"))) if any(c in target for c in "*?[") else [Path(pattern)]
        matches = [m for m in matches if m.is_file()]
        if not matches and not optional:
            self.finding("location-target-missing", f"Location target {target} matches no file; fix the path "
                         "or set `presence: optional`", path, location.line, location.ref)
        for match in matches:
            if not _inside(match.resolve(), self.root):
                self.finding("location-escapes-root", f"Location target {target} resolves through a link to "
                             "outside the repository", path, location.line, location.ref)
            elif match.resolve() == path:
                self.finding("location-cycle", f"Location target {target} points at its own file",
                             path, location.line, location.ref, WARNING)
            else:
                self.read(match.resolve())


    def follow_url(self, location: Entity, path: Path, url: str) -> None:
        host = urlsplit(url).hostname or ""
        if host not in self.settings.allowed_hosts:
            self.finding("location-host-not-allowed", f"Location target {url} is on host {host!r}, which is not "
                         "in `catalog.allowed_hosts`; add the host there to follow it", path, location.line,
                         location.ref, WARNING)
            return
        if url in self.seen_urls:
            return
        self.seen_urls.add(url)
        try:
            response = requests.get(url, timeout=30)
            response.raise_for_status()
        except requests.RequestException as error:
            self.finding("location-target-unreachable", f"Location target {url} could not be fetched "
                         f"({type(error).__name__}); check the URL", path, location.line, location.ref)
            return
        entities, findings = parse_file(response.text[: self.settings.max_file_bytes], source=self.source.label,
                                        repository=url, path=url)
        self.entities += entities
        self.findings += findings


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except (ValueError, RuntimeError, OSError):
        return False


def duplicate_findings(entities: list[Entity]) -> list[Finding]:
    first: dict[str, Entity] = {}
    findings = []
    for entity in entities:
        original = first.setdefault(entity.ref, entity)
        if original is not entity:
            findings.append(Finding("duplicate-entity", ERROR, f"{entity.ref} is defined twice: here and in "
                                    f"{original.repository or original.source} {original.location}; keep one",
                                    entity.source, entity.path, entity.line, entity.ref))
    return findings


def _checkout(source: Source, settings: CrawlSettings) -> Path:
    """A shallow, sparse clone (YAML files only) in the cache; updated in place on later runs."""
    url = source.location
    if url.startswith("-") or url.lower().startswith("ext::") or "::" in url.split("/")[0]:
        raise SourceError(f"git source {mask_url(url)!r} is not a plain repository URL; refused")
    if source.ref and source.ref.startswith("-"):
        raise SourceError(f"git ref {source.ref!r} is not a valid ref; refused")
    target = settings.cache_dir / "git" / hashlib.sha256(f"{url}#{source.ref}".encode()).hexdigest()[:16]
    if not (target / ".git").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        _git(["init", "-q"], target, settings, url)
        _git(["remote", "add", "origin", "--", url], target, settings, url)
        _git(["sparse-checkout", "set", "--no-cone", "*.yaml", "*.yml"], target, settings, url)
    _git(["fetch", "-q", "--depth", "1", "--filter=blob:none", "origin", "--", source.ref or "HEAD"],
         target, settings, url)
    _git(["checkout", "-q", "--force", "FETCH_HEAD"], target, settings, url)
    return target


def _git(args: list[str], cwd: Path, settings: CrawlSettings, url: str) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    command = ["git", "-c", "protocol.ext.allow=never", "-c", "advice.detachedHead=false", *args]
    try:
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=settings.git_timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise SourceError(f"git {args[0]} of {mask_url(url)} took longer than {settings.git_timeout}s") from error
    if result.returncode != 0:
        reason = mask_url(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "no output")
        raise SourceError(f"git {args[0]} of {mask_url(url)} failed: {reason}; check the URL, the ref and "
                          "git's credentials (credential helper or environment)")
