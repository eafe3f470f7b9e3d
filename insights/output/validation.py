"""`insights validate --format json` (`insights.validate/1`): the configuration's figures when it loads,
else every problem with its file, line and column, as `validate` prints them one per line."""

from __future__ import annotations

import re

from insights.errors import EXIT_OK, ConfigError
from insights.output.text import dump

SCHEMA = "insights.validate/1"
# `file:line:column: message` or `file:line: message`, as the configuration readers word a problem
_WHERE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+)(?::(?P<column>\d+))?: (?P<message>.*)$", re.DOTALL)


def problem(text: str) -> dict:
    match = _WHERE.match(text)
    if not match:
        return {"file": None, "line": None, "column": None, "message": text}
    column = match["column"]
    return {"file": match["file"], "line": int(match["line"]), "column": int(column) if column else None,
            "message": match["message"]}


def render_json(config, error=None) -> str:
    """`config` when it loaded, else the ConfigError that refused it."""
    if error is not None:
        return dump({"schema": SCHEMA, "valid": False, "config": None,
                     "problems": [problem(p) for p in error.problems], "notes": []})
    notes = [] if config.sources else ["no catalog sources are configured; `insights run` needs --catalog"]
    return dump({"schema": SCHEMA, "valid": True, "config": str(config.path),
                 "checks": [c.id for c in config.checks], "scorecards": [s.id for s in config.scorecards],
                 "sources": [s.label for s in config.sources], "problems": [], "notes": notes})


def validation_json(load) -> tuple[str, int]:
    """The document for the configuration `load()` returns, and the exit code: 2 when it refuses it."""
    try:
        config = load()
    except ConfigError as error:
        return render_json(None, error), error.exit_code
    return render_json(config), EXIT_OK
