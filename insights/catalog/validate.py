"""Backstage's entity validators, applied to one parsed document. Pure.

Written from Backstage's catalog-model package: the envelope and entity schemas, the entity policies its
catalog backend runs on every entity (no foreign root fields, field formats), and the built-in kinds'
schemas. A problem here means Backstage refuses the entity; each is (code, message, line, severity).
A field left by a placeholder that could not be read (`Unresolved`) passes every type check.
"""

from __future__ import annotations

from insights.catalog import formats
from insights.catalog.model import ERROR, WARNING, Unresolved, line_of, show, type_name
# Re-exported: other modules read the PagerDuty annotation names from here.
from insights.catalog.policies import (INTEGRATION_KEY, INTEGRATION_KEY_FORMAT, PLACEHOLDER,  # noqa: F401
                                       SERVICE_ID, SERVICE_ID_FORMAT, WAIVER_PREFIX)

DESCRIPTOR_ROOT_KEYS = ("apiVersion", "kind", "metadata", "spec")
# Entities read back from a Backstage catalog API also carry what the catalog computed.
STORED_ROOT_KEYS = DESCRIPTOR_ROOT_KEYS + ("relations", "status")
API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")

TEXT, TEXTS, ANY_TEXT, PROFILE, PRESENCE = "text", "texts", "any-text", "profile", "presence"
_WHAT = {TEXT: "a non-empty string", TEXTS: "a list of non-empty strings", ANY_TEXT: "a string",
         PROFILE: "a mapping of non-empty strings (displayName, email, picture)",
         PRESENCE: "`required` or `optional`"}
# Per built-in kind: required spec fields, then the optional fields the kind's schema types.
KINDS: dict[str, tuple[dict, dict]] = {
    "Component": ({"type": TEXT, "lifecycle": TEXT, "owner": TEXT},
                  {"system": TEXT, "subcomponentOf": TEXT, "providesApis": TEXTS, "consumesApis": TEXTS,
                   "dependsOn": TEXTS}),
    "API": ({"type": TEXT, "lifecycle": TEXT, "owner": TEXT, "definition": TEXT}, {"system": TEXT}),
    "Resource": ({"type": TEXT, "owner": TEXT}, {"dependsOn": TEXTS, "system": TEXT}),
    "System": ({"owner": TEXT}, {"domain": TEXT, "type": TEXT}),
    "Domain": ({"owner": TEXT}, {"subdomainOf": TEXT, "type": TEXT}),
    "Group": ({"type": TEXT, "children": TEXTS}, {"profile": PROFILE, "parent": TEXT, "members": TEXTS}),
    "User": ({"memberOf": TEXTS}, {"profile": PROFILE}),
    "Location": ({}, {"type": TEXT, "target": TEXT, "targets": TEXTS, "presence": PRESENCE}),
}
_BY_LOWER = {name.lower(): name for name in KINDS}
_METADATA = (("uid", TEXT), ("etag", TEXT), ("title", TEXT), ("description", ANY_TEXT))


def _is(value, shape) -> bool:
    if isinstance(value, Unresolved):
        return True
    if shape == TEXT:
        return isinstance(value, str) and len(value) >= 1
    if shape == ANY_TEXT:
        return isinstance(value, str)
    if shape == TEXTS:
        return isinstance(value, list) and all(_is(item, TEXT) for item in value)
    if shape == PROFILE:
        return isinstance(value, dict) and all(_is(value[k], TEXT) for k in ("displayName", "email", "picture")
                                               if k in value)
    return value in ("required", "optional")


def entity(data: dict, *, descriptor: bool = True) -> list[tuple]:
    """Problems with one document (a mapping): envelope, metadata, field formats and the kind's spec."""
    problems: list[tuple] = []

    def add(code, message, where=data, key=None, severity=ERROR):
        problems.append((code, message, line_of(where, key), severity))

    allowed = DESCRIPTOR_ROOT_KEYS if descriptor else STORED_ROOT_KEYS
    for key in data:
        if key not in allowed:
            add("unknown-root-key", f"unknown root key {show(key)}; a descriptor has only {', '.join(allowed)}",
                key=key)
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not _is(api_version, TEXT):
        add("apiversion-missing", "`apiVersion` is missing or not a string; use `apiVersion: backstage.io/v1alpha1`",
            key="apiVersion")
    elif not isinstance(api_version, Unresolved) and not formats.api_version(api_version):
        add("apiversion-invalid", f"apiVersion {show(api_version)} is not valid; use backstage.io/v1alpha1",
            key="apiVersion")
    if not _is(kind, TEXT):
        add("kind-missing", "`kind` is missing or not a string; set it to Component, API, Group, ...", key="kind")
    elif not isinstance(kind, Unresolved) and not formats.kind(kind):
        add("kind-invalid", f"kind {show(kind)} is not a valid kind name (a letter, then letters and digits)",
            key="kind")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        add("metadata-missing", "`metadata` is missing or not a mapping; it needs at least `name`", key="metadata")
    else:
        _metadata(metadata, add)
    spec = data.get("spec")
    if "spec" in data and not isinstance(spec, (dict, Unresolved)):
        add("schema-violation", f"`spec` must be a mapping, not {type_name(spec)}", key="spec")
    if isinstance(kind, str) and formats.kind(kind):
        _kind(data, kind, api_version, add)
    return problems


