"""YAML text of one descriptor file -> entities and findings. Pure: reading placeholder targets is the
caller's `read_target`.

The steps are Backstage's: load every document, substitute placeholders, validate (validate.py), then
this tool's own rules (policies.py). `to_entity` also turns entities read from a Backstage API into
entities; it never raises, whatever it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from insights.catalog import placeholders, policies, severity as severities, validate
from insights.catalog.model import ERROR, Entity, Finding, Unresolved, key_positions, type_name
from insights.catalog.plain import bounded
from insights.catalog.refs import DEFAULT_KINDS, entity_ref, parse_ref
from insights.yamlio import Map, load_documents


@dataclass(frozen=True)
class Parsed:
    """One document of a file: the entity it defines (if any) and its findings."""

    index: int
    line: int
    entity: Entity | None
    findings: tuple[Finding, ...]


def parse_file(text: str, *, source: str, repository: str, path: str,
               read_target: placeholders.ReadTarget | None = None,
               severity: dict[str, str] | None = None) -> tuple[list[Entity], list[Finding]]:
    """`read_target(target) -> text` reads `$text`/`$json`/`$yaml` targets (None: none is read, each is a
    warning); `severity` maps finding codes to the severity the configuration wants."""
    documents, findings = parse_documents(text, source=source, repository=repository, path=path,
                                          read_target=read_target, severity=severity)
    return [d.entity for d in documents if d.entity], findings + [f for d in documents for f in d.findings]


def parse_documents(text: str, *, source: str, repository: str, path: str,
                    read_target: placeholders.ReadTarget | None = None,
                    severity: dict[str, str] | None = None) -> tuple[list[Parsed], list[Finding]]:
    """Each document of the file on its own, and the findings about the file as a whole."""
    def finding(code: str, message: str, line: int | None, ref: str | None = None, level: str = ERROR) -> Finding:
        return Finding(code, level, message, source, path, line, ref)

    if "\x00" in text:
        return [], severities.apply([finding("file-binary", "the file holds binary data, not YAML; remove it or "
                                             "fix the glob that matched it", None)], severity)
    documents = load_documents(text)
    if not documents:
        return [], severities.apply([finding("file-empty", "the file holds no YAML document; add an entity or "
                                             "delete the file", None, level=severities.default("file-empty"))],
                                    severity)
    parsed = []
    for document in documents:
        found = [finding(n.code, n.message, n.line, level=severities.default(n.code)) for n in document.notes]
        entity = None
        if document.problems:
            found += [finding(p.code, f"{_yaml_message(p.code)}{p.message}; this document is not read", p.line)
                      for p in document.problems]
        elif document.data is not None and not isinstance(document.data, dict):
            found.append(finding("document-not-mapping", f"document {document.index + 1} is "
                                 f"{type_name(document.data)}, not a mapping; an entity starts with `apiVersion:`, "
                                 "`kind:` and `metadata:`", document.line))
        elif document.data is not None:
            problems = placeholders.substitute(document.data, read_target)
            entity, more = to_entity(document.data, source=source, repository=repository, path=path,
                                     descriptor=True)
            found += [finding(code, message, line or document.line, entity.ref if entity else None, level)
                      for code, message, line, level in problems + more]
        parsed.append(Parsed(document.index, document.line, entity, tuple(severities.apply(found, severity))))
    return parsed, []


def _yaml_message(code: str) -> str:
    return "invalid YAML: " if code == "yaml-invalid" else ""


def _text(value) -> str | None:
    return value if isinstance(value, str) and not isinstance(value, Unresolved) and value.strip() else None


def to_entity(data, *, source: str, repository: str, path: str, descriptor: bool = False):
    """One document or API entity -> (Entity or None, problems); problems are (code, message, line, severity).

    `descriptor`: the data is a descriptor file's document, which may not carry the `relations` and
    `status` a catalog computes. Data not built by the YAML loader is first made plain and bounded.
    """
    problems: list[tuple] = []
    if not isinstance(data, Map):
        data, problems = bounded(data)
        if data is None:
            return None, problems
    if not isinstance(data, dict):
        return None, problems + [("document-not-mapping", f"the entity is {type_name(data)}, not a mapping",
                                  None, ERROR)]
    problems += validate.entity(data, descriptor=descriptor)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    kind, name = data.get("kind"), metadata.get("name")
    if not _text(kind) or not _text(name):
        return None, problems
    namespace = metadata.get("namespace") if _text(metadata.get("namespace")) else "default"
    annotations = policies.annotations(metadata)
    policies.pagerduty(annotations, metadata.get("annotations"), problems)
    if kind.lower() == "location":
        policies.location(spec, problems)

    def spec_ref(field: str) -> str | None:
        value = spec.get(field)
        return parse_ref(value, default_kind=DEFAULT_KINDS.get(field), default_namespace=namespace.lower()) \
            if _text(value) else None

    tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
    links = metadata.get("links") if isinstance(metadata.get("links"), list) else []
    entity = Entity(
        ref=entity_ref(kind, namespace, name), kind=kind.lower(), namespace=namespace.lower(), name=name,
        title=_text(metadata.get("title")), description=_text(metadata.get("description")),
        owner=spec_ref("owner"), system=spec_ref("system"),
        lifecycle=_text(spec.get("lifecycle")), type=_text(spec.get("type")),
        tags=tuple(t for t in tags if isinstance(t, str)),
        annotations=annotations, annotation_positions=key_positions(metadata.get("annotations")),
        links=tuple(dict(link) for link in links if isinstance(link, dict)),
        spec=dict(spec), source=source, repository=repository, path=path, line=getattr(data, "line", None) or None,
    )
    return entity, problems
