"""Write the simulator's request table from PagerDuty's OpenAPI spec, or check that it still matches.

The spec (2.7 MB, not strictly valid OpenAPI) is not shipped with the package; the simulator carries only
what it needs to check requests: for each operation it serves, the path, the scope a scoped OAuth token
needs, whether the operation has its own rate limit, each query and path parameter (name, required,
array form, type, enum, format, bounds, unique items), and the JSON request body's schema where there is
one. Header parameters are left out: these operations declare only `Accept` and `Content-Type`, which
OpenAPI says to ignore as parameters.

    python -m insights.pagerduty.spec_table ../shared/pagerduty/openapiv3.json           # write the table
    python -m insights.pagerduty.spec_table ../shared/pagerduty/openapiv3.json --check   # exit 1 if it differs
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "spec_table.json"

# The operations the simulator serves: every one the collector calls, and the v3 schedule detail.
SERVED = [
    ("get", "/services"), ("get", "/services/{id}"), ("get", "/escalation_policies"),
    ("get", "/escalation_policies/{id}"), ("get", "/oncalls"), ("get", "/incidents"), ("get", "/teams"),
    ("get", "/tags"), ("get", "/tags/{id}/{entity_type}"), ("get", "/{entity_type}/{id}/tags"),
    ("get", "/schedules/{id}"), ("get", "/v3/schedules/{id}"), ("get", "/standards/scores/{resource_type}"),
    ("get", "/change_events"), ("get", "/services/{id}/change_events"), ("get", "/log_entries"),
    ("post", "/analytics/metrics/incidents/services"), ("post", "/analytics/raw/incidents"),
]
SCHEMA_KEYS = ("type", "enum", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "maxItems",
               "uniqueItems", "nullable", "required")


def resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def reduced(spec: dict, schema: dict) -> dict:
    schema = resolve(spec, schema)
    out = {key: schema[key] for key in SCHEMA_KEYS if key in schema}
    if "items" in schema:
        out["items"] = reduced(spec, schema["items"])
    if "properties" in schema:
        out["properties"] = {name: reduced(spec, inner) for name, inner in schema["properties"].items()}
    return out


def parameter(spec: dict, raw: dict) -> dict:
    param = resolve(spec, raw)
    schema = reduced(spec, param.get("schema", {}))
    style = param.get("style", "form" if param["in"] == "query" else "simple")
    return {"name": param["name"], "in": param["in"], "required": bool(param.get("required")),
            "explode": param.get("explode", style == "form"), "schema": schema}


def body(spec: dict, raw: dict) -> dict:
    """A JSON request body: whether one is required, and its schema."""
    request = resolve(spec, raw)
    return {"required": bool(request.get("required")),
            "schema": reduced(spec, request["content"]["application/json"]["schema"])}


def build(spec: dict) -> dict:
    operations = []
    for method, path in SERVED:
        item = spec["paths"][path]
        op = item[method]
        params = [parameter(spec, p) for p in item.get("parameters", []) + op.get("parameters", [])]
        description = op.get("description", "")
        operations.append({
            "operation_id": op["operationId"], "method": method.upper(), "path": path,
            # None: the spec names no scope, and PagerDuty refuses scoped tokens on such operations.
            "scope": op.get("x-pd-requires-scope") or next(iter(re.findall(
                r"Scoped OAuth requires: `([^`]+)`", description)), None),
            "own_rate_limit": "operation specific rate limits" in description,
            "parameters": sorted((p for p in params if p["in"] in ("query", "path")), key=lambda p: p["name"]),
            **({"body": body(spec, op["requestBody"])} if "requestBody" in op else {}),
        })
    return {"source": "PagerDuty/api-schema reference/REST/openapiv3.json, "
                      f"{spec['info']['title']} {spec['info']['version']}", "operations": operations}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 if the shipped table differs")
    args = parser.parse_args()
    text = json.dumps(build(json.loads(args.spec.read_text())), indent=1, sort_keys=True) + "\n"
    if args.check:
        if TABLE.read_text() != text:
            print(f"{TABLE} is out of date: run python -m insights.pagerduty.spec_table {args.spec}", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
