"""YAML text of one descriptor file -> entities and findings. Pure: no file or network access."""

from __future__ import annotations

from insights.catalog import validate
from insights.catalog.model import ERROR, Entity, Finding
from insights.catalog.refs import DEFAULT_KINDS, entity_ref, parse_ref
from insights.yamlio import Map, load_documents


def parse_file(text: str, *, source: str, repository: str, path: str) -> tuple[list[Entity], list[Finding]]:
    entities: list[Entity] = []
    findings: list[Finding] = []

    def finding(code: str, message: str, line: int | None, ref: str | None = None, severity: str = ERROR) -> None:
        findings.append(Finding(code, severity, message, source, path, line, ref))

    if "\x00" in text:
        finding("file-binary", "the file holds binary data, not YAML; remove it or fix the glob that matched it", None)
        return entities, findings
    documents = load_documents(text)
    if not any(d.data is not None or d.error for d in documents):
        finding("file-empty", "the file holds no YAML document; add an entity or delete the file", None, severity="warning")
    for document in documents:
        if document.error:
            finding("yaml-invalid", f"invalid YAML: {document.error}; the documents after this point were not read",
                    document.error_line)
            continue
        if document.data is None:
            continue
        if not isinstance(document.data, dict):
            got = type(document.data).__name__
            finding("document-not-mapping", f"document {document.index + 1} is a {got}, not a mapping; "
                    "an entity starts with `apiVersion:`, `kind:` and `metadata:`", document.line)
            continue
        entity, problems = to_entity(document.data, source=source, repository=repository, path=path)
        for code, message, line, severity in problems:
            finding(code, message, line or document.line, entity.ref if entity else None, severity)
        if entity:
            entities.append(entity)
    return entities, findings


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def to_entity(data: Map, *, source: str, repository: str, path: str):
    """One document -> (Entity or None, problems). Problems are (code, message, line, severity)."""
    problems = validate.envelope(data)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else Map()
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else Map()
    kind, name = data.get("kind"), metadata.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or not name:
        return None, problems
    namespace = metadata.get("namespace") if isinstance(metadata.get("namespace"), str) else "default"
    ref = entity_ref(kind, namespace, name)
    annotations = validate.annotations(metadata, kind, problems)

    def spec_ref(field: str) -> str | None:
        value = spec.get(field)
        return parse_ref(value, default_kind=DEFAULT_KINDS.get(field), default_namespace=namespace.lower()) \
            if isinstance(value, str) and value.strip() else None

    tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
    links = metadata.get("links") if isinstance(metadata.get("links"), list) else []
    entity = Entity(
        ref=ref, kind=kind.lower(), namespace=namespace.lower(), name=name,
        title=_text(metadata.get("title")), description=_text(metadata.get("description")),
        owner=spec_ref("owner"), system=spec_ref("system"),
        lifecycle=_text(spec.get("lifecycle")), type=_text(spec.get("type")),
        tags=tuple(str(t) for t in tags),
        annotations=annotations,
        links=tuple(dict(link) for link in links if isinstance(link, dict)),
        spec=dict(spec), source=source, repository=repository, path=path, line=getattr(data, "line", None) or None,
    )
    return entity, problems
