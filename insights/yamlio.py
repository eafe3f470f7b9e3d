"""The one place that loads YAML.

Uses libyaml's C parser when present, records the line and column of every mapping key, keeps the raw
text of every scalar (so a YAML 1.1 ``2022-11-23`` or ``yes`` can be read back as Backstage reads it),
and refuses anchors/aliases beyond a small budget so an alias bomb cannot exhaust memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_ALIASES = 100


class Map(dict):
    """A dict that remembers where it and each of its keys stood, and each scalar value's raw text."""

    line: int = 0
    column: int = 0
    key_lines: dict
    key_columns: dict
    raw: dict


@dataclass(frozen=True)
class Document:
    index: int
    line: int
    data: object | None = None
    error: str | None = None
    error_line: int | None = None


class _Loader(_Base):
    """YAML 1.2 core-schema booleans and no timestamps, as Backstage's parser (npm `yaml`) sees them."""

    def construct_mapping(self, node, deep=False):
        result = Map(super().construct_mapping(node, deep=True))
        result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
        result.key_lines, result.key_columns, result.raw = {}, {}, {}
        for key_node, value_node in node.value:
            key = key_node.value
            result.key_lines[key] = key_node.start_mark.line + 1
            result.key_columns[key] = key_node.start_mark.column + 1
            if isinstance(value_node, yaml.ScalarNode):
                result.raw[key] = value_node.value
        return result


_DROPPED = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)


def _mark_line(error: yaml.YAMLError) -> int | None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark else None


def _describe(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    if problem:
        return f"{context} {problem}" if context else str(problem)
    return str(error).splitlines()[0]


def _alias_bomb(text: str) -> Document | None:
    """A stream with more aliases than any descriptor needs is refused before it is built: aliases make
    shared references that anything walking the data would expand exponentially."""
    if text.count("*") <= MAX_ALIASES:
        return None
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=_Base):
            aliases += isinstance(event, yaml.AliasEvent)
            if aliases > MAX_ALIASES:
                line = event.start_mark.line + 1
                return Document(0, 1, error=f"more than {MAX_ALIASES} aliases (line {line}): refused as a "
                                "possible alias bomb", error_line=line)
    except yaml.YAMLError:
        return None  # the loader below reports the syntax error with its line
    return None


def load_documents(text: str) -> list[Document]:
    """Every document of a multi-document stream, each judged on its own.

    A syntax error ends the stream at that point (the parser cannot resynchronise), but the documents
    before it are kept.
    """
    bomb = _alias_bomb(text)
    if bomb:
        return [bomb]
    loader = _Loader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            line = node.start_mark.line + 1
            try:
                data = loader.construct_document(node)
            except yaml.YAMLError as error:
                documents.append(Document(len(documents), line, error=_describe(error), error_line=_mark_line(error) or line))
                continue
            documents.append(Document(len(documents), line, data=data))
    except yaml.YAMLError as error:
        line = _mark_line(error)
        documents.append(Document(len(documents), line or 1, error=_describe(error), error_line=line))
    finally:
        loader.dispose()
    return documents


def load_one(text: str, *, path: str) -> object:
    """A single-document file (configuration, checks). Raises ConfigError with file:line."""
    from insights.errors import ConfigError

    documents = load_documents(text)
    errors = [d for d in documents if d.error]
    if errors:
        raise ConfigError([f"{path}:{d.error_line or d.line}: invalid YAML: {d.error}" for d in errors])
    if len(documents) > 1:
        raise ConfigError(f"{path}:{documents[1].line}: expected one YAML document, found {len(documents)}")
    return documents[0].data if documents else None
