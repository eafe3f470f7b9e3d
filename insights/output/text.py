"""Values and tables as a terminal shows them.

A stored level or score can come back from the database as NaN (pandas' missing value) where SQL has NULL;
people see `none` or `-`, never `nan`. Catalog text may carry escape sequences that would drive the
terminal, so every cell loses its control characters and line breaks.
"""

from __future__ import annotations

import json
import math
import re

import pandas as pd

from insights.report.escape import clean

NO_LEVEL = "none"
MISSING = "-"
# Facts that are a share from 0 to 1, shown as a percentage.
SHARES = frozenset({"pagerduty.name_similarity"})
_CONTROLS = re.compile(r"[\t\r\n\x7f-\x9f\u2028\u2029]+")


def missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def level_name(value) -> str | None:
    """The level reached, or None when none was (NULL and NaN alike)."""
    return None if missing(value) or value == "" else str(value)


def level_text(value) -> str:
    """The level reached as a person reads it: its name, or `none`."""
    return level_name(value) or NO_LEVEL


def number(value) -> float | None:
    """A score or other figure as JSON carries it: None for unknown, never NaN."""
    return None if missing(value) else float(value)


def utc_time(value) -> str | None:
    """A stored time as ISO 8601 in UTC (SQLite hands times back without their zone; they are UTC)."""
    if missing(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat(timespec="seconds")


def percent(share) -> str:
    return MISSING if missing(share) else f"{round(100 * float(share))}%"


def fact_text(fact_id: str, value) -> str:
    """A fact's value in `explain`: `unknown`, a percentage for shares, else its JSON form."""
    if missing(value):
        return "unknown"
    if fact_id in SHARES and isinstance(value, (int, float)) and not isinstance(value, bool):
        return percent(value)
    return json.dumps(value)


def cell(value, limit: int = 200) -> str:
    """One line of untrusted text, safe to print on a terminal."""
    if missing(value):
        return MISSING
    text = _CONTROLS.sub(" ", clean(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(columns: list[tuple[str, str]], rows: list[dict], right: tuple[str, ...] = ()) -> str:
    """Rows as aligned columns under a header; `columns` are (key, header), `right` the keys aligned right."""
    cells = [[header for _, header in columns]] + [[cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for line in cells:
        parts = [text.rjust(width) if key in right else text.ljust(width)
                 for text, width, (key, _) in zip(line, widths, columns)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def dump(document: dict) -> str:
    """A JSON document as commands print it: indented, keys in the order written, every character outside
    ASCII escaped (so a bidirectional override in a catalog value cannot reorder what a terminal shows)."""
    return json.dumps(document, indent=1, allow_nan=False)
