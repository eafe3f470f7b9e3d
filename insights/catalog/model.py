"""Entities and findings: the catalog as the rest of the run sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


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
    links: tuple[dict, ...] = ()
    spec: dict = field(default_factory=dict)
    source: str = ""
    repository: str = ""
    path: str = ""
    line: int | None = None

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

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else (self.path or self.source)
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class Catalog:
    entities: tuple[Entity, ...]
    findings: tuple[Finding, ...]
    sources: tuple[str, ...] = ()
