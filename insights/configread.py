"""The typed, location-aware reader behind `scorecards.yaml` and check files.

Every value is read with its kind: the kind converts it and checks its type and range, or says what is
wrong. A wrong value becomes a problem `file:line:column: message (suggestion)` and the reader goes on
with the default, so that one pass reports every problem of a file and nothing unchecked reaches the
rest of the tool. Mappings come from `insights.yamlio`, which records where each key stood.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

MISSING = object()
HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
CREDENTIALS = re.compile(r"://[^/@\s]*@")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# YAML 1.2 core-schema numbers that PyYAML's 1.1 resolver leaves as text (`1e3`, `.5`).
YAML12_NUMBER = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def shown(value) -> str:
    """A value as a person wrote it in YAML, short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-" if value < 0 else "") + ".inf"
    if isinstance(value, str):  # YAML's single-quoted form, unless it needs escapes only repr can show
        value = CREDENTIALS.sub("://***@", value)  # a password in a URL stays out of messages
        text = "'" + value.replace("'", "''") + "'" if value.isprintable() else repr(value)
    elif isinstance(value, int) and value.bit_length() > 200:
        return "a number of about {:,} digits".format(int(value.bit_length() * 0.30103))
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def written(node, key) -> str:
    """`node[key]` as a person wrote it: a number YAML reads as infinity (`1e400`, `.inf`) or NaN keeps its text."""
    value = node[key]
    raw = getattr(node, "raw", {}).get(key)
    if isinstance(value, float) and not math.isfinite(value) and isinstance(raw, str):
        return raw
    return shown(value)


def load_yaml(text_: str, path: str, duplicates: list[str] | None = None):
    """One YAML document, as `insights.yamlio` loads it; what the YAML library lets escape (an integer too
    long to convert, nesting too deep to build) is a configuration error too. Duplicate keys go to
    `duplicates` when given (to be reported with the file's other problems), else they are raised."""
    from insights.errors import ConfigError
    from insights.yamlio import load_one

    try:
        return load_one(text_, path=path, duplicates=duplicates)
    except (ValueError, RecursionError) as error:
        raise ConfigError(f"{path}:1:1: cannot read the YAML: {str(error)[:200]}") from None


class Invalid(Exception):
    """A value does not fit its kind: what it must be, optionally a detail (which item is wrong) and a
    hint (how to put it right)."""

    def __init__(self, expected: str, hint: str = "", detail: str = ""):
        super().__init__(detail or expected)
        self.expected, self.hint, self.detail = expected, hint, detail


@dataclass(frozen=True)
class Kind:
    """What a value must be (`what`, used in messages), and how to read it (raises Invalid)."""

    what: str
    read: Callable[[object], object]
    hint: str = ""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain(number_) -> str:
    return str(number_) if isinstance(number_, int) or not number_.is_integer() else str(int(number_))


def _range(low, high, low_open=False) -> str:
    if low is not None and high is not None:
        return (f" above {_plain(low)} and up to {_plain(high)}" if low_open
                else f" from {_plain(low)} to {_plain(high)}")
    if low is not None:
        return f" {'>' if low_open else '>='} {_plain(low)}"
    return f" <= {_plain(high)}" if high is not None else ""


def integer(low: int | None = None, high: int | None = None, hint: str = "") -> Kind:
    what = "an integer" + _range(low, high)

    def read(value):
        if not _is_int(value) or (low is not None and value < low) or (high is not None and value > high):
            raise Invalid(what)
        return value
    return Kind(what, read, hint)


