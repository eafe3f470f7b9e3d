"""Helpers of the adversarial sweep: the real CLI run in-process on hostile input, with a token in the
environment that must never show up anywhere."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from insights.cli import cli

SECRET = "sweep-secret-token-5f1c9a"
COMPONENT = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n{meta}"
             "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n")


def component(name: str, meta: str = "") -> str:
    """A valid Component descriptor; `meta` is more `metadata:` lines, indented by two spaces."""
    return COMPONENT.format(name=name, meta=meta)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def last(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""


def invoke(args: list[str], env: dict | None = None) -> Outcome:
    result = CliRunner().invoke(cli, args, env={"PAGERDUTY_TOKEN": SECRET, **(env or {})})
    return Outcome(result.exit_code, result.stdout, result.stderr, result.exception)


def write_tree(root: Path, files: dict) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def secret_places(*texts: str, files=(), database: Path | None = None) -> list[str]:
    """Where SECRET shows up: in the texts given, in any file under `files`, in any row of a SQLite file."""
    found = [f"text {i}" for i, text in enumerate(texts) if SECRET in text]
    for folder in files:
        found += [str(p) for p in Path(folder).rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    if database is not None and database.exists():
        with sqlite3.connect(database) as connection:
            tables = [t for (t,) in connection.execute("select name from sqlite_master where type = 'table'")]
            for table in tables:
                if any(SECRET in str(v) for row in connection.execute(f'select * from "{table}"') for v in row):
                    found.append(f"table {table}")
        connection.close()
    return found
