"""Text every database can hold, made so where outside text is read.

A catalog file, a Backstage API or PagerDuty can hand over a NUL (YAML `"\\0"`, JSON `"\\u0000"`), which
PostgreSQL refuses in text, and JSON can hand over a lone UTF-16 surrogate (`"\\ud800"`), which no UTF-8
encoder accepts, nor does a file name that is not UTF-8 once Python has read it. One such value must not
fail a whole run, so each becomes U+FFFD (the replacement character) as the text is read.
"""

from __future__ import annotations

import json
import re

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What a JSON text must contain for its decoded strings to hold a NUL or a surrogate: only escapes can.
_ESCAPES = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_ESCAPES_BYTES = re.compile(_ESCAPES.pattern.encode())


def text(value: str) -> str:
    """`value` with each NUL and lone surrogate replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, value) if _UNSTORABLE.search(value) else value


def data(value):
    """A copy of JSON-like `value` whose strings (keys too) are `text(...)`; iterative, any depth."""
    if isinstance(value, str):
        return text(value)
    if not isinstance(value, (dict, list)):
        return value
    root = [value]
    todo = [(value, root, 0)]
    while todo:
        item, parent, slot = todo.pop()
        if isinstance(item, str):
            parent[slot] = text(item)
        elif isinstance(item, dict):
            copy = {text(k) if isinstance(k, str) else k: v for k, v in item.items()}
            parent[slot] = copy
            todo.extend((child, copy, key) for key, child in copy.items() if isinstance(child, (str, dict, list)))
        elif isinstance(item, list):
            copy = list(item)
            parent[slot] = copy
            todo.extend((child, copy, index) for index, child in enumerate(copy)
                        if isinstance(child, (str, dict, list)))
    return root[0]


def loads(raw: str | bytes, **options):
    """`json.loads`, its strings storable; the walk happens only when the text holds such an escape."""
    value = json.loads(raw, **options)
    pattern = _ESCAPES_BYTES if isinstance(raw, (bytes, bytearray)) else _ESCAPES
    return data(value) if pattern.search(raw) else value
