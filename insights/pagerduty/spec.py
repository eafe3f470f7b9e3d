"""Requests checked against PagerDuty's OpenAPI spec, as the simulator receives them.

`spec_table.json` beside this module is generated from the official spec by
`python -m insights.pagerduty.spec_table` (a test keeps it in step). A request is matched to an operation by method and
path template; its query must use only the operation's parameters, in the form the spec serialises them
(form style: `ids=a&ids=b` for an exploded array, `sort_by=a,b` for one that is not), with the right types,
enums and bounds, and every required parameter. Otherwise the answer is PagerDuty's HTTP 400 with error code
2001. A parameter named `x[]` is an array even where the spec gives only the item's schema (PagerDuty's
`include[]`, `statuses[]` and `urgencies[]`). Header parameters are not checked: the only ones these
operations declare are `Accept` and `Content-Type`, which OpenAPI says to ignore as parameters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, unquote
from zoneinfo import ZoneInfo

TABLE = Path(__file__).with_name("spec_table.json")
INTEGER = re.compile(r"^-?[0-9]+$")
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class ApiError(Exception):
    """An answer in PagerDuty's error shape: `{"error": {"code", "message", "errors"}}`."""

    def __init__(self, status: int, code: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status, self.body = status, {"error": {"code": code, "message": message, "errors": errors or []}}


def invalid(*errors: str) -> ApiError:
    return ApiError(400, 2001, "Invalid Input Provided", list(errors))


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    scope: str | None  # what a scoped OAuth token needs; None: scoped tokens are refused
    own_rate_limit: bool
    parameters: tuple[dict, ...]
    body: dict | None = None  # {"required": bool, "schema": ...} for an operation that takes a JSON body

    @property
    def endpoint(self) -> str:
        """`GET /services/{id}`: how the client names the operation when it counts requests."""
        return f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        return self.path.strip("/").split("/")


@cache
def operations() -> tuple[Operation, ...]:
    table = json.loads(TABLE.read_text())
    return tuple(Operation(o["operation_id"], o["method"], o["path"], o["scope"], o["own_rate_limit"],
                           tuple(o["parameters"]), o.get("body")) for o in table["operations"])


def match(method: str, path: str) -> tuple[Operation, dict[str, str]]:
    """The operation a request is for, and its path parameters. Literal segments win over templated ones
    (`/tags/{id}/escalation_policies` is a tag's policies, not the tags of an entity called `tags`)."""
    parts = [unquote(part) for part in path.strip("/").split("/")]  # an encoded slash stays in its segment
    found = []
    for op in operations():
        if len(op.segments) != len(parts):
            continue
        values, rank = {}, []
        for template, part in zip(op.segments, parts):
            if template.startswith("{"):
                values[template[1:-1]] = part
                rank.append(0)
            elif template == part:
                rank.append(1)
            else:
                break
        else:
            if all(parts):
                found.append((rank, op, values))
    if not found:
        raise ApiError(404, 2100, "Not Found", [f"{method} {path} is not an operation the simulator serves"])
    best = max(rank for rank, _, _ in found)
    candidates = [(op, values) for rank, op, values in found if rank == best]
    for op, values in candidates:
        if op.method == method:
            return op, values
    raise ApiError(405, 2000, "Method Not Allowed", [f"{path} accepts {', '.join(o.method for o, _ in candidates)}"])


def check(op: Operation, path_values: dict[str, str], query: str) -> dict[str, list[str]]:
    """The query as the spec defines it for `op`, parsed; ApiError 400 listing every problem otherwise."""
    given = parse_qs(query, keep_blank_values=True)
    known = {p["name"]: p for p in op.parameters if p["in"] == "query"}
    problems = [f"unknown parameter `{name}`: {op.endpoint} takes {', '.join(sorted(known)) or 'none'}"
                for name in given if name not in known]
    parsed: dict[str, list[str]] = {}
    for name, param in known.items():
        if name not in given:
            if param["required"]:
                problems.append(f"`{name}` is required")
            continue
        values = given[name]
        array = param["schema"].get("type") == "array" or name.endswith("[]")
        item = param["schema"].get("items", param["schema"]) if array else param["schema"]
        if len(values) > 1 and not (array and param["explode"]):
            form = ", comma-separated" if array else ""
            problems.append(f"`{name}` takes one value{form}, given {len(values)}")
            continue
        if array and not param["explode"]:
            values = values[0].split(",")
        if array and len(values) > param["schema"].get("maxItems", len(values)):
            problems.append(f"`{name}` takes at most {param['schema']['maxItems']} values")
        if array and param["schema"].get("uniqueItems") and len(set(values)) < len(values):
            problems.append(f"`{name}` repeats a value")
        problems += [f"`{name}`: {problem}" for v in values if (problem := value_problem(v, item))]
        parsed[name] = values
    for param in op.parameters:
        if param["in"] == "path" and (problem := value_problem(path_values[param["name"]], param["schema"])):
            problems.append(f"`{param['name']}` in the path: {problem}")
    if problems:
        raise invalid(*problems)
    return parsed


def check_body(op: Operation, raw: bytes, content_type: str | None) -> dict:
    """The JSON body as the spec defines it for `op`, parsed; ApiError 400 listing every problem otherwise. An
    absent body is an empty object where the spec does not require one. Properties the schema does not name
    are refused, as unknown query parameters are: a misspelt filter would otherwise filter nothing."""
    if op.body is None:
        if raw:
            raise invalid(f"{op.endpoint} takes no request body")
        return {}
    if not raw:
        if op.body["required"]:
            raise invalid("a JSON request body is required")
        return {}
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise invalid("the request body must be sent as Content-Type: application/json")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid("the request body is not valid JSON") from None
    problems = list(json_problems(data, op.body["schema"], "body"))
    if problems:
        raise invalid(*problems)
    return data


def json_problems(value, schema: dict, where: str):
    """Where a JSON value does not fit a reduced schema (type, enum, bounds, items, properties)."""
    if value is None:
        if not schema.get("nullable"):
            yield f"`{where}` may not be null"
        return
    kind = schema.get("type")
    fits = {"object": isinstance(value, dict), "array": isinstance(value, list), "string": isinstance(value, str),
            "boolean": isinstance(value, bool), "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool)}
    if kind in fits and not fits[kind]:
        yield f"`{where}` must be {'an' if kind[0] in 'aeio' else 'a'} {kind}"
        return
    if "enum" in schema and value not in schema["enum"]:
        yield f"`{where}`: {value!r} is not one of {', '.join(map(str, schema['enum']))}"
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and (value <= low if schema.get("exclusiveMinimum") else value < low):
            yield f"`{where}`: {value} is below the minimum"
        if high is not None and (value >= high if schema.get("exclusiveMaximum") else value > high):
            yield f"`{where}`: {value} is above the maximum"
    if kind == "array":
        if len(value) > schema.get("maxItems", len(value)):
            yield f"`{where}` takes at most {schema['maxItems']} items"
        for i, item in enumerate(value):
            yield from json_problems(item, schema.get("items", {}), f"{where}[{i}]")
    if kind == "object" and "properties" in schema:
        known = schema["properties"]
        yield from (f"unknown field `{where}.{name}`" for name in value if name not in known)
        yield from (f"`{where}.{name}` is required" for name in schema.get("required", []) if name not in value)
        for name, item in value.items():
            if name in known:
                yield from json_problems(item, known[name], f"{where}.{name}")


def value_problem(value: str, schema: dict) -> str | None:
    kind = schema.get("type", "string")
    if kind == "integer" and not INTEGER.match(value):
        return f"{value!r} is not an integer"
    if kind == "number" and not NUMBER.match(value):
        return f"{value!r} is not a number"
    if kind == "boolean" and value not in ("true", "false"):
        return f"{value!r} is not true or false"
    if "enum" in schema and value not in [str(e) for e in schema["enum"]]:
        return f"{value!r} is not one of {', '.join(map(str, schema['enum']))}"
    if kind in ("integer", "number"):
        if "minimum" in schema and float(value) < schema["minimum"]:
            return f"{value} is below {schema['minimum']}"
        if "maximum" in schema and float(value) > schema["maximum"]:
            return f"{value} is above {schema['maximum']}"
    if schema.get("format") == "date-time":
        try:
            moment(value)
        except ApiError:
            return f"{value!r} is not a date and time (ISO 8601)"
    if schema.get("format") == "tzinfo" and not time_zone(value):
        return f"{value!r} is not a time zone"
    return None


def moment(text: str | None) -> datetime | None:
    """An ISO 8601 time from a query; one without an offset is read as UTC."""
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().upper().replace("Z", "+00:00"))
    except ValueError as error:
        raise ApiError(400, 2004, "Invalid time values in 'since' and/or 'until' parameters",
                       [f"{text!r} is not a date and time (ISO 8601)"]) from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, LookupError):  # malformed key, unreadable file, unknown zone
        return False
    return True
