"""Entities and findings: the catalog as the rest of the run sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


def show(value, limit: int = 60) -> str:
    """A value as a message quotes it, cut short so a huge value cannot make a huge message."""
    if isinstance(value, str):
        return repr(str(value)) if len(value) <= limit else repr(str(value[:limit])) + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)[:limit]
    return type_name(value)


def cut(text: str, limit: int = 120) -> str:
    """Text a message names as it is, cut short so a huge value cannot make a huge message."""
    return text if len(text) <= limit else text[:limit] + "…"


def type_name(value) -> str:
    return {type(None): "empty", dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a mapping" if isinstance(value, dict) else "a number" if isinstance(value, (int, float))
        else type(value).__name__)


def line_of(mapping, key=None):
    lines = getattr(mapping, "key_lines", None)
    return (lines.get(key) if lines and key is not None else None) or getattr(mapping, "line", None) or None


def key_positions(mapping) -> dict[str, tuple[int, int]]:
    """(line, column) of each key of a mapping the YAML loader built; empty for any other mapping."""
    lines, columns = getattr(mapping, "key_lines", None) or {}, getattr(mapping, "key_columns", None) or {}
    return {key: (line, columns.get(key) or 1) for key, line in lines.items() if isinstance(key, str) and line}


class Unresolved(str):
    """What a placeholder that could not be read leaves in its field: text naming the placeholder, which
    every type check accepts, so a field that Backstage would fill is not reported missing or mistyped."""


@dataclass(frozen=True)
class Entity:
    ref: str
    kind: str
    namespace: str
    name: str
    title: str | None = None
    description: str | None = None
    owner: str | None = None
    system: str | None = None
    lifecycle: str | None = None
    type: str | None = None
    tags: tuple[str, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)
    # (line, column) of each annotation key in its descriptor, so findings about one annotation point at it
    annotation_positions: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    links: tuple[dict, ...] = ()
    spec: dict = field(default_factory=dict)
    source: str = ""
    repository: str = ""
    path: str = ""
    line: int | None = None
    # Where the descriptor can be opened on the web (see insights.links): the git remote (without
    # credentials) and revision that were crawled, the source root's folder inside that repository, the
    # source's own URL template, and the Backstage the entity was read from.
    origin_url: str = ""
    revision: str = ""
    origin_dir: str = ""
    web_url_template: str = ""
    backstage_url: str = ""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    source: str = ""
    path: str = ""
    line: int | None = None
    entity_ref: str | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else (self.path or self.source)
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class Catalog:
    entities: tuple[Entity, ...]
    findings: tuple[Finding, ...]
    sources: tuple[str, ...] = ()
