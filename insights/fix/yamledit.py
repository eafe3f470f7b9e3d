"""Set one annotation of one entity in a descriptor file's text, changing nothing else. Pure.

The edit is first made by ruamel.yaml's round trip on the entity's document alone (the other documents
of the file are never re-emitted); when that changes anything beyond the new annotation (ruamel re-indents
some layouts), the annotation is inserted as text at the place the composed document's positions give.
Either result is accepted only when (1) the new text is the old one with a single stretch inserted, or
with only the old value replaced, and (2) every document reads back exactly as before except for the one
annotation. Otherwise the file is refused with the reason.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from insights.catalog.validate import SERVICE_ID_FORMAT
from insights.yamlio import load_documents

PLAIN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass(frozen=True)
class Target:
    """Which entity's document: the entity's kind, namespace and name, and the line its mapping starts."""

    kind: str
    namespace: str
    name: str
    line: int | None = None


@dataclass(frozen=True)
class Edited:
    text: str | None  # None: refused, see `problem`
    method: str = ""  # round-trip, line, or unchanged
    problem: str = ""


def scalar(value: str) -> str:
    """Service ids stay plain; anything else is double-quoted (JSON's escapes are YAML's)."""
    return value if SERVICE_ID_FORMAT.match(value) else json.dumps(value, ensure_ascii=False)


def key_text(key: str) -> str:
    return key if PLAIN_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def set_annotation(text: str, target: Target, key: str, value: str) -> Edited:
    deep = Edited(None, problem="the file nests too deeply to be edited safely")
    try:
        before = load_documents(text)
    except RecursionError:
        return deep
    broken = next((d for d in before if d.error), None)
    if broken:
        return Edited(None, problem=f"line {broken.error_line or broken.line}: {broken.error}; fix the YAML first")
    try:
        roots = list(YAML().compose_all(text))
    except RecursionError:
        return deep
    except YAMLError as error:
        return Edited(None, problem=f"the file cannot be read for editing: {str(error).splitlines()[0]}")
    found = _document(roots, target)
    if isinstance(found, str):
        return Edited(None, problem=found)
    index, root = found
    if len(before) != len(roots) or before[index].line != root.start_mark.line + 1:
        return Edited(None, problem="the file's documents cannot be told apart safely; edit it by hand")
    metadata = _get(root, "metadata")
    if not metadata or not isinstance(metadata[1], MappingNode):
        return Edited(None, problem="`metadata` is not a mapping")
    current = _get(metadata[1], "annotations")
    if current and isinstance(current[1], MappingNode):
        existing = _get(current[1], key)
        if existing and isinstance(existing[1], ScalarNode) and existing[1].value == value:
            return Edited(text, "unchanged")
    plan = _line_edit(text, metadata, current, key, value)
    if isinstance(plan, str):
        return Edited(None, problem=plan)
    span, line_edited = plan
    expected = _expected(before, index, key, value)
    if expected is None:
        return Edited(None, problem="`metadata.annotations` is not a mapping; fix it first")
    # Replacing a value in place is already minimal; a round trip could only re-pad the line around it.
    round_tripped = _round_trip(text, root, key, value) if span[0] == span[1] else None
    if round_tripped is not None and not _differs(text, round_tripped, span, expected):
        return Edited(round_tripped, "round-trip")
    problem = _differs(text, line_edited, span, expected)
    if problem:
        return Edited(None, problem=f"the edit would change more than the annotation ({problem}); edit it by hand")
    return Edited(line_edited, "line")


def _document(roots: list[Node], target: Target) -> tuple[int, MappingNode] | str:
    """The entity's document: the one whose mapping starts at the entity's line, else by kind and name."""
    matches = []
    for index, root in enumerate(roots):
        if not isinstance(root, MappingNode):
            continue
        kind, metadata = _get(root, "kind"), _get(root, "metadata")
        name = _get(metadata[1], "name") if metadata and isinstance(metadata[1], MappingNode) else None
        namespace = _get(metadata[1], "namespace") if name else None
        if kind and name and str(kind[1].value).lower() == target.kind and name[1].value == target.name and \
                str(namespace[1].value if namespace else "default").lower() == target.namespace:
            matches.append((index, root))
    on_line = [m for m in matches if m[1].start_mark.line + 1 == target.line]
    if on_line or len(matches) == 1:
        return (on_line or matches)[0]
    if not matches:
        return f"no document in the file defines {target.kind}:{target.namespace}/{target.name} any more"
    return f"{target.kind}:{target.namespace}/{target.name} is defined {len(matches)} times in the file"


def _get(mapping: Node, key: str) -> tuple[Node, Node] | None:
    """The last (key, value) pair of a mapping node with that key: the one a loader keeps."""
    pairs = [(k, v) for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == key] \
        if isinstance(mapping, MappingNode) else []
    return pairs[-1] if pairs else None


def _end(node: Node) -> int:
    """Index just past the last character of a node's content (a block collection's end mark lies
    past the comments that follow it, which belong to what comes next)."""
    while isinstance(node, (MappingNode, SequenceNode)) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node.end_mark.index


def _line_after(text: str, index: int) -> int:
    if index == 0 or text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _insert_lines(text: str, index: int, lines: list[str]) -> tuple[tuple[int, int], str]:
    newline = "\r\n" if "\r\n" in text else "\n"
    block = newline.join(lines) + newline
    if index == len(text) and text and not text.endswith("\n"):
        block = newline + block
    return (index, index), text[:index] + block + text[index:]


def _splice(text: str, start: int, end: int, new: str) -> tuple[tuple[int, int], str]:
    return (start, end), text[:start] + new + text[end:]


def _line_edit(text: str, metadata: tuple[Node, Node], current, key: str, value: str):
    """((start, end) of the old text replaced, new text), or why it cannot be done."""
    entry = f"{key_text(key)}: {scalar(value)}"
    metadata_key, body = metadata
    step = max(body.value[0][0].start_mark.column - metadata_key.start_mark.column, 2) if body.value else 2
    if current is None:
        if body.flow_style:
            last = _end(body.value[-1][1])
            return _splice(text, last, last, f", annotations: {{{entry}}}")
        column = body.value[0][0].start_mark.column
        return _insert_lines(text, _line_after(text, _end(body)),
                             [" " * column + "annotations:", " " * (column + step) + entry])
    annotations_key, annotations = current
    if isinstance(annotations, ScalarNode) and annotations.tag.endswith(":null"):
        if annotations.start_mark.index == annotations.end_mark.index:  # `annotations:` and nothing
            column = annotations_key.start_mark.column + step
            return _insert_lines(text, _line_after(text, annotations_key.end_mark.index), [" " * column + entry])
        return _splice(text, annotations.start_mark.index, annotations.end_mark.index, f"{{{entry}}}")
    if not isinstance(annotations, MappingNode):
        return "`metadata.annotations` is not a mapping; fix it first"
    existing = _get(annotations, key)
    if existing:
        old = existing[1]
        if not isinstance(old, ScalarNode) or old.style in ("|", ">") or old.start_mark.line != old.end_mark.line:
            return f"annotation `{key}` holds more than a one-line value; edit it by hand"
        start, end = old.start_mark.index, old.end_mark.index
        space = " " if start == end and text[start - 1:start] == ":" else ""
        return _splice(text, start, end, space + scalar(value))
    if annotations.flow_style:
        if not annotations.value:
            closing = annotations.end_mark.index - 1
            return _splice(text, closing, closing, entry) if text[closing] == "}" else \
                "`metadata.annotations` is written in a form that cannot be edited safely"
        last = _end(annotations.value[-1][1])
        return _splice(text, last, last, f", {entry}")
    column = annotations.value[0][0].start_mark.column
    return _insert_lines(text, _line_after(text, _end(annotations)), [" " * column + entry])


def _round_trip(text: str, root: MappingNode, key: str, value: str) -> str | None:
    """The entity's document alone, loaded and dumped again by ruamel.yaml; None when it cannot."""
    start, end = root.start_mark.index, root.end_mark.index
    piece = text[start:end]
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never fold long lines
    try:
        data, indent, offset = load_yaml_guess_indent(piece, yaml=yaml)
        yaml.indent(mapping=indent or 2, sequence=indent or 2, offset=offset or 0)
        metadata = data["metadata"]
        if not isinstance(metadata.get("annotations"), dict):
            metadata["annotations"] = CommentedMap()
        metadata["annotations"][key] = value if scalar(value) == value else DoubleQuotedScalarString(value)
        out = io.StringIO()
        yaml.dump(data, out)
    except Exception:  # noqa: BLE001 (an attempt: anything ruamel cannot do falls back to the line edit)
        return None
    return text[:start] + out.getvalue() + text[end:]


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _expected(before, index: int, key: str, value: str) -> list | None:
    """The documents as they should read after the edit; None when the loader sees no mapping to extend."""
    documents = [_plain(d.data) for d in before]
    metadata = documents[index].get("metadata") if isinstance(documents[index], dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(metadata, dict) or not isinstance(annotations, (dict, type(None))):
        return None
    metadata["annotations"] = {**(annotations or {}), key: value}
    return documents


def _differs(old: str, new: str, span: tuple[int, int], expected: list) -> str:
    """Why `new` is not `old` with only the annotation added or its value replaced; "" when it is."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    changed = (prefix, len(old) - suffix)
    if changed[0] < changed[1] and not (span[0] <= changed[0] and changed[1] <= span[1]):
        return f"text outside the annotation changes at character {changed[0]}"
    after = load_documents(new)
    if any(d.error for d in after):
        return "the result is not valid YAML"
    if [_plain(d.data) for d in after] != expected:
        return "the documents would read differently"
    return ""
