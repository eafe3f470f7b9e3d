"""Files that are not what a command expects: a device or a pipe where a configuration, a snapshot or a
metrics file should be, a configuration too large to be one, a database that keeps nothing. Each is refused
with the path and exit 2 (or 3 for an output), never read without end, never replaced."""

import os
import stat

import pytest

from tests.sweep.support import component, invoke, write_tree


@pytest.fixture()
def pipe(tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["device", "pipe", "too large", "not UTF-8"])
def test_a_configuration_that_is_not_a_text_file_is_refused(tmp_path, pipe, kind):
    path = {"device": "/dev/zero", "pipe": str(pipe)}.get(kind, str(tmp_path / "scorecards.yaml"))
    if kind == "too large":
        with open(path, "wb") as handle:
            handle.write(b"version: 1\n#")
            handle.truncate(10_000_001)
    elif kind == "not UTF-8":
        (tmp_path / "scorecards.yaml").write_bytes(b"version: 1\n# caf\xe9\n")
    result = invoke(["validate", "--config", path])
    expected = {"device": "not a regular file", "pipe": "not a regular file",
                "too large": "it is larger than 10,000,000 bytes", "not UTF-8": "it is not UTF-8 text"}[kind]
    assert result.code == 2 and result.last.startswith(f"error: {path}: cannot read the configuration: {expected}")


def test_a_check_file_that_is_not_utf8_is_a_problem_with_its_path(tmp_path):
    write_tree(tmp_path, {"scorecards.yaml": "version: 1\nchecks: [builtin, ./mine.yaml]\n",
                          "mine.yaml": b"- id: x\n  name: caf\xe9\n"})
    result = invoke(["validate", "--config", str(tmp_path / "scorecards.yaml")])
    said = f"{tmp_path / 'mine.yaml'}: cannot read the check file: it is not UTF-8"
    assert result.code == 2 and said in result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_a_snapshot_that_is_a_device_or_a_pipe_is_refused(tmp_path, pipe, kind, offline_run):
    path = "/dev/zero" if kind == "device" else str(pipe)
    catalog = write_tree(tmp_path / "catalog", {"catalog-info.yaml": component("a")})
    result = invoke(["run", "--catalog", str(catalog), "--pagerduty-snapshot", path,
                     "--db", f"sqlite:///{tmp_path / 'i.db'}", "--out", str(tmp_path / "out")])
    assert result.code == 2 and result.last == f"error: {path}: cannot read the PagerDuty snapshot: not a regular file"


def test_a_metrics_file_that_is_a_pipe_is_refused_not_replaced(tmp_path, pipe, offline_run):
    catalog = write_tree(tmp_path / "catalog", {"catalog-info.yaml": component("a")})
    result = offline_run(catalog, "--metrics-file", str(pipe))
    assert result.code == 3 and result.last == f"error: cannot write the metrics file {pipe}: not a regular file"
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)  # a rename would have put a regular file there
    assert (tmp_path / "out" / "report.md").is_file()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://"])
def test_an_in_memory_sqlite_database_is_refused(tmp_path, url, offline_run):
    catalog = write_tree(tmp_path / "catalog", {"catalog-info.yaml": component("a")})
    result = offline_run(catalog, db_url=url)
    assert result.code == 2 and "an in-memory SQLite database keeps nothing" in result.last
    assert invoke(["history", "a", "--db", url]).code == 2
    write_tree(tmp_path, {"scorecards.yaml": f"version: 1\nstore:\n  url: '{url}'\n"})
    validated = invoke(["validate", "--config", str(tmp_path / "scorecards.yaml")])
    assert validated.code == 2 and "an in-memory SQLite database keeps nothing" in validated.stdout + validated.stderr