def _metadata(metadata: dict, add) -> None:
    name = metadata.get("name")
    if not _is(name, TEXT):
        add("name-missing", "`metadata.name` is missing or not a string; give the entity a name", metadata,
            "name" if "name" in metadata else None)
    elif not isinstance(name, Unresolved) and not formats.object_name(name):
        add("name-invalid", f"`metadata.name` {show(name)} is not valid: 1-63 letters, digits, `-`, `_`, `.`, "
            "starting and ending with a letter or digit", metadata, "name")
    namespace = metadata.get("namespace")
    if "namespace" in metadata and not isinstance(namespace, Unresolved) and not formats.dns_label(namespace):
        add("namespace-invalid", f"`metadata.namespace` {show(namespace)} is not valid: lower-case "
            "letters, digits and `-`, at most 63", metadata, "namespace")
    for key, shape in _METADATA:
        if key in metadata and not _is(metadata[key], shape):
            add("schema-violation", f"`metadata.{key}` must be {_WHAT[shape]}, not {type_name(metadata[key])}",
                metadata, key)
    _keyed(metadata, "labels", "label-invalid", "label-invalid", formats.label_value,
           "\"\" or a name-like string", add)
    _keyed(metadata, "annotations", "annotation-key-invalid", "annotation-not-string",
           lambda value: isinstance(value, str), "a string", add)
    _tags(metadata, add)
    _links(metadata, add)


def _collection(metadata: dict, key: str, kind: type, what: str, add):
    """`metadata[key]` when it is of the right kind; None (after a problem when it is wrong) otherwise."""
    value = metadata.get(key)
    if key in metadata and not isinstance(value, (kind, Unresolved)):
        add("schema-violation", f"`metadata.{key}` must be {what}, not {type_name(value)}", metadata, key)
    return value if isinstance(value, kind) else None


def _keyed(metadata: dict, field: str, key_code: str, value_code: str, value_ok, value_rule: str, add) -> None:
    """Labels and annotations: `[prefix/]name` keys (the same rule for both) and their values."""
    mapping = _collection(metadata, field, dict, "a mapping", add)
    if mapping is None:
        return
    what = field[:-1]
    for key, value in mapping.items():
        if not formats.annotation_key(key):
            add(key_code, f"{what} key {show(key)} is not valid: `[prefix/]name`, the prefix a lower-case DNS name "
                "and the name 1-63 letters, digits, `-`, `_`, `.`", mapping, key)
        if not isinstance(value, Unresolved) and not value_ok(value):
            raw = getattr(mapping, "raw", {}).get(key)
            hint = f"; quote it: {key}: \"{raw}\"" if raw and isinstance(value, (int, float, bool)) else ""
            add(value_code, f"{what} {show(key)} must be {value_rule}, not {show(value)}{hint}", mapping, key)


def _tags(metadata: dict, add) -> None:
    tags = _collection(metadata, "tags", list, "a list of strings", add)
    if tags is None:
        return
    for tag in tags:
        if not isinstance(tag, Unresolved) and not formats.tag(tag):
            add("tag-invalid", f"tag {show(tag)} is not valid: lower-case letters, digits and `:+#`, joined by "
                "`-`, at most 63", metadata, "tags")


def _links(metadata: dict, add) -> None:
    links = _collection(metadata, "links", list, "a list", add)
    if links is None:
        return
    for number, link in enumerate(links, 1):
        if isinstance(link, Unresolved):
            continue
        if not isinstance(link, dict):
            add("link-invalid", f"link {number} must be a mapping with a `url`, not {type_name(link)}",
                metadata, "links")
            continue
        url = link.get("url")
        if not isinstance(url, Unresolved) and not formats.url(url):
            add("link-invalid", f"link {number} has no valid `url` (got {show(url)}); write a full URL such as "
                "https://...", link, "url" if "url" in link else None)
        for key in ("title", "icon", "type"):
            value = link.get(key)
            if key in link and not isinstance(value, Unresolved) and \
                    not (formats.non_blank(value) if key != "type" else _is(value, TEXT)):
                add("link-invalid", f"link {number} `{key}` must be a non-empty string, not {show(value)}",
                    link, key)


def _kind(data: dict, kind: str, api_version, add) -> None:
    builtin = _BY_LOWER.get(kind.lower())
    if builtin is None:
        add("kind-unknown", f"kind {show(kind)} is not one of Backstage's built-in kinds; Backstage accepts it "
            "only when a plugin adds it (the scaffolder adds Template)", key="kind", severity=WARNING)
        return
    if kind != builtin:
        add("kind-invalid", f"kind {show(kind)} must be written {builtin}: Backstage matches kinds exactly",
            key="kind")
        return
    if isinstance(api_version, str) and not isinstance(api_version, Unresolved) and api_version not in API_VERSIONS:
        add("apiversion-invalid", f"apiVersion {show(api_version)} is not one Backstage knows for kind {kind}; "
            "use backstage.io/v1alpha1", key="apiVersion")
    spec = data.get("spec")
    if isinstance(spec, Unresolved):
        return
    required, optional = KINDS[kind]
    if not isinstance(spec, dict):
        if spec is None and "spec" not in data:
            needs = f"; a {kind} needs {', '.join(required)}" if required else ""
            add("spec-missing", f"`spec` is missing{needs}")
        return
    for field, shape in required.items():
        if field not in spec:
            add("spec-field-missing", f"`spec.{field}` is required for kind {kind}", spec)
    for field, shape in {**required, **optional}.items():
        if field in spec and not _is(spec[field], shape):
            add("schema-violation", f"`spec.{field}` must be {_WHAT[shape]}, not {show(spec[field])}", spec, field)
