"""Backstage catalog-model rules, applied to one parsed document. Pure.

Written from Backstage's catalog-model JSON schemas and the rules of its catalog backend: required
fields per kind, name/namespace/tag syntax, unknown root keys, value types, plus PagerDuty annotations.
"""

from __future__ import annotations

import re

from insights.catalog.model import ERROR, WARNING

SERVICE_ID = "pagerduty.com/service-id"
INTEGRATION_KEY = "pagerduty.com/integration-key"
WAIVER_PREFIX = "insights.dev/waive."

NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
NAMESPACE = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$")
KIND = re.compile(r"^[a-zA-Z][a-z0-9A-Z]*$")
TAG = re.compile(r"^[a-z0-9:+#]+(\-[a-z0-9:+#]+)*$")
# PagerDuty ids are upper-case letters and digits: the classic 7-character `P…` form and the longer forms
# (14 characters starting with Q, as in the API reference's own examples; PagerDuty documents P, Q and R).
SERVICE_ID_FORMAT = re.compile(r"^[PQR][A-Z0-9]{6,19}$")
INTEGRATION_KEY_FORMAT = re.compile(r"^[0-9a-f]{32}$")
PLACEHOLDER = re.compile(r"\$\{\{.*\}\}|\{\{.*\}\}|^<.*>$|^\[.*\]$|^P?X{5,}$|CHANGEME|TODO|REPLACE", re.IGNORECASE)

METADATA_TYPES = (("uid", str, "a string"), ("etag", str, "a string"), ("title", str, "a string"),
                  ("description", str, "a string"), ("labels", dict, "a mapping"), ("annotations", dict, "a mapping"))
ROOT_KEYS = {"apiVersion", "kind", "metadata", "spec", "relations", "status"}
API_VERSIONS = {"backstage.io/v1alpha1", "backstage.io/v1beta1"}
REQUIRED_SPEC = {
    "component": ("type", "lifecycle", "owner"),
    "api": ("type", "lifecycle", "owner", "definition"),
    "resource": ("type", "owner"),
    "system": ("owner",),
    "domain": ("owner",),
    "group": ("type", "children"),
    "user": ("memberOf",),
    "location": (),
}
# Keys people mistype for the PagerDuty annotations; anything else under pagerduty.com/ is left alone.
PAGERDUTY_KEYS = {SERVICE_ID, INTEGRATION_KEY}


def _type_name(value) -> str:
    return {type(None): "empty", dict: "a mapping", list: "a list", str: "a string"}.get(type(value), type(value).__name__)


def _line(mapping, key):
    return getattr(mapping, "key_lines", {}).get(key) or getattr(mapping, "line", None)


def envelope(data) -> list[tuple]:
    """Problems with the document's root, metadata and spec, as (code, message, line, severity)."""
    problems: list[tuple] = []

    def add(code, message, key=None, where=data, severity=ERROR):
        problems.append((code, message, _line(where, key) if key else getattr(where, "line", None), severity))

    for key in data:
        if key not in ROOT_KEYS:
            add("unknown-root-key", f"unknown root key `{key}`; allowed are {', '.join(sorted(ROOT_KEYS))}", key)
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not api_version:
        add("apiversion-missing", "`apiVersion` is missing; use `apiVersion: backstage.io/v1alpha1`")
    if not isinstance(kind, str) or not kind:
        add("kind-missing", "`kind` is missing; set it to Component, API, Group, ...")
    elif not KIND.match(kind):
        add("kind-invalid", f"kind `{kind}` is not a valid kind name", "kind")
    elif kind.lower() in REQUIRED_SPEC and api_version not in API_VERSIONS:
        add("apiversion-invalid", f"apiVersion `{api_version}` is not valid for kind {kind}; "
            "use backstage.io/v1alpha1", "apiVersion")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        add("metadata-missing", "`metadata` is missing or not a mapping; it needs at least `name`")
        return problems
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        add("name-missing", "`metadata.name` is missing; give the entity a name", "metadata")
    elif len(name) > 63 or not NAME.match(name):
        add("name-invalid", f"`metadata.name` {name!r} is not valid: 1-63 letters, digits, `-`, `_`, `.`, "
            "starting and ending with a letter or digit", "name", metadata)
    namespace = metadata.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or len(namespace) > 63 or not NAMESPACE.match(namespace)):
        add("namespace-invalid", f"`metadata.namespace` {namespace!r} is not valid: lower-case letters, digits "
            "and `-`, at most 63", "namespace", metadata)
    for key, kind_of, what in METADATA_TYPES:
        if key in metadata and not isinstance(metadata[key], kind_of):
            add("schema-violation", f"`metadata.{key}` must be {what}, not {_type_name(metadata[key])}", key, metadata)
    labels = metadata.get("labels")
    if isinstance(labels, dict):
        for key, value in labels.items():
            if not isinstance(value, str) or (value and not NAME.match(value)):
                add("schema-violation", f"label `{key}` must be a name-like string or \"\", got {value!r}", key, labels)
    tags = metadata.get("tags", [])
    if not isinstance(tags, list):
        add("schema-violation", "`metadata.tags` must be a list of strings", "tags", metadata)
    else:
        for tag in tags:
            if not isinstance(tag, str) or len(tag) > 63 or not TAG.match(tag):
                add("tag-invalid", f"tag {tag!r} is not valid: lower-case letters, digits, `:+#`, joined by `-`",
                    "tags", metadata, WARNING)
    links = metadata.get("links", [])
    if not isinstance(links, list) or any(not isinstance(l, dict) or not isinstance(l.get("url"), str) for l in links):
        add("schema-violation", "`metadata.links` must be a list of mappings, each with a `url`", "links", metadata)
    if isinstance(kind, str):
        _spec(data, kind.lower(), add)
    return problems


