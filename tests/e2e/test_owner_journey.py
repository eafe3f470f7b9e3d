"""An owner's way from a failing check to a merged fix, on a real git repository: the team file and the
notification link the failing file at its line, say the one thing to do first, `insights fix` writes the
patch, git applies it, and the next run passes the check."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime, timezone

from insights.pagerduty.generate import generate
from insights.pagerduty.state import save_snapshot

CATALOG = """\
# Payments services, owned by team-0.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-0
  annotations:
    pagerduty.com/service-id: {wired}
spec:
  type: service
  lifecycle: production
  owner: team-0
---
# The worker: not wired to PagerDuty yet.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-1
spec:
  type: service
  lifecycle: production
  owner: team-0
"""
GIT = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@t"}


def git(cwd, *args) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=GIT).stdout.strip()


def test_from_the_team_file_to_a_passing_check(insights, tmp_path):
    state = generate(6, 6, seed=4, now=datetime.now(timezone.utc).replace(microsecond=0)).state
    ids = {int(re.search(r"\d+", s["name"]).group()): s["id"] for s in state.services}
    save_snapshot(state, tmp_path / "snap.json")
    repository = tmp_path / "payments"
    repository.mkdir()
    (repository / "catalog-info.yaml").write_text(CATALOG.format(wired=ids[0]))
    git(repository, "init", "-q", "-b", "main")
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "catalog")
    git(repository, "remote", "add", "origin", "git@github.com:acme/payments.git")  # read, never fetched
    commit = git(repository, "rev-parse", "HEAD")
    run = ("run", "--catalog", repository, "--pagerduty-snapshot", "snap.json", "--db", "sqlite:///insights.db")

    assert insights(*run, "--out", "before").exit_code == 0
    team = (tmp_path / "before" / "teams" / "team-0.md").read_text()
    # The failing file, at the entity's line, in the repository's web UI.
    line = CATALOG.splitlines().index("kind: Component", 12)  # the document's first key is the line before
    link = f"https://github.com/acme/payments/blob/{commit}/catalog-info.yaml#L{line}"
    section = team[team.index("## service-1"):team.index("## service-0")]
    assert f"[catalog-info.yaml:{line}]({link})" in section
    # The one thing to do first, with what waits on it, before the rest.
    first = section.index("**First:** no PagerDuty annotation: add pagerduty.com/service-id")
    assert first < section.index("**pagerduty-annotation** fails")
    assert "pagerduty-service-exists" in section[first:section.index("\n", first)]
    # The same link reaches the team in its notification.
    told = insights("notify", "--dry-run", "--initial", "--db", "sqlite:///insights.db")
    assert told.exit_code == 0, told.stderr
    assert f"<{link}|service-1>" in told.stdout

    fixed = insights("fix", "--catalog", repository, "--pagerduty-snapshot", "snap.json", "--patch", "patches")
    assert fixed.exit_code == 0, fixed.stderr
    git(repository, "apply", "--check", str(tmp_path / "patches" / "payments.patch"))
    git(repository, "apply", str(tmp_path / "patches" / "payments.patch"))
    assert "# The worker: not wired to PagerDuty yet." in (repository / "catalog-info.yaml").read_text()

    assert insights(*run, "--out", "after").exit_code == 0
    entities = [json.loads(line) for line in (tmp_path / "after" / "entities.jsonl").read_text().splitlines()[1:]]
    worker = next(e for e in entities if e["ref"] == "component:default/service-1")
    outcomes = worker["checks"]  # check id -> outcome
    assert outcomes["pagerduty-annotation"] == outcomes["pagerduty-service-exists"] == "pass"
    after = (tmp_path / "after" / "teams" / "team-0.md").read_text()
    assert "no PagerDuty annotation" not in after
