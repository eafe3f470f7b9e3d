"""Crawling catalog sources: local folders, single files, git repositories, Backstage APIs.

This module reads files; git checkouts are in `git`, Location entities are followed by `locations`, URLs are
read by `fetch`. Everything read goes through `parse.parse_file`. A bad file becomes a finding, and so does a
source that cannot be read; only when every source fails (or the list of sources cannot be read) does the
crawl raise SourceError.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from insights import storable
from insights.catalog import git
from insights.catalog.fetch import fetch_text
from insights.catalog.locations import LocationFollower, resolved
from insights.catalog.model import ERROR, Catalog, Entity, Finding
from insights.catalog.parse import parse_file
from insights.catalog.placeholders import file_reader
from insights.catalog.settings import CrawlSettings
from insights.catalog.severity import apply_to_catalog
from insights.catalog.urls import mask_url
from insights.errors import SourceError
from insights.links import git_origin, without_credentials

__all__ = ["CrawlSettings", "DEFAULT_GLOBS", "Source", "SourceRead", "assemble", "crawl", "expand", "mask_url",
           "read_repository_list", "read_sources", "source_from_argument"]

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
    web_url: str | None = None  # a link template for the source's files: {revision}, {path}, {line}

    @property
    def label(self) -> str:
        return mask_url(self.location) + (f"@{self.ref}" if self.ref else "")


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
    if storable.text(text) != text:
        raise SourceError(f"catalog source {storable.text(text)!r} is not a UTF-8 path; rename it")
    path = Path(text)
    if path.is_dir():
        return Source("folder", text)
    if path.is_file():
        return Source("file", text)
    raise SourceError(f"catalog source {text!r} is neither a folder, a file nor a git URL; check the path")


def read_repository_list(source: Source) -> list[Source]:
    """`URL [ref]` per line; blank lines and lines starting with `#` are skipped."""
    try:
        if not Path(source.location).is_file():  # a pipe or a device would be read forever
            raise FileNotFoundError(2, "not a regular file")
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
        repositories.append(Source("git", words[0], source.globs, words[1] if len(words) == 2 else None,
                                   web_url=source.web_url))
    return repositories


def crawl(sources: list[Source], settings: CrawlSettings | None = None, advance=lambda n=1: None) -> Catalog:
    """Every entity and finding of the sources; `advance()` is called once per file or page read. A source
    that cannot be read is a `source-unreadable` finding; SourceError only when none could be read."""
    settings = settings or CrawlSettings()
    return assemble(read_sources(expand(sources), settings, advance), settings.severity)


def expand(sources: list[Source]) -> list[Source]:
    """The sources with each repository list replaced by the repositories it names, in order."""
    return [s for source in sources for s in (read_repository_list(source) if source.kind == "list" else [source])]


@dataclass(frozen=True)
class SourceRead:
    """What one source gave: its entities and findings, or the error that kept it from being read."""

    label: str
    entities: tuple[Entity, ...] = ()
    findings: tuple[Finding, ...] = ()
    error: SourceError | None = None


def read_sources(expanded: list[Source], settings: CrawlSettings, advance=lambda n=1: None) -> list[SourceRead]:
    """Each source read on its own (git ones fetched concurrently), in order; nothing across sources yet."""
    repositories = [s for s in expanded if s.kind == "git"]
    checkouts = iter(git.checkout_all(repositories, settings))
    reads = []
    for source in expanded:
        try:
            found, problems = _crawl_source(source, settings, next(checkouts) if source.kind == "git" else None,
                                            advance)
        except SourceError as error:
            log.warning("catalog source %s: %s", source.label, error)
            reads.append(SourceRead(source.label, error=error))
            continue
        reads.append(SourceRead(source.label, tuple(found), tuple(problems)))
    return reads


def assemble(reads: list[SourceRead], severity: dict | None = None) -> Catalog:
    """The catalog of every source read, in order: what depends on several sources (duplicates, the
    configured severities, whether any source could be read) is decided here."""
    entities = [entity for read in reads for entity in read.entities]
    findings: list[Finding] = []
    for read in reads:
        findings += [Finding("source-unreadable", ERROR, f"{read.error}; the other sources were read", read.label)] \
            if read.error else read.findings
    failures = [read.error for read in reads if read.error]
    if failures and len(failures) == len(reads):
        raise failures[0] if len(failures) == 1 else SourceError(
            f"none of the {len(failures)} catalog sources could be read; the first: {failures[0]}")
    findings += duplicate_findings(entities)
    return apply_to_catalog(Catalog(tuple(entities), tuple(findings), tuple(r.label for r in reads)), severity)


def _crawl_source(source: Source, settings: CrawlSettings, checkout, advance) -> tuple[list[Entity], list[Finding]]:
    if source.kind == "backstage":
        from insights.catalog import backstage

        found, problems = backstage.fetch(source.location, token_env=source.token_env, query_filter=source.filter,
                                          label=source.label, settings=settings)
        advance()
        return [dataclasses.replace(e, backstage_url=source.location) for e in found], problems
    if isinstance(checkout, SourceError):
        raise checkout
    root, files = _files_of(source, checkout)
    crawler = _RootCrawl(source, root, settings)
    for path in files:
        crawler.read(path)
        advance()
    origin = _origin(source, root, checkout) if crawler.entities else {}
    return [dataclasses.replace(e, **origin) for e in crawler.entities], crawler.findings


def _origin(source: Source, root: Path, checkout: Path | None) -> dict:
    """Where the source's files can be seen on the web: the repository and revision crawled (for links to a
    file's line), and the source's own link template. A git source's are known without running git."""
    fields = {"web_url_template": source.web_url or ""}
    if source.kind == "git":
        return {**fields, "origin_url": without_credentials(source.location),
                "revision": git.head(checkout) or source.ref or ""}
    found = git_origin(root)
    if found:
        fields.update(origin_url=found.remote, revision=found.commit, origin_dir=found.subdir)
    return fields


