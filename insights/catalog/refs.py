"""Entity references: `[kind:][namespace/]name`, normalised to lower-case `kind:namespace/name`."""

from __future__ import annotations

# The kind a reference takes when it names none, per spec field (Backstage catalog-model).
DEFAULT_KINDS = {
    "owner": "group",
    "system": "system",
    "domain": "domain",
    "subdomainOf": "domain",
    "providesApis": "api",
    "consumesApis": "api",
    "subcomponentOf": "component",
    "memberOf": "group",
    "parent": "group",
    "children": "group",
    "members": "user",
}


def entity_ref(kind: str, namespace: str, name: str) -> str:
    return f"{kind}:{namespace}/{name}".lower()


def parse_ref(text: str, *, default_kind: str | None, default_namespace: str) -> str | None:
    """The canonical ref, or None when `text` has no kind and the field has no default kind."""
    text = text.strip()
    kind, sep, rest = text.partition(":")
    if not sep:
        kind, rest = default_kind, text
    namespace, sep, name = rest.partition("/")
    if not sep:
        namespace, name = default_namespace, rest
    if not kind or not name or not namespace:
        return None
    return entity_ref(kind, namespace, name)


def display_name(ref: str | None) -> str | None:
    """`group:default/payments` -> `payments`; refs outside `default` keep their namespace."""
    if not ref:
        return ref
    _, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return name if namespace == "default" else rest