def to_number(value) -> float | None:
    """A YAML number (also one PyYAML reads as text, such as `1e400`) as a float; None if not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str) and YAML12_NUMBER.match(value):
        return float(value)
    return None


def number(low: float | None = None, high: float | None = None, low_open: bool = False, hint: str = "") -> Kind:
    what = "a finite number" + _range(low, high, low_open)

    def read(value):
        result = to_number(value)
        if result is None or not math.isfinite(result) or (low is not None and (
                result < low or (low_open and result == low))) or (high is not None and result > high):
            raise Invalid(what)
        return result
    return Kind(what, read, hint)


def instance_of(types, what: str) -> Kind:
    def read(value):
        if not isinstance(value, types):
            raise Invalid(what)
        return value
    return Kind(what, read)


BOOLEAN = instance_of(bool, "true or false")
PROSE = instance_of(str, "a text")  # descriptions and remediations: any text, several lines too


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text(pattern: re.Pattern | None = None, what: str = "a text", hint: str = "") -> Kind:
    """A one-line text (a name, a path, an id): not blank, no control characters."""
    def read(value):
        if not isinstance(value, str) or not value.strip() or (pattern and not pattern.match(value)):
            raise Invalid(what)
        if CONTROL.search(value):
            raise Invalid(what, "without control characters such as a line break or NUL")
        return value
    return Kind(what, read, hint)


def choice(*options: str) -> Kind:
    what = "one of " + ", ".join(options)

    def read(value):
        if value not in options or not isinstance(value, str):
            raise Invalid(what, did_you_mean(str(value), options).strip(" ()") if isinstance(value, str) else "")
        return value
    return Kind(what, read)


def _host(value) -> str:
    if not isinstance(value, str):
        raise Invalid("a host name")
    host = value.strip().lower()
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host.strip("[]")
    except ValueError:
        pass
    if not HOSTNAME.match(host):
        hint = "a host name only, without scheme, port or path" if re.search(r"[:/@ ]", host) else ""
        raise Invalid("a host name such as github.example.com", hint)
    return host


HOST = Kind("a host name such as github.example.com", _host)
ENV_VARIABLE = text(ENV_NAME, "the name of an environment variable", "for example GITHUB_TOKEN")


def url(*schemes: str, example: str = "") -> Kind:
    schemes = schemes or ("http", "https")
    what = f"an {' or '.join(schemes)} URL"

    def read(value):
        if not isinstance(value, str) or re.search(r"\s", value):
            raise Invalid(what)
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (a port that is not a number raises here)
        except ValueError as error:
            raise Invalid(what, str(error)) from None
        if parts.scheme.lower() not in schemes or not parts.hostname:
            raise Invalid(what, example and f"for example {example}")
        return value.rstrip("/")
    return Kind(what, read)


def nullable(kind: Kind) -> Kind:
    def read(value):
        return None if value is None else kind.read(value)
    return Kind(kind.what + " or null", read, kind.hint)


def list_of(kind: Kind, what: str | None = None) -> Kind:
    what = what or f"a list of {kind.what.removeprefix('a ').removeprefix('an ')}s"

    def read(value):
        if not isinstance(value, list):
            raise Invalid(what, "write a YAML list, such as [a, b]" if isinstance(value, str) else "")
        result = []
        for index, item in enumerate(value, 1):
            try:
                result.append(kind.read(item))
            except Invalid as error:
                raise Invalid(what, error.hint, error.detail or
                              f"item {index} must be {error.expected}, not {shown(item)}") from None
        return tuple(result)
    return Kind(what, read)


def mapping_of(key: Kind, value: Kind, what: str) -> Kind:
    def read(node):
        if not isinstance(node, dict):
            raise Invalid(what)
        result = {}
        for name, item in node.items():
            try:
                read_key = key.read(name)
            except Invalid as error:
                raise Invalid(what, error.hint, f"key {shown(name)} must be {error.expected}") from None
            try:
                result[read_key] = value.read(item)
            except Invalid as error:
                raise Invalid(what, error.hint, error.detail or
                              f"{name} must be {error.expected}, not {written(node, name)}") from None
        return result
    return Kind(what, read)


@dataclass(frozen=True)
class Field:
    kind: Kind
    default: object = None


class Reader:
    """Reads one file. Collects problems; `problems` is empty when every value fit."""

    def __init__(self, path: str):
        self.path, self.problems = str(path), []

    def in_order(self) -> list[str]:
        """The problems by line and column (a file is read section by section, not top to bottom)."""
        def position(problem: str):
            numbers = re.match(r"^(\d+)(?::(\d+))?:", problem[len(self.path) + 1:]) if problem.startswith(
                self.path + ":") else None
            return (0, int(numbers[1]), int(numbers[2] or 0)) if numbers else (1, 0, 0)
        return sorted(self.problems, key=position)

    def at(self, node, key=None) -> str:
        """file:line:column of a key (or of the mapping itself), counted from 1."""
        if key is not None and key in (getattr(node, "key_lines", None) or {}):
            line, column = node.key_lines[key], node.key_columns[key]
        else:
            line, column = getattr(node, "line", 0) or 1, getattr(node, "column", 0)
        return f"{self.path}:{line}" + (f":{column}" if column else "")

    def problem(self, node, message: str, key=None, hint: str = "") -> None:
        self.problems.append(f"{self.at(node, key)}: {message}" + (f" ({hint})" if hint else ""))

    def value(self, node, key, kind: Kind, default=MISSING, name: str | None = None, owner: str = ""):
        """`node[key]` read as `kind`; the default when it is absent or wrong (after recording why).
        `name` is the key as messages show it (`catalog.sources`); `owner` what it belongs to (`check x: `)."""
        if key not in node:
            if default is MISSING:
                self.problem(node, f"{owner}`{name or key}` is required: {kind.what}", hint=kind.hint)
            return None if default is MISSING else default
        try:
            return kind.read(node[key])
        except Invalid as error:
            message = f": {error.detail}" if error.detail else f" must be {error.expected}, not {written(node, key)}"
            self.problem(node, f"{owner}`{name or key}`{message}", key, error.hint or kind.hint)
            return None if default is MISSING else default

    def known_keys(self, node, allowed, prefix: str = "") -> None:
        for key in node:
            if key not in allowed:
                self.problem(node, f"unknown key `{prefix}{key}`{did_you_mean(str(key), allowed)}", key)

    def mapping(self, parent, key, name: str | None = None, required: bool = False):
        """A mapping under `key` (absent or null: an empty one), or None when it is something else."""
        value = parent.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.problem(parent, f"`{name or key}` must be a mapping, not {shown(value)}", key)
            return None
        return value

    def fields(self, parent, key, fields: dict[str, Field], extra: tuple[str, ...] = (), name: str = "") -> dict:
        """A section of plain settings: every key known, every value of its kind, defaults filled in.
        `extra` keys are allowed here and read by the caller; `name` is the section as messages show it
        (`pagerduty.analytics` for the `analytics` mapping inside `pagerduty`)."""
        name = name or str(key)
        node = self.mapping(parent, key, name)
        if node is None:
            return {field: spec.default for field, spec in fields.items()}
        return self.settings(node, fields, name, extra)

    def settings(self, node, fields: dict[str, Field], name: str, extra: tuple[str, ...] = ()) -> dict:
        """The settings of one mapping (a section, or one item of a list of them), as `fields` describes them."""
        self.known_keys(node, (*fields, *extra), f"{name}.")
        return {field: self.value(node, field, spec.kind, spec.default, f"{name}.{field}")
                for field, spec in fields.items()}