def _files_of(source: Source, checkout: Path | None) -> tuple[Path, list[Path]]:
    """The source's root (links resolved) and the files its globs match there, as found (not resolved)."""
    if source.kind == "file":
        path = Path(source.location)
        if not path.is_file():
            raise SourceError(f"catalog file {source.location} does not exist")
        return path.parent.resolve(), [path.resolve()]
    root = Path(source.location) if source.kind == "folder" else checkout
    if not root.is_dir():
        raise SourceError(f"catalog folder {source.location} does not exist or is not a folder")
    root = root.resolve()
    wanted = re.compile("|".join(f"(?:{_glob_pattern(g)})" for g in source.globs))
    files = []
    # a walk that never enters ignored folders (.git above all) nor linked folders, unlike Path.glob("**")
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in IGNORED_DIRS]
        base = Path(folder)
        relative = base.relative_to(root).as_posix()
        for name in names:
            if wanted.fullmatch(name if relative == "." else f"{relative}/{name}") and (base / name).is_file():
                files.append(base / name)
    return root, sorted(files)


def _glob_pattern(glob: str) -> str:
    """A glob as a regular expression over `/`-separated relative paths: `**/` is any number of folders,
    `*` and `?` stay within one name, `[...]` is a character class."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?|\[!?[^\]]+\])", glob.removeprefix("./"))
    translated = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return "".join(translated.get(p) or (_character_class(p) if p.startswith("[") else re.escape(p)) for p in parts)


def _character_class(glob_class: str) -> str:
    inner = glob_class[1:-1]
    negated = inner.startswith("!")
    inner = inner.removeprefix("!").replace("\\", "\\\\").replace("[", "\\[")
    return f"[{'^' if negated else ''}{inner}]"


class _RootCrawl(LocationFollower):
    """Reads the files of one root, following Location entities without leaving the root."""

    def __init__(self, source: Source, root: Path, settings: CrawlSettings):
        self.source, self.root, self.settings = source, root, settings
        self.seen: set[Path] = set()
        self.seen_urls: set[str] = set()
        self.entities: list[Entity] = []
        self.findings: list[Finding] = []

    def rel(self, path: Path | str) -> str:
        """How a file is named in findings and entities: relative to the root, in text a database stores."""
        if isinstance(path, str):
            return mask_url(path)
        try:
            return storable.text(path.relative_to(self.root).as_posix())
        except ValueError:
            return storable.text(path.as_posix())

    def finding(self, code, message, path: Path | str, line=None, ref=None, severity=ERROR):
        self.findings.append(Finding(code, severity, message, self.source.label, self.rel(path), line, ref))

    def read(self, path: Path) -> None:
        """Read one file found under the root; a link that leads out of the root is a finding, never read."""
        real = resolved(path)
        if real is None or not real.is_relative_to(self.root):
            if path not in self.seen:  # each link is named, even when two lead to the same file
                self.seen.add(path)
                self.finding("file-outside-root", "the file is a link to outside the source root; it was not "
                             "read. Replace the link by the file itself", path)
            return
        if real in self.seen:
            return
        self.seen.add(real)
        if storable.text(str(real)) != str(real):
            self.finding("file-not-utf8", "the file's name is not UTF-8 (shown with \ufffd); rename it", real)
            return
        try:
            size = real.stat().st_size
            if size > self.settings.max_file_bytes:
                self.finding("file-too-large", f"the file is {size} bytes, over the limit of "
                             f"{self.settings.max_file_bytes}; split it or raise `catalog.max_file_bytes`", real)
                return
            with real.open("rb") as file:
                text = file.read(self.settings.max_file_bytes).decode("utf-8")
        except UnicodeDecodeError:
            self.finding("file-not-utf8", "the file is not UTF-8 text; save it as UTF-8", real)
            return
        except OSError as error:
            self.finding("file-unreadable", f"the file cannot be read: {error.strerror}", real)
            return
        path = real
        reader = file_reader(path, self.root, max_bytes=self.settings.max_file_bytes,
                             fetch=lambda url: fetch_text(url, self.settings))
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
