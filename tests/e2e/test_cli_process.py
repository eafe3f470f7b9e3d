"""The installed console script, as cron or CI runs it: exit codes, and Ctrl-C or SIGTERM in the middle of a run."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from insights.pagerduty.state import save_snapshot
from insights.resources import demo_data

SCRIPT = Path(sys.executable).parent / "insights"
CATALOG = demo_data() / "catalog" / "payments"
HIDDEN = ("PAGERDUTY_TOKEN", "PD_CLIENT_ID", "PD_CLIENT_SECRET", "INSIGHTS_DB_URL")


@pytest.fixture()
def environment(tmp_path, demo_state):
    save_snapshot(demo_state, tmp_path / "snap.json")
    return {**{k: v for k, v in os.environ.items() if k not in HIDDEN}, "BACKSTAGE_TOKEN": "stand-in"}


def insights(*args, cwd, env):
    return subprocess.run([str(SCRIPT), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_exit_codes_of_the_console_script(tmp_path, environment):
    usage = insights("run", "--catalog", CATALOG, cwd=tmp_path, env=environment)
    assert usage.returncode == 2 and usage.stderr.startswith("error: no PagerDuty credential")
    gate = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", "snap.json", "--fail-on",
                    "few-open-incidents", cwd=tmp_path, env=environment)
    assert gate.returncode == 1
    assert gate.stderr.strip().splitlines()[-1].startswith("gate failed: check few-open-incidents does not pass")
    assert gate.stdout.startswith("Run 1: 7 entities scanned")  # the summary comes first, the gate last
    missing = insights("report", "--db", "sqlite:///none.db", cwd=tmp_path, env=environment)
    assert missing.returncode == 2 and not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("number, code, said, recorded", [
    (signal.SIGINT, 130, "interrupted", "interrupted by KeyboardInterrupt"),
    (signal.SIGTERM, 143, "terminated (SIGTERM)", "terminated by SIGTERM"),  # Kubernetes, systemd, `timeout`
], ids=["ctrl-c", "sigterm"])
def test_a_signal_in_the_middle_of_a_run_records_the_run_failed_and_lets_the_lock_go(
        tmp_path, environment, held_catalog, number, code, said, recorded):
    held_catalog.hold_next()
    process = subprocess.Popen([str(SCRIPT), "run", "--catalog", held_catalog.source, "--pagerduty-snapshot",
                                "snap.json"], cwd=tmp_path, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    held_catalog.wait_arrived()  # the run holds the lock, is recorded `running`, and is crawling
    process.send_signal(number)
    _, stderr = process.communicate(timeout=120)
    held_catalog.let_go()
    assert process.returncode == code
    assert stderr.strip().splitlines()[-1] == said
    database = sqlite3.connect(tmp_path / "insights.db")
    assert database.execute("SELECT id, status, error FROM runs").fetchall() == [(1, "failed", recorded)]
    assert database.execute("SELECT count(*) FROM entities").fetchone() == (0,)
    assert not (tmp_path / "reports").exists()
    again = insights("run", "--catalog", CATALOG, "--pagerduty-snapshot", "snap.json", cwd=tmp_path, env=environment)
    assert again.returncode == 0, again.stderr  # the lock went with the interrupted run


def test_a_second_sigterm_while_unwinding_ends_the_process_at_once():
    unwinding = ("import os, signal, time\n"
                 "from insights.cli_errors import stop_on_sigterm\n"
                 "from insights.errors import Terminated\n"
                 "stop_on_sigterm()\n"
                 "try:\n"
                 "    os.kill(os.getpid(), signal.SIGTERM); time.sleep(5)\n"
                 "except Terminated:\n"
                 "    print('unwinding', flush=True)\n"
                 "    os.kill(os.getpid(), signal.SIGTERM); time.sleep(5)\n"
                 "print('not reached')\n")
    result = subprocess.run([sys.executable, "-c", unwinding], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (-signal.SIGTERM, "unwinding\n")
