"""The one place that loads YAML.

Reads YAML as Backstage's parser (the npm `yaml` package, YAML 1.2 core schema) does: an unquoted
`2022-11-23`, `yes` or `1:20` stays a string, `<<` is an ordinary key, a mapping key written twice is an
error, and every document of a stream is judged on its own, so one broken document does not hide the
others. Values are built straight from libyaml's events, without recursion, and two limits hold while
loading, not after: nesting depth, and expanded size (characters and nodes as anything walking the data
would see them, an alias counting as its whole subtree), so neither a deep nest nor an alias bomb can
exhaust the stack or memory. Mapping keys and scalar values keep their line and column.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from insights.storable import REPLACEMENT

_EventLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

# Far beyond any real descriptor (the deepest real ones nest about ten levels; inline schemas twenty),
# and low enough that every recursive walker downstream stays clear of Python's recursion limit.
MAX_DEPTH = 64
# Characters of every scalar plus one per node, aliases expanded: twice the default file size cap.
MAX_EXPANDED = 2_000_000
# A configuration or check file written by hand: a hundred times the largest real one.
MAX_FILE_BYTES = 10_000_000

_MARKER = re.compile(r"^(---|\.\.\.)(?=[ \t\r]|$)")


# YAML 1.2 core schema, as the npm `yaml` package reads plain scalars.
_WORDS = {"": None, "~": None, "null": None, "Null": None, "NULL": None,
          "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBERS = (
    (re.compile(r"0o[0-7]+"), lambda s: _int(s[2:], 8)),
    (re.compile(r"[-+]?[0-9]+"), lambda s: _int(s, 10)),
    (re.compile(r"0x[0-9a-fA-F]+"), lambda s: _int(s[2:], 16)),
    (re.compile(r"[-+]?\.(?:inf|Inf|INF)"), lambda s: float("-inf") if s[0] == "-" else float("inf")),
    (re.compile(r"\.nan|\.NaN|\.NAN"), lambda s: float("nan")),
    (re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+"), float),
    (re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)"), float),
)
_KINDS = {"tag:yaml.org,2002:null": type(None), "tag:yaml.org,2002:bool": bool,
          "tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float}


def _int(digits: str, base: int):
    try:
        return int(digits, base)
    except ValueError:  # more digits than Python converts: JavaScript makes it a float too
        return float("-inf") if digits.startswith("-") else float("inf")


def _plain(text: str) -> object:
    if text in _WORDS:
        return _WORDS[text]
    if text[0] in "0123456789+-.":
        for pattern, convert in _NUMBERS:
            if pattern.fullmatch(text):
                return convert(text)
    return text


def resolve_scalar(text: str, tag: str | None, implicit) -> object:
    """A scalar's value: plain scalars by the core schema, quoted ones and unknown tags as text (npm `yaml`
    warns about an unknown tag and keeps the text)."""
    if tag in (None, "!"):
        return _plain(text) if implicit[0] and tag is None else text
    kind = _KINDS.get(tag)
    if kind is None:
        return text
    value = _plain(text)
    return value if type(value) is kind else text


def js_string(value) -> str:
    """A mapping key as JavaScript turns it into an object key."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, default=str, separators=(", ", ": "))
    return str(value)


class Map(dict):
    """A dict that remembers where it and each of its keys stood, and each scalar value's raw text."""

    line: int = 0
    column: int = 0
    key_lines: dict
    key_columns: dict
    raw: dict

    def __init__(self):
        super().__init__()
        self.key_lines, self.key_columns, self.raw = {}, {}, {}


@dataclass(frozen=True)
class Problem:
    """Why a document could not be read: `code` is the finding code it becomes."""

    code: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Document:
    index: int
    line: int
    built: object | None = None  # what was built, also where problems make it unusable (duplicate keys: the later value)
    problems: tuple[Problem, ...] = ()
    notes: tuple[Problem, ...] = ()  # read anyway, but worth a warning

    @property
    def data(self) -> object | None:
        """The document's content; None when it has problems."""
        return None if self.problems else self.built

    @property
    def error(self) -> str | None:
        return self.problems[0].message if self.problems else None

    @property
    def error_line(self) -> int | None:
        return self.problems[0].line if self.problems else None


