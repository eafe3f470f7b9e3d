"""Catalog findings as GitHub Actions workflow commands, so each one shows on its line of the pull request:

    ::error file=services/checkout/catalog-info.yaml,line=7,col=5,title=annotation-malformed::annotation ...

GitHub reads a command only at the start of a line, and its own escapes: `%`, CR and LF in the message;
also `:` and `,` in a property (`file`, `title`). Catalog text is cleaned of control characters first, so
a value can neither end the line and start a command of its own nor hide text from the log.
"""

from __future__ import annotations

from insights.catalog.model import ERROR
from insights.report.escape import bounded, clean

MAX_MESSAGE = 2000
_DATA = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY = {**_DATA, ":": "%3A", ",": "%2C"}


def escape_data(value) -> str:
    return "".join(_DATA.get(c, c) for c in bounded(clean(value), MAX_MESSAGE))


def escape_property(value) -> str:
    return "".join(_PROPERTY.get(c, c) for c in bounded(clean(value), 1000))


def command(level: str, message, **properties) -> str:
    shown = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items() if value)
    return f"::{level}{' ' + shown if shown else ''}::{escape_data(message)}"


def render(linted) -> str:
    """One workflow command per finding (`linted`: a `catalog.lint.Linted`), then the summary line."""
    lines = []
    for finding in linted.findings:
        level = "error" if finding.severity == ERROR else "warning"
        lines.append(command(level, finding.message, file=linted.file_of(finding), line=finding.line,
                             col=finding.column, title=finding.code))
    lines.append(linted.summary_line())
    return "\n".join(lines)
