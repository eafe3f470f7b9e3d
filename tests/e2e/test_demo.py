"""`insights demo`, run as a user would: the installed console script, in an empty folder, twice."""

import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "insights"


def test_demo_runs_the_whole_job_and_stores_two_runs(tmp_path):
    first = subprocess.run([str(SCRIPT), "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("Run 1: 26 entities scanned, ")
    assert lines[1].startswith("Checks: ") and " failed, " in lines[1] and " unknown" in lines[1]
    assert lines[2].startswith("Most failures: ")
    assert any(line.endswith("reports/report.html") for line in lines)

    db = sqlite3.connect(tmp_path / "insights.db")
    assert db.execute("SELECT id, status, entity_count FROM runs").fetchall() == [(1, "succeeded", 26)]
    assert db.execute("SELECT value FROM latest_fact_values WHERE entity_ref = 'component:default/checkout' "
                      "AND fact_id = 'pagerduty.escalation_levels'").fetchone() == ("1",)
    outcome, fix = db.execute("SELECT outcome, fix FROM latest_check_results WHERE entity_ref = "
                              "'component:default/checkout' AND check_id = 'escalation-two-levels'").fetchone()
    assert outcome == "fail" and "Checkout escalation (payments)" in fix
    requests = db.execute("SELECT pagerduty_requests FROM runs").fetchone()[0]
    assert '"GET /services": 1' in requests
    codes = {row[0] for row in db.execute("SELECT code FROM findings")}
    assert {"yaml-invalid", "placeholder-annotation", "integration-key-exposed"} <= codes

    team_file = (tmp_path / "reports" / "teams" / "payments.md").read_text()
    assert "**escalation-two-levels** fails" in team_file and "Add a second level" in team_file
    assert "legacy-cron" in (tmp_path / "reports" / "report.html").read_text()
    assert "component:default/checkout" in (tmp_path / "reports" / "html" / "teams" / "payments.html").read_text()
    assert "First run in this database" in (tmp_path / "reports" / "report.md").read_text()

    second = subprocess.run([str(SCRIPT), "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert db.execute("SELECT count(*) FROM runs WHERE status = 'succeeded'").fetchone() == (2,)
    assert "Compared with run 1: 0 newly failing" in (tmp_path / "reports" / "report.md").read_text()
    # Nothing but the database and the reports is left in the user's folder (the run lock goes with the run).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["insights.db", "reports"]