class _Stop(Exception):
    """A limit breached or the YAML broken: the document ends here."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class _Frame:
    __slots__ = ("value", "start", "anchor", "key", "key_mark", "identities", "line", "column")

    def __init__(self, value, start, anchor, line, column):
        self.value, self.start, self.anchor = value, start, anchor
        self.key = self.key_mark = None
        self.identities: dict = {}
        self.line, self.column = line, column


_NO_KEY = object()


class _Builder:
    """Turns the events of one chunk of text into documents."""

    def __init__(self, offset: int, max_depth: int, max_expanded: int):
        self.offset, self.max_depth, self.max_expanded = offset, max_depth, max_expanded

    def mark(self, mark) -> tuple[int, int]:
        return mark.line + 1 + self.offset, mark.column + 1

    def start_document(self) -> None:
        self.anchors: dict = {}
        self.stack: list[_Frame] = []
        self.expanded = 0
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []
        self.root = None
        self.root_line = None

    def grow(self, size: int, mark) -> None:
        self.expanded += size
        if self.expanded > self.max_expanded:
            line, column = self.mark(mark)
            raise _Stop(Problem("yaml-too-large", f"the document expands to more than {self.max_expanded:,} "
                                "characters and nodes (aliases count as their whole subtree); refused",
                                line, column))

    def open(self, container, event) -> None:
        if len(self.stack) >= self.max_depth:
            line, column = self.mark(event.start_mark)
            raise _Stop(Problem("yaml-too-deep", f"the document nests deeper than {self.max_depth} levels; "
                                "refused", line, column))
        self.grow(1, event.start_mark)
        line, column = self.mark(event.start_mark)
        if isinstance(container, Map):
            container.line, container.column = line, column
        self.stack.append(_Frame(container, self.expanded - 1, event.anchor, line, column))

    def close(self, event) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (frame.value, self.expanded - frame.start)
        self.add(frame.value, event, scalar=None, start_mark=None, line=frame.line, column=frame.column)

    def scalar(self, event) -> None:
        if "\x00" in event.value:  # a quoted "\0": no database stores it in text (see insights.storable)
            event.value = event.value.replace("\x00", REPLACEMENT)
        value = resolve_scalar(event.value, event.tag, event.implicit)
        self.grow(len(event.value) + 1, event.start_mark)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, len(event.value) + 1)
        line, column = self.mark(event.start_mark)
        self.add(value, event, scalar=event.value, start_mark=event.start_mark, line=line, column=column)

    def alias(self, event) -> None:
        if event.anchor not in self.anchors:
            line, column = self.mark(event.start_mark)
            raise _Stop(Problem("yaml-invalid", f"alias *{event.anchor} names no anchor defined before it",
                                line, column))
        value, size = self.anchors[event.anchor]
        self.grow(size, event.start_mark)
        line, column = self.mark(event.start_mark)
        self.add(value, event, scalar=None, start_mark=event.start_mark, line=line, column=column)

    def add(self, value, event, *, scalar, start_mark, line, column) -> None:
        if not self.stack:
            self.root, self.root_line = value, line
            return
        frame = self.stack[-1]
        container = frame.value
        if isinstance(container, list):
            container.append(value)
        elif frame.key is None:
            frame.key, frame.key_mark = (value,), (line, column)
        else:
            self.set_pair(frame, frame.key[0], value, scalar)
            frame.key = None

    def set_pair(self, frame: _Frame, key, value, scalar) -> None:
        container: Map = frame.value
        line, column = frame.key_mark
        if isinstance(key, (dict, list)):
            self.notes.append(Problem("yaml-complex-key", "a mapping key is itself a mapping or list; Backstage "
                                      "reads it as text", line, column))
        text = js_string(key)
        identity = (type(key).__name__, text)
        first = frame.identities.get(identity)
        if first is not None:
            self.problems.append(Problem("yaml-duplicate-key", f"duplicate key {_show(text)} (first at line "
                                         f"{first})", line, column))
        else:
            frame.identities[identity] = line
        container[text] = value
        container.key_lines[text], container.key_columns[text] = line, column
        if scalar is not None:
            container.raw[text] = scalar
        elif text in container.raw:
            del container.raw[text]


def _show(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _chunks(text: str) -> list[tuple[int, str]]:
    """The text cut at document markers, as the YAML lexer cuts it (a `---` or `...` at column 1 always
    ends a document), so that a broken document cannot take the ones after it down. Each chunk keeps its
    own `---` line; directive lines just above a `---` go with the document they introduce."""
    lines = text.splitlines(keepends=True)
    cuts = [0]
    for number, line in enumerate(lines):
        match = _MARKER.match(line)
        if not match:
            continue
        if match.group(1) == "---":
            start = number
            while start > cuts[-1] and lines[start - 1].startswith("%"):
                start -= 1
            if start > cuts[-1]:
                cuts.append(start)
        elif number + 1 < len(lines):
            cuts.append(number + 1)
    cuts.append(len(lines))
    return [(start, "".join(lines[start:end])) for start, end in zip(cuts, cuts[1:]) if end > start]


def _yaml_problem(error: yaml.YAMLError, offset: int, text: str) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem, context = getattr(error, "problem", None), getattr(error, "context", None)
    message = (f"{context} {problem}" if context else str(problem)) if problem else str(error).splitlines()[0]
    if mark is not None:
        # The YAML library's own limit on nesting: too deep, as our limit says it, not malformed.
        code = "yaml-too-deep" if "maximum nesting depth" in message else "yaml-invalid"
        return Problem(code, message, mark.line + 1 + offset, mark.column + 1)
    position = getattr(error, "position", None)  # a reader error: a character no YAML may hold
    if isinstance(position, int):
        before = text[:position]
        return Problem("yaml-invalid", message, before.count("\n") + 1 + offset, position - before.rfind("\n"))
    return Problem("yaml-invalid", message, offset + 1)


def _read_chunk(offset: int, text: str, max_depth: int, max_expanded: int) -> list[Document]:
    builder = _Builder(offset, max_depth, max_expanded)
    builder.start_document()
    documents: list[Document] = []
    started_line = offset + 1
    loader = _EventLoader(text)
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.ScalarEvent):
                builder.scalar(event)
            elif isinstance(event, yaml.AliasEvent):
                builder.alias(event)
            elif isinstance(event, yaml.SequenceStartEvent):
                builder.open([], event)
            elif isinstance(event, yaml.MappingStartEvent):
                builder.open(Map(), event)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                builder.close(event)
            elif isinstance(event, yaml.DocumentStartEvent):
                builder.start_document()
                started_line = builder.mark(event.start_mark)[0]
            elif isinstance(event, yaml.DocumentEndEvent):
                problems = tuple(builder.problems)
                documents.append(Document(0, builder.root_line or started_line, builder.root, problems,
                                          tuple(builder.notes)))
    except _Stop as stop:
        documents.append(Document(0, builder.root_line or started_line, None, (stop.problem,)))
    except yaml.YAMLError as error:
        documents.append(Document(0, started_line, None, (_yaml_problem(error, offset, text),)))
    finally:
        loader.dispose()
    return documents


def load_documents(text: str, *, max_depth: int = MAX_DEPTH, max_expanded: int = MAX_EXPANDED) -> list[Document]:
    """Every document of a multi-document stream, each judged on its own; never raises on any text."""
    documents: list[Document] = []
    for offset, chunk in _chunks(text):
        for document in _read_chunk(offset, chunk, max_depth, max_expanded):
            documents.append(replace(document, index=len(documents)))
    return documents


class Unreadable(ValueError):
    """Why a file's text was not read (its message is the reason, e.g. "not a regular file")."""


