"""Option values no command can use: a run id beyond what a database stores, NaN where a gate compares, a
port outside 0-65535 or already taken, a snapshot that is not text. Each is exit 2 with the option named."""

import socket

import pytest

from tests.sweep.support import component, invoke, write_tree

HUGE = "99999999999999999999999"


@pytest.fixture()
def stored(tmp_path, offline_run):
    assert offline_run(write_tree(tmp_path / "catalog", {"catalog-info.yaml": component("a")})).code == 0
    return f"sqlite:///{tmp_path / 'insights.db'}"


@pytest.mark.parametrize("args, said", [
    (["explain", "a", "--run", HUGE], "Invalid value for '--run'"),
    (["report", "--run", HUGE], "Invalid value for '--run'"),
    (["notify", "--dry-run", "--run", HUGE], "Invalid value for '--run'"),
    (["explain", "a", "--run", "0"], "Invalid value for '--run'"),
    (["history", "a", "--runs", HUGE], "Invalid value for '--runs'"),
], ids=["explain", "report", "notify", "explain-zero", "history"])
def test_a_run_id_no_database_stores_is_a_usage_error(stored, tmp_path, args, said):
    result = invoke([*args, "--db", stored] + (["--out", str(tmp_path / "again")] if args[0] == "report" else []))
    assert result.code == 2 and said in result.stderr, result.stderr


@pytest.mark.parametrize("option", ["--fail-under", "--max-shrink"])
def test_nan_is_not_a_gate_threshold(tmp_path, offline_run, option):
    result = offline_run(write_tree(tmp_path / "catalog", {"catalog-info.yaml": component("a")}), option, "nan")
    assert result.code == 2 and f"Invalid value for '{option}': 'nan' is not a number" in result.stderr
    assert not (tmp_path / "insights.db").exists()


def test_finalize_waits_a_number_of_seconds(tmp_path):
    result = invoke(["finalize", "--run-key", "k", "--wait", "nan", "--db", f"sqlite:///{tmp_path / 'i.db'}"])
    assert result.code == 2 and "Invalid value for '--wait': 'nan' is not a number" in result.stderr


@pytest.mark.parametrize("args, said", [
    (["--port", "70000"], "Invalid value for '--port'"),
    (["--port", "-1"], "Invalid value for '--port'"),
    (["--fail-rate", "nan"], "Invalid value for '--fail-rate'"),
    (["--rate-limit", "0"], "Invalid value for '--rate-limit'"),
])
def test_simulator_options_out_of_range_are_usage_errors(args, said):
    result = invoke(["pagerduty", "simulate", *args])
    assert result.code == 2 and said in result.stderr


def test_a_taken_port_is_an_error_naming_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke(["pagerduty", "simulate", "--port", str(port)])
    assert result.code == 2 and result.last == f"error: cannot serve on 127.0.0.1:{port}: Address already in use; " \
                                               "choose another --port"


def test_a_snapshot_that_is_not_text_is_refused_by_the_simulator(tmp_path):
    (tmp_path / "snapshot.json").write_bytes(b"\xb9\x00\xff")
    result = invoke(["pagerduty", "simulate", "--data", str(tmp_path / "snapshot.json")])
    assert result.code == 2 and "cannot read the PagerDuty snapshot: it is not UTF-8 text" in result.last
