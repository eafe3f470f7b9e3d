"""Catalog findings as SARIF 2.1.0, for code scanning (GitHub's upload-sarif and other SARIF readers).

One run, one rule per finding code (its short description is what code scanning shows as the alert's
title), one result per finding with its level from the severity and its file relative to the repository
root, line and column. Messages are plain text in which SARIF reads `[text](target)` as a link, so the
brackets (and backslashes) of catalog text are escaped as the specification says (3.11.6).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

from insights import __version__
from insights.catalog.model import ERROR
from insights.report.escape import bounded, clean

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
MAX_MESSAGE = 2000
_LINK_SYNTAX = re.compile(r"([\\\[\]])")

# What each finding code judges, as code scanning shows it at the top of an alert.
RULES = {
    "yaml-invalid": "The document is not valid YAML",
    "yaml-duplicate-key": "A key is written twice in one mapping",
    "yaml-complex-key": "A mapping key is not plain text",
    "yaml-too-deep": "The document nests too deeply to be read",
    "yaml-too-large": "The document is too large once aliases are expanded",
    "entity-too-deep": "The entity nests too deeply",
    "entity-too-large": "The entity is too large",
    "document-not-mapping": "A document is not a mapping",
    "apiversion-missing": "apiVersion is missing",
    "apiversion-invalid": "apiVersion is not valid",
    "kind-missing": "kind is missing",
    "kind-invalid": "kind is not a valid kind name",
    "kind-unknown": "The kind is not one Backstage builds in",
    "metadata-missing": "metadata is missing",
    "name-missing": "metadata.name is missing",
    "name-invalid": "metadata.name is not a valid entity name",
    "namespace-invalid": "metadata.namespace is not a valid namespace",
    "unknown-root-key": "A root key Backstage does not allow",
    "schema-violation": "A field does not match the kind's schema",
    "spec-missing": "spec is missing",
    "spec-field-missing": "A required spec field is missing",
    "annotation-not-string": "An annotation value is not a string",
    "annotation-key-invalid": "An annotation key is not valid",
    "label-invalid": "A label is not valid",
    "tag-invalid": "A tag is not valid",
    "link-invalid": "A link is not valid",
    "placeholder-unresolved": "A $text, $json or $yaml placeholder could not be read",
    "placeholder-invalid": "A placeholder's content does not parse",
    "placeholder-annotation": "A PagerDuty annotation holds a template placeholder",
    "annotation-malformed": "A PagerDuty annotation is not well formed",
    "annotation-empty": "A PagerDuty annotation is empty",
    "annotation-key-misspelled": "An annotation key looks like a misspelt PagerDuty annotation",
    "annotation-both-set": "Both PagerDuty annotations are set",
    "annotation-duplicate": "A PagerDuty annotation names a service more than once",
    "account-unknown": "pagerduty.com/account names an account that is not configured",
    "standard-unknown": "pagerduty.standards_required names a standard the account does not have",
    "integration-key-exposed": "A PagerDuty integration key (a secret) is in the repository",
    "location-no-target": "A Location names no target",
    "file-empty": "The file holds no YAML document",
    "file-binary": "The file holds binary data",
    "file-too-large": "The file is over the size limit",
    "file-not-utf8": "The file is not UTF-8 text",
    "file-unreadable": "The file cannot be read",
    "file-outside-root": "The file is a link to outside the source",
    "source-unreadable": "A catalog source cannot be read",
    "duplicate-entity": "An entity is defined twice",
    "location-target-missing": "A Location target does not exist",
    "location-target-invalid": "A Location target's glob is too broad to expand",
    "location-escapes-root": "A Location target leaves its repository",
    "location-cycle": "Locations refer to each other in a cycle",
    "location-host-not-allowed": "A Location target is on a host not allowed",
    "location-target-unreachable": "A Location target cannot be fetched",
    "waiver-unknown-check": "A waiver names a check that does not exist",
    "waiver-invalid": "A waiver is not \"YYYY-MM-DD: reason\"",
    "waiver-expired": "A waiver has expired",
    "waiver-too-long": "A waiver runs longer than waivers.max_days",
}


def message(value, limit: int = MAX_MESSAGE) -> str:
    """Untrusted text as a SARIF plain-text message: no control characters, no embedded links, bounded."""
    return _LINK_SYNTAX.sub(r"\\\1", bounded(clean(value), limit))


def _rule(code: str) -> dict:
    text = RULES.get(code) or f"Catalog finding {code}"
    return {"id": code, "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": text}, "fullDescription": {"text": text},
            "help": {"text": f"{text} ({code}). The result's message says what to change."}}


def _artifact(path: str) -> dict:
    """A path relative to the repository root, an absolute path (a file: URI) or a URL, as SARIF wants it."""
    if "://" in path:
        return {"uri": path}
    if path.startswith("/"):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": "%SRCROOT%"}


def _location(path: str | None, line: int | None, column: int | None) -> list[dict]:
    if not path:
        return []
    physical: dict = {"artifactLocation": _artifact(path)}
    if line and line >= 1:
        physical["region"] = {"startLine": line, **({"startColumn": column} if column and column >= 1 else {})}
    return [{"physicalLocation": physical}]


def render(linted) -> str:
    """`linted`: a `catalog.lint.Linted` (its findings, and where each one's file is in the repository)."""
    findings = linted.findings
    codes = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for finding in findings:
        result = {"ruleId": finding.code, "ruleIndex": index[finding.code],
                  "level": "error" if finding.severity == ERROR else "warning",
                  "message": {"text": message(finding.message)},
                  "locations": _location(linted.file_of(finding), finding.line, finding.column)}
        if finding.entity_ref:
            result["properties"] = {"entity": clean(finding.entity_ref)}
        results.append(result)
    run = {"tool": {"driver": {"name": "insights", "semanticVersion": __version__, "version": __version__,
                               "rules": [_rule(c) for c in codes]}},
           "originalUriBaseIds": {"%SRCROOT%": {"uri": linted.base.as_uri().rstrip("/") + "/"}},
           "columnKind": "unicodeCodePoints", "results": results}
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=1)
