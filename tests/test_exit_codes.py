"""A broken answer or a broken place is not a bug: what the user sees, the exit code, and what is left on
disk and in the database, for missing databases, read-only folders, full disks and bad retention."""

import os
import sqlite3

import pytest
from sqlalchemy import make_url

from insights.resources import demo_data
from insights.store import Store

CATALOG = demo_data() / "catalog" / "payments"


@pytest.fixture()
def stored(insights, snapshot):
    """A database in the test's folder holding one successful run."""
    assert insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", snapshot, "--out", "first").exit_code == 0
    return "sqlite:///insights.db"


READERS = [("report",), ("explain", "component:default/checkout"), ("history", "component:default/checkout"),
           ("notify", "--dry-run")]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_reading_a_missing_database_is_a_usage_error_and_creates_nothing(insights, tmp_path, command):
    result = insights(*command, "--db", "sqlite:///nowhere.db")
    assert result.exit_code == 2
    assert result.stderr == ("error: no insights database at nowhere.db; `insights run` creates it, or point --db "
                             "at the database your runs use\n")
    assert not (tmp_path / "nowhere.db").exists()


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_reading_an_empty_database_is_a_usage_error_and_changes_nothing(insights, tmp_path, command):
    (tmp_path / "empty.db").write_bytes(b"")
    result = insights(*command, "--db", "sqlite:///empty.db")
    assert result.exit_code == 2
    assert result.stderr == ("error: database sqlite:///empty.db holds no insights runs; `insights run` stores the "
                             "first one, or point --db at the database your runs use\n")
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_reading_a_database_without_a_successful_run(insights, tmp_path, simulator):
    assert insights("run", "--catalog", CATALOG, "--pagerduty-url", simulator.url,
                    env={"PAGERDUTY_TOKEN": "wrong"}).exit_code == 3  # run 1 failed
    result = insights("report")
    assert (result.exit_code, result.stderr) == (2, "error: database sqlite:///insights.db holds no successful run "
                                                    "yet; `insights run` stores one\n")


def test_reading_a_run_that_is_not_there_or_failed(insights, stored, simulator):
    missing = insights("report", "--run", "9")
    assert (missing.exit_code, missing.stderr) == (
        2, "error: database sqlite:///insights.db has no run 9; the latest successful runs are 1\n")
    insights("run", "--catalog", CATALOG, "--pagerduty-url", simulator.url, env={"PAGERDUTY_TOKEN": "wrong"})
    failed = insights("explain", "checkout", "--run", "2")
    assert failed.exit_code == 2
    assert failed.stderr.startswith("error: run 2 failed: PagerDuty")
    assert failed.stderr.endswith("; pick another --run (the latest successful runs are 1)\n")


@pytest.mark.parametrize("server", ["postgres_url", "mariadb_url"])
def test_a_database_the_server_does_not_have(insights, request, server, snapshot):
    url = make_url(request.getfixturevalue(server))
    missing = url.set(database=f"{url.database}_missing").render_as_string(hide_password=False)
    expected = f"error: database {missing} does not exist; create it, or point --db at the database your runs use"
    result = insights("history", "component:default/checkout", "--db", missing)
    assert (result.exit_code, result.stderr) == (2, expected + "\n")
    result = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", snapshot, "--db", missing)
    assert result.exit_code == 2 and result.stderr.strip().splitlines()[-1] == expected


def test_a_database_in_a_read_only_folder_is_a_broken_place_not_a_bug(insights, tmpfs, snapshot):
    disk = tmpfs("disk")
    database = f"sqlite:///{disk.path / 'insights.db'}"
    assert insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", snapshot, "--db", database).exit_code == 0
    disk.read_only()
    result = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", snapshot, "--db", database)
    assert result.exit_code == 3
    lock = os.path.realpath(disk.path / "insights.db") + ".lock"
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: database {database}: cannot open its lock file {lock}: Read-only file system; insights writes its "
        "lock and journal beside the database, so its folder must be writable")
    assert insights("report", "--db", database, "--out", "elsewhere").exit_code == 0  # reading still works


