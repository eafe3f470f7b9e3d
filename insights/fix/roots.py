"""The files behind the entities: each source's root, the git repository holding it, and reading and
writing descriptor files without ever leaving a root. This module does the file and git I/O of `fix`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from insights.catalog.model import Entity
from insights.catalog.sources import CrawlSettings, Source, crawl, expand

LOCAL = ("folder", "file")


@dataclass(frozen=True)
class Root:
    """Where one source's entity paths start, and the repository a patch for them is made against."""

    source: Source
    path: Path  # resolved; entity paths are relative to it
    repository: Path  # the top of the git work tree holding `path`, else `path` itself
    name: str  # a short name for the repository, for the patch file

    @property
    def local(self) -> bool:
        return self.source.kind in LOCAL


def crawl_roots(sources: list[Source], settings: CrawlSettings, scratch: Path,
                advance=lambda n=1: None) -> tuple[list[Entity], dict[str, Root]]:
    """Every entity, and the root of each source by its label. Git sources are cloned afresh under
    `scratch`, so that the checkout a patch is made from is known and nothing in the cache is touched."""
    entities: list[Entity] = []
    roots: dict[str, Root] = {}
    for number, source in enumerate(expand(sources)):
        own = settings
        if source.kind == "git":
            own = dataclasses.replace(settings, cache_dir=scratch / str(number))
        entities += crawl([source], own, advance).entities
        root = _root(source, own)
        if root:
            roots[source.label] = root
    return entities, roots


def _root(source: Source, settings: CrawlSettings) -> Root | None:
    if source.kind in LOCAL:
        # As the crawler does: a file's root is the folder that holds the name given, not its link target's.
        path = (Path(source.location).parent if source.kind == "file" else Path(source.location)).resolve()
        top = _work_tree(path) or path
        return Root(source, path, top, top.name or "catalog")
    if source.kind == "git":
        checkouts = [p.parent for p in settings.cache_dir.glob("**/.git") if p.is_dir()]
        if len(checkouts) == 1:
            name = re.sub(r"\.git$", "", source.location.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
            return Root(source, checkouts[0].resolve(), checkouts[0].resolve(), name or "repository")
    return None  # a Backstage API: its entities have no file here


def _work_tree(path: Path) -> Path | None:
    try:
        result = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"], capture_output=True,
                                text=True, timeout=30, check=False, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    top = Path(result.stdout.strip()).resolve() if result.returncode == 0 and result.stdout.strip() else None
    return top if top and path.is_relative_to(top) else None


@dataclass(frozen=True)
class Descriptor:
    path: Path  # resolved, inside the root
    relative: str  # to the repository's top, with `/`
    text: str


def read_descriptor(root: Root, entity: Entity, max_bytes: int) -> Descriptor | str:
    """The entity's file, or why it cannot be edited. Links are resolved and must stay inside the root."""
    if "://" in entity.path:
        return f"it was read from {entity.path}; edit it where it lives"
    try:
        path = (root.path / entity.path).resolve(strict=True)
    except (OSError, RuntimeError):
        return f"{entity.path} is no longer there"
    if not path.is_relative_to(root.path) or not path.is_relative_to(root.repository):
        return f"{entity.path} leads outside {root.path} (through a link); refused"
    if not path.is_file():
        return f"{entity.path} is not a regular file"
    try:
        data = path.read_bytes()
    except OSError as error:
        return f"{entity.path} cannot be read: {error.strerror}"
    if len(data) > max_bytes:
        return f"{entity.path} is larger than {max_bytes} bytes"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{entity.path} is not UTF-8 text"
    return Descriptor(path, path.relative_to(root.repository).as_posix(), text)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write to a temporary file beside `path`, then rename it over: a failure never leaves half a file."""
    temporary = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as out:
            temporary = Path(out.name)
            out.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError:
        if temporary:
            temporary.unlink(missing_ok=True)
        raise


def replace_file(path: Path, before: str, after: str) -> str:
    """Write `after` over `path` if it still holds `before`; "" on success, else why not."""
    try:
        if path.read_bytes() != before.encode("utf-8"):
            return f"{path} changed while it was being edited; run again"
        write_atomic(path, after.encode("utf-8"), path.stat().st_mode & 0o7777)
    except OSError as error:
        return f"{path} cannot be written: {error.strerror}"
    return ""
