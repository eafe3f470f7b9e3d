"""Finding codes, what each one judges, and how a configuration changes a code's severity.

Every catalog finding has a stable code. Its level says whose rule it is:

- `yaml`: the document could not be read the way Backstage's parser reads it;
- `backstage`: a rule of Backstage's own entity validators (envelope, schemas, field formats, kinds):
  Backstage refuses such an entity, so these are errors and cannot be lowered;
- `insights`: a rule of this tool (PagerDuty annotations, placeholders, files, duplicates, Locations,
  limits), with a default severity that the configuration may raise or lower.
"""

from __future__ import annotations

from dataclasses import replace

from insights.catalog.model import ERROR, WARNING, Catalog, Finding

SEVERITIES = (ERROR, WARNING)

YAML, BACKSTAGE, INSIGHTS = "yaml", "backstage", "insights"

# code -> (level, default severity)
CODES: dict[str, tuple[str, str]] = {
    "yaml-invalid": (YAML, ERROR),
    "yaml-duplicate-key": (YAML, ERROR),
    "document-not-mapping": (YAML, ERROR),
    "yaml-complex-key": (INSIGHTS, WARNING),
    "yaml-too-deep": (INSIGHTS, ERROR),
    "yaml-too-large": (INSIGHTS, ERROR),
    "entity-too-deep": (INSIGHTS, ERROR),
    "entity-too-large": (INSIGHTS, ERROR),
    "apiversion-missing": (BACKSTAGE, ERROR),
    "apiversion-invalid": (BACKSTAGE, ERROR),
    "kind-missing": (BACKSTAGE, ERROR),
    "kind-invalid": (BACKSTAGE, ERROR),
    "kind-unknown": (INSIGHTS, WARNING),
    "metadata-missing": (BACKSTAGE, ERROR),
    "name-missing": (BACKSTAGE, ERROR),
    "name-invalid": (BACKSTAGE, ERROR),
    "namespace-invalid": (BACKSTAGE, ERROR),
    "unknown-root-key": (BACKSTAGE, ERROR),
    "schema-violation": (BACKSTAGE, ERROR),
    "spec-missing": (BACKSTAGE, ERROR),
    "spec-field-missing": (BACKSTAGE, ERROR),
    "annotation-not-string": (BACKSTAGE, ERROR),
    "annotation-key-invalid": (BACKSTAGE, ERROR),
    "label-invalid": (BACKSTAGE, ERROR),
    "tag-invalid": (BACKSTAGE, ERROR),
    "link-invalid": (BACKSTAGE, ERROR),
    "placeholder-unresolved": (INSIGHTS, WARNING),
    "placeholder-invalid": (INSIGHTS, ERROR),
    "placeholder-annotation": (INSIGHTS, ERROR),
    "annotation-malformed": (INSIGHTS, ERROR),
    "annotation-empty": (INSIGHTS, ERROR),
    "annotation-key-misspelled": (INSIGHTS, ERROR),
    "annotation-both-set": (INSIGHTS, WARNING),
    "annotation-duplicate": (INSIGHTS, WARNING),
    "account-unknown": (INSIGHTS, WARNING),
    "standard-unknown": (INSIGHTS, WARNING),
    "integration-key-exposed": (INSIGHTS, WARNING),
    "location-no-target": (INSIGHTS, WARNING),
    "file-empty": (INSIGHTS, WARNING),
    "file-binary": (INSIGHTS, ERROR),
    "file-too-large": (INSIGHTS, ERROR),
    "file-not-utf8": (INSIGHTS, ERROR),
    "file-unreadable": (INSIGHTS, ERROR),
    "duplicate-entity": (INSIGHTS, ERROR),
    "location-target-missing": (INSIGHTS, ERROR),
    "location-target-invalid": (INSIGHTS, ERROR),
    "location-escapes-root": (INSIGHTS, ERROR),
    "location-cycle": (INSIGHTS, WARNING),
    "location-host-not-allowed": (INSIGHTS, WARNING),
    "location-target-unreachable": (INSIGHTS, ERROR),
    "waiver-unknown-check": (INSIGHTS, ERROR),
    "waiver-invalid": (INSIGHTS, ERROR),
    "waiver-expired": (INSIGHTS, WARNING),
    "waiver-too-long": (INSIGHTS, ERROR),
}

BACKSTAGE_VERDICT = frozenset(code for code, (level, _) in CODES.items() if level in (YAML, BACKSTAGE))


def default(code: str) -> str:
    return CODES.get(code, (INSIGHTS, ERROR))[1]


def check_overrides(overrides: dict) -> list[str]:
    """What is wrong with a `code -> severity` map, one sentence per problem (empty when it is fine)."""
    problems = []
    for code, severity in overrides.items():
        if code not in CODES:
            problems.append(f"unknown finding code {code!r}")
        elif severity not in SEVERITIES:
            problems.append(f"severity of {code} must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        elif CODES[code][0] != INSIGHTS and severity != ERROR:
            problems.append(f"{code} is a rule Backstage enforces (it refuses the entity); it stays an error")
    return problems


def apply(findings, overrides: dict | None):
    """The findings with the configured severities; codes not in `overrides` keep their own."""
    if not overrides:
        return list(findings)
    return [replace(f, severity=overrides[f.code]) if _may_change(f, overrides) else f for f in findings]


def apply_to_catalog(catalog: Catalog, overrides: dict | None) -> Catalog:
    return replace(catalog, findings=tuple(apply(catalog.findings, overrides)))


def _may_change(finding: Finding, overrides: dict) -> bool:
    wanted = overrides.get(finding.code)
    return wanted in SEVERITIES and wanted != finding.severity and CODES.get(finding.code, (INSIGHTS,))[0] == INSIGHTS