def test_negative_retention_is_refused_before_anything_runs(insights, tmp_path, snapshot):
    result = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", snapshot, "--keep-days", "-5")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: Invalid value for '--keep-days': -5 is not in the range x>=1.")
    (tmp_path / "scorecards.yaml").write_text("store:\n  keep_runs: -1\n")
    configured = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", snapshot)
    assert (configured.exit_code, configured.stderr) == (
        2, "error: scorecards.yaml:2:3: `store.keep_runs` must be an integer from 1 to 1000000000, not -1\n")
    assert not (tmp_path / "insights.db").exists()


def test_maintenance_waits_for_a_run_with_a_store_error(insights, stored):
    with Store(stored).writing():
        result = insights("db", "upgrade", "--db", stored)
    assert result.exit_code == 3
    assert result.stderr == ("error: another insights run is writing to database sqlite:///insights.db; wait for "
                             "it to finish (runs never interleave)\n")


def reports_in(folder):
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_full_disk_leaves_the_previous_reports_whole(insights, stored, tmpfs):
    disk = tmpfs("disk", "2m")
    out = disk.path / "reports"
    assert insights("report", "--out", out).exit_code == 0
    before = reports_in(out)
    assert (out / "teams" / "payments.md").is_file() and len(before) > 6
    disk.fill()
    result = insights("report", "--out", out)
    assert result.exit_code == 3
    assert result.stderr in (f"error: cannot write {out / name}: No space left on device; the previous reports in "
                             f"{out} are unchanged\n" for name in ("", "report.md"))  # the folder, or the file
    assert reports_in(out) == before  # no half-written file, no temporary file left behind


def test_a_read_only_report_folder_keeps_the_previous_reports_and_the_run(insights, stored, tmpfs, snapshot):
    disk = tmpfs("disk")
    out = disk.path / "reports"
    assert insights("report", "--out", out).exit_code == 0
    before = reports_in(out)
    disk.read_only()
    result = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", snapshot, "--out", out)
    assert result.exit_code == 3, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot write {out}: Read-only file system; the previous reports in {out} are "
        f"unchanged; run 2 is stored: `insights report --run 2 --out {out}` writes its reports again")
    assert reports_in(out) == before
    assert Store(stored).run(2)["status"] == "succeeded"


def test_reports_replace_the_previous_set_whole(insights, stored, tmp_path):
    """A team that is gone leaves no file behind, and nothing temporary stays."""
    out = tmp_path / "reports"
    assert insights("report", "--out", out).exit_code == 0
    teams = sorted(p.name for p in (out / "teams").iterdir())
    assert "payments.md" in teams
    (out / "teams" / "old-team.md").write_text("from an older run")
    listing = sorted(p.name for p in out.iterdir())
    assert insights("report", "--out", out).exit_code == 0
    assert sorted(p.name for p in (out / "teams").iterdir()) == teams
    assert sorted(p.name for p in out.iterdir()) == listing  # nothing temporary stays
    assert sqlite3.connect(tmp_path / "insights.db").execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_a_broken_snapshot_is_refused_before_anything_is_crawled_or_recorded(insights, tmp_path):
    (tmp_path / "snap.json").write_text('{"format": "insights.pagerduty-snapshot/1", "services": 7}')
    result = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", "snap.json")
    assert result.exit_code == 2 and "snap.json" in result.stderr
    assert not (tmp_path / "insights.db").exists()


def test_a_reader_that_went_away_ends_the_command_quietly_with_141():
    """`insights facts | head -0`: the pipe is closed before the first write."""
    import shutil
    import subprocess
    import sys

    command = shutil.which("insights") or sys.executable
    args = [command, "facts"] if command != sys.executable else [command, "-m", "insights", "facts"]
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(args, stdout=write, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 141
    assert done.stderr == b""


def test_an_internal_error_is_exit_70_with_a_bounded_message(capsys):
    from insights.cli_errors import report_error

    assert report_error(RuntimeError("x" * 100_000)) == 70
    err = capsys.readouterr().err
    assert err.startswith("internal error: RuntimeError: xxx") and "This is a bug in insights" in err
    assert len(err) < 1300
