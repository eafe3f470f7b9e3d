"""Data from outside the YAML loader (a Backstage API's JSON, a caller's dicts) made plain and bounded
before it is validated: string keys, JSON values only, depth and size within the loader's own limits.
Iterative, so no input can exhaust the stack."""

from __future__ import annotations

from insights.catalog.model import ERROR, show
from insights.yamlio import MAX_DEPTH, MAX_EXPANDED, js_string


class _TooBig(Exception):
    pass


def bounded(value, *, max_depth: int = MAX_DEPTH, max_expanded: int = MAX_EXPANDED):
    """(a JSON-like copy of `value`, problems) or (None, problems) when a limit is breached. Problems are
    (code, message, line, severity) with no line: such data has none."""
    problems: list[tuple] = []
    size = 0
    out: dict = {}
    todo = [(value, out, "root", 1)]

    def grow(amount: int) -> None:
        nonlocal size
        size += amount
        if size > max_expanded:
            raise _TooBig

    try:
        while todo:
            item, parent, slot, depth = todo.pop()
            if isinstance(item, (dict, list, tuple)) and depth > max_depth:
                return None, [("entity-too-deep", f"the entity nests deeper than {max_depth} levels; refused",
                               None, ERROR)]
            if isinstance(item, dict):
                grow(1)
                copy = {}
                for key, child in item.items():
                    text = key if isinstance(key, str) else js_string(key)
                    if not isinstance(key, str):
                        problems.append(("schema-violation", f"key {show(key)} is not a string; read as "
                                         f"{show(text)}", None, ERROR))
                    grow(len(text) + 1)
                    copy[text] = None
                    todo.append((child, copy, text, depth + 1))
                parent[slot] = copy
            elif isinstance(item, (list, tuple)):
                grow(1)
                copy = [None] * len(item)
                todo.extend((child, copy, index, depth + 1) for index, child in enumerate(item))
                parent[slot] = copy
            elif isinstance(item, str):
                grow(len(item) + 1)
                parent[slot] = str(item)
            elif item is None or isinstance(item, (bool, int, float)):
                grow(1)
                parent[slot] = item
            else:
                grow(1)
                problems.append(("schema-violation", f"a value of type {type(item).__name__} is not JSON data",
                                 None, ERROR))
                parent[slot] = type(item).__name__
    except _TooBig:
        return None, [("entity-too-large", f"the entity holds more than {max_expanded:,} characters and nodes; "
                       "refused", None, ERROR)]
    return out["root"], problems
