"""Helpers for `insights fix` tests: entities and PagerDuty services by hand, real git repositories, and
the command run in-process through `main`, as a user runs it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from insights.catalog.model import Entity
from insights.cli import main
from insights.pagerduty.state import PagerDutyState

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


def component(name: str, owner: str | None = "group:default/payments", title: str | None = None,
              annotations: dict | None = None, namespace: str = "default", kind: str = "component",
              type: str = "service", **extra) -> Entity:
    return Entity(ref=f"{kind}:{namespace}/{name}".lower(), kind=kind, namespace=namespace, name=name, title=title,
                  owner=owner, type=type, annotations=annotations or {}, source="test", path="catalog-info.yaml",
                  line=1, **extra)


def service(service_id: str, name: str, team: str | None = "Payments", policy: str = "PEP0001",
            keys: tuple[str, ...] = ()) -> dict:
    teams = [{"id": f"PT{team[:5].upper()}", "type": "team_reference", "summary": team}] if team else []
    return {"id": service_id, "type": "service", "name": name, "summary": name, "teams": teams,
            "escalation_policy": {"id": policy, "type": "escalation_policy_reference", "summary": f"{policy} policy"},
            "integrations": [{"id": f"I{k[:6]}", "integration_key": k} for k in keys],
            "html_url": f"https://acme.pagerduty.com/service-directory/{service_id}"}


def account(*services: dict, tags: dict | None = None, not_visible=()) -> PagerDutyState:
    return PagerDutyState(services=list(services), tags=tags or {}, not_visible=list(not_visible),
                          collected_at="2026-11-23T10:00:00Z")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def make_repository(root: Path, files: dict[str, str | bytes]) -> Path:
    """A git repository holding `files` (text written as given, CRLF kept), committed on main."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "catalog")
    return root


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture()
def insights(capsys, monkeypatch, tmp_path):
    """`insights(*args)` runs the command in-process in tmp_path, without PagerDuty credentials."""
    for variable in ("PAGERDUTY_TOKEN", "PD_CLIENT_ID", "PD_CLIENT_SECRET", "INSIGHTS_DB_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("INSIGHTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Result:
        with pytest.raises(SystemExit) as stopped:
            main(["--quiet", *args])
        captured = capsys.readouterr()
        return Result(stopped.value.code, captured.out, captured.err)

    return run