def _spec(data, kind, add):
    required = REQUIRED_SPEC.get(kind)
    if required is None:
        return
    spec = data.get("spec")
    if spec is None and not required:
        return
    if not isinstance(spec, dict):
        add("spec-missing", f"`spec` is missing; a {kind} needs {', '.join(required)}")
        return
    for field in required:
        value = spec.get(field)
        if value is None or value == "":
            add("spec-field-missing", f"`spec.{field}` is required for kind {kind}", None, spec)
        elif field in ("children", "memberOf") and not isinstance(value, list):
            add("schema-violation", f"`spec.{field}` must be a list", field, spec)
        elif field not in ("children", "memberOf") and not isinstance(value, str):
            add("schema-violation", f"`spec.{field}` must be a string", field, spec)
    if kind == "location" and "target" not in spec and "targets" not in spec:
        add("location-no-target", "a Location needs `spec.target` or `spec.targets`", None, spec)


def annotations(metadata, kind: str, problems: list) -> dict[str, str]:
    """The annotations as strings (YAML 1.1 values read back as written), plus PagerDuty problems."""
    raw = metadata.get("annotations")
    if not isinstance(raw, dict):
        return {}  # a wrong type is reported with the other metadata fields
    result: dict[str, str] = {}
    for key, value in raw.items():
        line = _line(raw, key)
        if isinstance(value, (dict, list)) or value is None:
            problems.append(("annotation-not-string", f"annotation `{key}` must be a string", line, ERROR))
            continue
        result[str(key)] = value if isinstance(value, str) else getattr(raw, "raw", {}).get(key, str(value))
    _pagerduty(result, raw, kind, problems)
    return result


def _pagerduty(values: dict[str, str], raw, kind: str, problems: list) -> None:
    def add(code, message, key, severity=ERROR):
        problems.append((code, message, _line(raw, key), severity))

    for key in values:
        lowered = key.lower()
        if lowered.startswith("pagerduty") and key not in PAGERDUTY_KEYS and _near_pagerduty_key(lowered):
            add("annotation-key-misspelled", f"annotation `{key}` looks like a misspelling of "
                f"`{_near_pagerduty_key(lowered)}`; rename it or PagerDuty checks will not see it", key)
    present = [k for k in PAGERDUTY_KEYS if k in values]
    if present and kind.lower() != "component":
        add("annotation-wrong-kind", f"PagerDuty annotations belong on a Component, not a {kind}", present[0], WARNING)
    if len(present) == 2:
        add("annotation-both-set", f"both `{SERVICE_ID}` and `{INTEGRATION_KEY}` are set; keep `{SERVICE_ID}` "
            "and remove the integration key", INTEGRATION_KEY, WARNING)
    for key, pattern, example in ((SERVICE_ID, SERVICE_ID_FORMAT, "an id such as P1A2B3C or Q1R2DLCB21K7NP"),
                                  (INTEGRATION_KEY, INTEGRATION_KEY_FORMAT, "32 hexadecimal characters")):
        value = values.get(key)
        if value is None:
            continue
        if not value.strip():
            add("annotation-empty", f"annotation `{key}` is empty; set it or remove it", key)
        elif PLACEHOLDER.search(value):
            add("placeholder-annotation", f"annotation `{key}` holds the template placeholder {value!r}; "
                "replace it with the real value", key)
        elif not pattern.match(value.strip()):
            add("annotation-malformed", f"annotation `{key}` value {value!r} is not well formed (expected {example})", key)
        elif key == INTEGRATION_KEY:
            add("integration-key-exposed", f"`{INTEGRATION_KEY}` is a secret committed in plain text: anyone who "
                f"reads the repository can trigger incidents. Rotate the key and use `{SERVICE_ID}` instead", key)


def _near_pagerduty_key(key: str) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, sorted(PAGERDUTY_KEYS), n=1, cutoff=0.75)
    return match[0] if match else None
