"""What a sharded run refuses, with the words a user sees: other databases than PostgreSQL, a finished key,
shards that do not agree, options that belong to finalize."""

from __future__ import annotations

import pytest

from insights.store import Store


def last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture()
def catalog():
    from insights.resources import demo_data

    return ("--catalog", str(demo_data() / "catalog"))


@pytest.fixture()
def snapshot(tmp_path, demo_state) -> tuple[str, str]:
    from insights.pagerduty.state import save_snapshot

    save_snapshot(demo_state, tmp_path / "snap.json")
    return ("--pagerduty-snapshot", str(tmp_path / "snap.json"))


def test_sqlite_is_refused_before_anything_is_written(insights, catalog, snapshot, tmp_path):
    database = tmp_path / "insights.db"
    for command in (("run", "--shard", "1/2", "--run-key", "night", *catalog),
                    ("finalize", "--run-key", "night", *snapshot)):
        result = insights(*command, "--db", f"sqlite:///{database}")
        assert result.exit_code == 2
        assert last_line(result) == (
            f"error: sharded runs (--shard, finalize) need PostgreSQL, and sqlite:///{database} is sqlite: SQLite is "
            "a file on one machine, which shards on other machines cannot share")
    assert not database.exists()


def test_mariadb_is_refused(insights, catalog, mariadb_url):
    result = insights("run", "--shard", "1/2", "--run-key", "night", *catalog, "--db", mariadb_url)
    assert result.exit_code == 2
    assert last_line(result) == (f"error: sharded runs (--shard, finalize) need PostgreSQL, and {mariadb_url} is "
                                 "mysql: mysql is not supported for them; run the job unsharded there")


def test_a_finished_key_is_never_reopened(insights, catalog, snapshot, postgres_url):
    for shard in ("1/2", "2/2"):
        assert insights("run", "--shard", shard, "--run-key", "night", *catalog, "--db", postgres_url).exit_code == 0
    assert insights("finalize", "--run-key", "night", *snapshot, "--db", postgres_url).exit_code == 0
    for command in (("run", "--shard", "2/2", "--run-key", "night", *catalog),
                    ("finalize", "--run-key", "night", *snapshot)):
        result = insights(*command, "--db", postgres_url)
        assert result.exit_code == 2
        assert last_line(result) == (
            "error: run key 'night' is already succeeded (run 1); a finished run is never reopened: give the shards "
            "of a new run a new key (the date, or the scheduler's run id)")
    assert len(Store(postgres_url).runs()) == 1


def test_shards_of_one_key_agree_on_the_split_the_configuration_and_the_sources(insights, catalog, postgres_url,
                                                                                tmp_path):
    from insights.resources import default_config

    assert insights("run", "--shard", "1/2", "--run-key", "night", *catalog, "--db", postgres_url).exit_code == 0
    result = insights("run", "--shard", "2/3", "--run-key", "night", *catalog, "--db", postgres_url)
    assert result.exit_code == 2
    assert last_line(result) == ("error: run key 'night' is split into 2 shards, not 3: every shard of one run says "
                                 "--shard K/2")

    (tmp_path / "other").mkdir()
    config = tmp_path / "other" / "scorecards.yaml"
    config.write_text(default_config().read_text().replace("version: 1", "version: 1\n# changed", 1))
    result = insights("run", "--shard", "2/2", "--run-key", "night", *catalog, "--db", postgres_url, "--config",
                      config)
    assert result.exit_code == 2
    assert last_line(result).startswith("error: shard 2/2 of run key 'night' reads another configuration (hash ")
    assert last_line(result).endswith("every shard and finalize must read the same scorecards.yaml and checks")

    result = insights("run", "--shard", "2/2", "--run-key", "night", "--catalog", tmp_path / "other", "--db",
                      postgres_url)
    assert result.exit_code == 2
    assert last_line(result).startswith(f"error: shard 2/2 of run key 'night' crawls other catalog sources "
                                        f"({tmp_path / 'other'}) than the shards before it (")


@pytest.mark.parametrize("arguments, message", [
    (("--shard", "1/2"), "Error: --shard K/N and --run-key KEY go together: shard K of a run that N shards share"),
    (("--run-key", "night"), "Error: --shard K/N and --run-key KEY go together: shard K of a run that N shards share"),
    (("--shard", "1/2", "--run-key", "night", "--fail-on-new-failures"),
     "Error: --fail-on-new-failures belongs to `insights finalize`: a shard only crawls its share"),
    (("--shard", "1/2", "--run-key", "night", "--out", "reports"),
     "Error: --out belongs to `insights finalize`: a shard only crawls its share"),
    (("--shard", "1/2", "--run-key", "night", "--pagerduty-snapshot", "snap.json"),
     "Error: --pagerduty-snapshot belongs to `insights finalize`: a shard only crawls its share"),
    (("--shard", "3/2", "--run-key", "night"),
     "error: --shard must be K/N with 1 <= K <= N <= 1000 (shard K of N), not '3/2'"),
    (("--shard", "0/2", "--run-key", "night"),
     "error: --shard must be K/N with 1 <= K <= N <= 1000 (shard K of N), not '0/2'"),
    (("--shard", "1/2", "--run-key", "night of 14 March"),
     "error: --run-key must be 1 to 128 letters, digits or ._:@+=/- starting with a letter or digit (the date, or "
     "the scheduler's run id), not 'night of 14 March'"),
])
def test_shard_options_that_do_not_make_sense_are_usage_errors(insights, catalog, snapshot, postgres_url, arguments,
                                                              message):
    result = insights("run", *arguments, *catalog, "--db", postgres_url)
    assert result.exit_code == 2
    assert last_line(result) == message
    assert Store(postgres_url).schema_state()[0] is None  # nothing was touched
