"""Backstage's placeholders: `$text`, `$json` and `$yaml`, substituted after loading and before validation.

A mapping whose only key is one of them is replaced by what its target holds: the text, or the text
parsed as JSON or as one YAML document (with the descriptor loader's own limits). Like Backstage, a
mapping with another `$key`, or with more than one key, is left as it is, and substituted content is not
searched for further placeholders. Reading is the caller's: `read_target(target) -> text` raises
`PlaceholderError(reason)` when it cannot. A placeholder that cannot be read is a warning
(`placeholder-unresolved`) and leaves an `Unresolved` text in its field, which every check accepts, so
nothing is reported missing or mistyped because of it; content that was read but does not parse is an
error (`placeholder-invalid`), as Backstage refuses that entity.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from insights import storable
from insights.catalog.model import ERROR, WARNING, Unresolved, cut, show
from insights.catalog.plain import bounded
from insights.errors import InsightsError
from insights.yamlio import MAX_DEPTH, MAX_EXPANDED, Unreadable, bounded_text, load_documents

RESOLVERS = ("$text", "$json", "$yaml")
MAX_PLACEHOLDERS = 100  # per document: far more than any real descriptor uses
URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")

ReadTarget = Callable[[str], str]


class PlaceholderError(Exception):
    """A placeholder's target could not be read; `reason` says why, for the finding."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def substitute(data, read_target: ReadTarget | None) -> list[tuple]:
    """Replace the placeholders of one loaded document in place; the problems as (code, message, line,
    severity)."""
    state = _State(read_target)
    state.walk(data, 1)
    return state.problems


class _State:
    def __init__(self, read_target):
        self.read_target = read_target
        self.problems: list[tuple] = []
        self.seen: set[int] = set()
        self.done: dict[int, object] = {}
        self.count = 0
        self.budget = MAX_EXPANDED

    def walk(self, node, depth: int) -> None:
        if not isinstance(node, (dict, list)) or id(node) in self.seen:
            return
        self.seen.add(id(node))  # aliases share containers: each is substituted once, in place
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for slot, child in list(items):
            if _placeholder(child):
                node[slot] = self.resolve(child, depth + 1)
            elif not (isinstance(child, dict) and any(str(k).startswith("$") for k in child)):
                self.walk(child, depth + 1)

    def resolve(self, placeholder: dict, depth: int):
        if id(placeholder) in self.done:
            return self.done[id(placeholder)]
        [(key, target)] = placeholder.items()
        line = getattr(placeholder, "line", None) or None
        value = self._value(key, target, line, depth)
        self.done[id(placeholder)] = value
        return value

    def _value(self, key: str, target, line, depth: int):
        written = f"{key}: {target}" if isinstance(target, str) else key
        if not isinstance(target, str):
            return self._invalid(f"`{key}` needs a relative path or a URL, not {show(target)}", line, written)
        self.count += 1
        if self.read_target is None:
            return self._unresolved(written, "there is no source folder to read it from (a file linted alone)", line)
        if self.count > MAX_PLACEHOLDERS:
            return self._unresolved(written, f"the document has more than {MAX_PLACEHOLDERS} placeholders", line)
        try:
            text = storable.text(self.read_target(target))
        except PlaceholderError as error:
            return self._unresolved(written, error.reason, line)
        self.budget -= len(text)
        if self.budget < 0:
            return self._unresolved(written, f"the placeholders of this document add more than {MAX_EXPANDED:,} "
                                    "characters", line)
        if key == "$text":
            return text
        return self._parse(key, target, text, line, depth, written)

    def _parse(self, key, target, text, line, depth, written):
        room = max(MAX_DEPTH - depth + 1, 1)
        if key == "$json":
            try:
                value = storable.loads(text, parse_constant=_not_json)
            except (ValueError, RecursionError) as error:
                return self._invalid(f"`{written}` is not valid JSON ({type(error).__name__})", line, written)
            value, problems = bounded(value, max_depth=room, max_expanded=max(self.budget, 1))
            if value is None:
                return self._invalid(f"`{written}`: {problems[0][1]}", line, written)
            return value
        documents = load_documents(text, max_depth=room, max_expanded=max(self.budget, 1))
        if len(documents) != 1:
            return self._invalid(f"`{written}` must hold exactly one YAML document, not {len(documents)}", line,
                                 written)
        if documents[0].problems:
            problem = documents[0].problems[0]
            return self._invalid(f"`{written}` is not valid YAML: {problem.message} (its line {problem.line})",
                                 line, written)
        return documents[0].data

    def _unresolved(self, written: str, reason: str, line):
        self.problems.append(("placeholder-unresolved", f"placeholder `{cut(written)}` was not read: {reason}; "
                              "the field it fills is not checked", line, WARNING))
        return Unresolved(written)

    def _invalid(self, message: str, line, written: str):
        self.problems.append(("placeholder-invalid", message, line, ERROR))
        return Unresolved(written)


def _placeholder(node) -> bool:
    return isinstance(node, dict) and len(node) == 1 and next(iter(node)) in RESOLVERS


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def file_reader(descriptor: Path, root: Path, *, max_bytes: int,
                fetch: Callable[[str], str] | None = None) -> ReadTarget:
    """Reads placeholder targets for the descriptor file `descriptor` inside the source folder `root`.

    A relative path is read from the descriptor's folder, a path starting with `/` from the root; the
    resolved file (links followed) must lie inside the root and hold at most `max_bytes` of UTF-8. A URL is
    read only through `fetch(url) -> text` (which owns the host allow-list, redirects and size caps); it
    should raise an InsightsError or OSError when it cannot.
    """
    folder = descriptor.parent

    def read(target: str) -> str:
        if URL.match(target):
            return _fetch(target, fetch)
        try:
            base = root.resolve()
            resolved = ((base / target.lstrip("/")) if target.startswith("/") else (folder / target)).resolve()
        except (OSError, RuntimeError, ValueError) as error:
            raise PlaceholderError(f"not a usable path ({type(error).__name__})") from error
        if not resolved.is_relative_to(base):
            raise PlaceholderError("it lies outside the source folder")
        try:
            if not resolved.is_file():
                raise PlaceholderError("no such file in the source folder")
            return bounded_text(resolved, max_bytes)
        except Unreadable as error:
            raise PlaceholderError(str(error)) from error
        except OSError as error:
            raise PlaceholderError(f"it cannot be read ({error.strerror or type(error).__name__})") \
                from error

    return read


def guarded(read: Callable[[str], str]) -> ReadTarget:
    """A reader whose failures (an InsightsError, say a FetchError) are placeholder problems, not run errors."""
    def reader(target: str) -> str:
        try:
            return read(target)
        except (InsightsError, OSError, ValueError) as error:
            raise PlaceholderError(f"it could not be fetched: {getattr(error, 'reason', error)}") from error
    return reader


def _fetch(url: str, fetch) -> str:
    if not url.lower().startswith(("http://", "https://")):
        raise PlaceholderError("only http(s) URLs are read")
    if fetch is None:
        raise PlaceholderError("URL placeholders are not fetched here")
    try:
        return fetch(url)
    except (InsightsError, OSError, ValueError) as error:
        raise PlaceholderError(f"it could not be fetched: {error}") from error
