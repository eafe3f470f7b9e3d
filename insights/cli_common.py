"""What every command module shares: the configuration a command uses, progress and log formatting."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

LINT_FORMATS = ("text", "json", "sarif", "github")  # insights.catalog.lint.FORMATS, without importing it here


def load_config_for(path: str | None):
    from insights.config import load_config
    from insights.resources import default_config

    if path:
        return load_config(Path(path))
    local = Path("scorecards.yaml")
    return load_config(local if local.is_file() else default_config())




class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record is logged (a test runner may swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _):
        pass


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname.lower(),
                           "logger": record.name, "message": record.getMessage()})


def progress_for_context():
    from insights.progress import Progress

    settings = click.get_current_context().obj
    json_lines = settings["log_format"] == "json"  # every line on stderr is then one JSON object
    return Progress(quiet=settings["quiet"], formatter=JsonLogFormatter() if json_lines else None)
