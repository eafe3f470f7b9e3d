"""`insights catalog lint`: what a service repository runs in its own CI, before a descriptor merges."""

from __future__ import annotations

import json

from insights.catalog.model import ERROR, Catalog


def has_errors(catalog: Catalog) -> bool:
    return any(f.severity == ERROR for f in catalog.findings)


def render_text(catalog: Catalog) -> str:
    lines = [f"{e.location}: {e.ref}" for e in catalog.entities]
    lines += [str(f) for f in sorted(catalog.findings, key=lambda f: (f.path, f.line or 0))]
    errors = sum(f.severity == ERROR for f in catalog.findings)
    lines.append(f"{len(catalog.entities)} entities, {errors} errors, {len(catalog.findings) - errors} warnings")
    return "\n".join(lines)


def render_json(catalog: Catalog) -> str:
    return json.dumps({
        "entities": [{"ref": e.ref, "file": e.path, "line": e.line} for e in catalog.entities],
        "findings": [{"code": f.code, "severity": f.severity, "file": f.path, "line": f.line,
                      "message": f.message, "entity_ref": f.entity_ref} for f in catalog.findings],
    }, indent=1)