def bounded_text(path, max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes`, or Unreadable saying why not: a device or
    pipe (`/dev/zero`) is refused before it is opened, so nothing is read without end. OSError passes."""
    path = Path(path)
    if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: opening a pipe waits for a writer
        raise Unreadable("not a regular file")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Unreadable(f"it is larger than {max_bytes:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"it is not UTF-8 text ({error.reason} at byte {error.start})") from error


def read_file(path, what: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a configuration, check or snapshot file (`bounded_text`); a ConfigError naming the file
    and `what` it is when it cannot be read."""
    from insights.errors import ConfigError

    try:
        return bounded_text(path, max_bytes)
    except Unreadable as error:
        raise ConfigError(f"{path}: cannot read the {what}: {error}") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the {what}: {error.strerror or error}") from error


def load_one(text: str, *, path: str, duplicates: list[str] | None = None) -> object:
    """A single-document file (configuration, checks). Raises ConfigError with file:line(:column).
    Given a `duplicates` list, duplicate keys are added to it (the later value is kept) rather than raised,
    so that the caller reports them with every other problem of the file."""
    from insights.errors import ConfigError

    documents = load_documents(text)
    errors = []
    for document in documents:
        for problem in document.problems:
            if problem.code == "yaml-invalid":
                errors.append(f"{path}:{problem.line or document.line}: invalid YAML: {problem.message}")
                continue
            where = f"{path}:{problem.line}:{problem.column}" if problem.column else f"{path}:{problem.line}"
            keep = duplicates if duplicates is not None and problem.code == "yaml-duplicate-key" else errors
            keep.append(f"{where}: {problem.message}")
    if errors:
        raise ConfigError(errors)
    if len(documents) > 1:
        raise ConfigError(f"{path}:{documents[1].line}: expected one YAML document, found {len(documents)}")
    return documents[0].built if documents else None
