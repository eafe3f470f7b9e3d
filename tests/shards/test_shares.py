"""Shares of a sharded run on PostgreSQL, through the command line in this process: a shard run again
replaces its own share and no other, finalize waits for a shard still on its way, PagerDuty comes from a
snapshot or from the API, the database never holds an integration key, and the catalog-wide rules see
every share."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from insights.store import Store


def land(insights, org, db_url: str, shard: int, key: str = "night", *extra, count: int = 4):
    result = insights("run", "--shard", f"{shard}/{count}", "--run-key", key, *org.catalog, "--db", db_url, *extra,
                      env=org.cache(f"shard-{shard}"))
    assert result.exit_code == 0, result.output
    return result


def of_shard(rows: dict[str, list[tuple]], shard: int) -> dict[str, list[tuple]]:
    return {table: [row for row in found if row[1] == shard] for table, found in rows.items()}


def test_a_shard_run_again_replaces_its_own_share_and_no_other(org, insights, db, postgres_url, reference_url):
    for shard in range(1, 5):
        land(insights, org, postgres_url, shard)
    before = db.staged(postgres_url)
    org.change(2, {"late/catalog-info.yaml": db.component("arrived-late"),
                   "twice/catalog-info.yaml": db.component("defined-twice-too")})
    landed = land(insights, org, postgres_url, 2, "night").stdout
    assert landed.startswith("Shard 2/4 of run key night: ") and " of 14 sources" in landed
    after = db.staged(postgres_url)

    for shard in (1, 3, 4):
        assert of_shard(after, shard) == of_shard(before, shard)
    def names(rows):
        return sorted(json.loads(row[5])["name"] for row in of_shard(rows, 2)["staged_items"] if row[4] == "entity")
    assert names(after) == sorted(names(before) + ["arrived-late", "defined-twice-too"])

    assert insights("finalize", "--run-key", "night", "--db", postgres_url, "--pagerduty-snapshot",
                    org.snapshot).exit_code == 0
    one = insights("run", *org.catalog, "--pagerduty-snapshot", org.snapshot, "--db", reference_url, "--out", "one",
                   env=org.cache("one"))
    assert one.exit_code == 0, one.output
    assert db.stored(postgres_url) == db.stored(reference_url)


def test_finalize_waits_for_a_shard_that_has_not_landed(org, insights, spawn, db, postgres_url):
    for shard in range(1, 4):
        land(insights, org, postgres_url, shard)
    finalize = spawn("--log-level", "info", "finalize", "--run-key", "night", "--wait", "600", "--db", postgres_url,
                     "--pagerduty-snapshot", org.snapshot)
    for line in finalize.stderr:
        if "run key night: waiting for shard 4/4 never started" in line:
            break
    land(insights, org, postgres_url, 4)
    code, stderr = db.finish(finalize)
    assert code == 0, stderr
    assert list(Store(postgres_url).runs()["status"]) == ["succeeded"]


def test_finalize_waits_no_longer_than_told(org, insights, postgres_url):
    land(insights, org, postgres_url, 1)
    result = insights("finalize", "--run-key", "night", "--wait", "0.5", "--db", postgres_url,
                      "--pagerduty-snapshot", org.snapshot)
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines()[-1] == (
        "error: run key 'night' is missing shards: shard 2/4 never started; shard 3/4 never started; shard 4/4 never "
        "started. The run is failed and the previous run stays the latest")


def test_finalize_collects_pagerduty_when_given_no_snapshot(org, insights, postgres_url, reference_url):
    """From the API, for the services the catalog names: by id, and by integration key, which the database
    holds only concealed."""
    from datetime import datetime, timezone

    from insights.pagerduty.simulator import Simulator, SimulatorSettings
    from insights.pagerduty.state import load_snapshot, shift_times

    state = shift_times(load_snapshot(org.snapshot), datetime.now(timezone.utc))
    with Simulator(state, SimulatorSettings(token="test-token")) as simulator:
        live = ("--pagerduty-url", simulator.url)
        for shard in range(1, 5):
            land(insights, org, postgres_url, shard)
        result = insights("finalize", "--run-key", "night", "--db", postgres_url, *live,
                          env={"PAGERDUTY_TOKEN": "test-token"})
        assert result.exit_code == 0, result.output
        one = insights("run", *org.catalog, "--db", reference_url, *live, "--out", "one",
                       env={"PAGERDUTY_TOKEN": "test-token", **org.cache("one")})
        assert one.exit_code == 0, one.output

    def resolution(url):
        facts = Store(url).facts(Store(url).latest_run_id())
        return facts[["pagerduty.resolved_by", "pagerduty.service_id", "pagerduty.service_found"]]

    sharded = resolution(postgres_url)
    assert sharded.equals(resolution(reference_url))
    assert (sharded["pagerduty.resolved_by"] == "integration-key").sum() > 3
    runs = Store(postgres_url).run(1), Store(reference_url).run(1)
    assert runs[0]["pagerduty_url"] == simulator.url and runs[0]["pagerduty_requests"] == runs[1]["pagerduty_requests"]


def test_the_database_never_holds_an_integration_key(org, insights, postgres_url):
    from insights.pagerduty.state import load_snapshot

    for shard in range(1, 5):
        land(insights, org, postgres_url, shard)
    keys = {i["integration_key"] for s in load_snapshot(org.snapshot).services for i in s.get("integrations", [])}
    catalog = "".join(path.read_text() for path in org.root.glob("repos/*/svc-*/catalog-info.yaml"))
    named = {key for key in keys if key in catalog}
    assert len(named) > 3  # the catalog does carry keys in plain text
    with create_engine(postgres_url).connect() as connection:
        dump = "\n".join(str(row) for table in ("staged_items", "staged_sources", "run_shards", "sharded_runs")
                         for row in connection.execute(text(f"SELECT * FROM {table}")))
    assert "pagerduty.com/integration-key" in dump and not {key for key in named if key in dump}


def test_without_pagerduty_data_finalize_says_where_it_can_come_from(org, insights, postgres_url):
    land(insights, org, postgres_url, 1)
    result = insights("finalize", "--run-key", "night", "--db", postgres_url)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: no PagerDuty data for run key 'night': give finalize --pagerduty-snapshot FILE (from `insights "
        "collect`), or set PAGERDUTY_TOKEN (or PD_CLIENT_ID and PD_CLIENT_SECRET) to collect it now")
    assert Store(postgres_url).runs().empty  # nothing was started


def test_no_readable_source_in_any_shard_fails_the_run_as_one_process_does(insights, tmp_path, postgres_url,
                                                                           sqlite_url, demo_state):
    from insights.pagerduty.state import save_snapshot

    save_snapshot(demo_state, tmp_path / "snap.json")
    catalog = ("--catalog", f"file://{tmp_path}/gone-a.git", "--catalog", f"file://{tmp_path}/gone-b.git")
    snapshot = ("--pagerduty-snapshot", tmp_path / "snap.json")
    one = insights("run", *catalog, *snapshot, "--db", sqlite_url)
    for shard in (1, 2, 3):
        result = insights("run", "--shard", f"{shard}/3", "--run-key", "night", *catalog, "--db", postgres_url)
        assert result.exit_code == 0, result.output  # a share of unreadable sources is still a share
    result = insights("finalize", "--run-key", "night", "--db", postgres_url, *snapshot)
    assert one.exit_code == result.exit_code == 3
    assert one.stderr.strip().splitlines()[-1] == result.stderr.strip().splitlines()[-1]
    assert result.stderr.strip().splitlines()[-1].startswith("error: none of the 2 catalog sources could be read")
    assert Store(postgres_url).run(1)["status"] == "failed"


def test_shards_that_read_different_repository_lists_fail_the_run(org, insights, postgres_url):
    land(insights, org, postgres_url, 1)
    org.list_file.write_text(org.list_file.read_text() + f"file://{org.root}/repos/new-one\n")
    for shard in (2, 3, 4):
        land(insights, org, postgres_url, shard)
    result = insights("finalize", "--run-key", "night", "--db", postgres_url, "--pagerduty-snapshot", org.snapshot)
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the shards of run key 'night' read different source lists (a repository list changed while they "
        "ran); run them again under a new key")


def test_shards_land_side_by_side_with_a_run_holding_the_lock(org, insights, postgres_url, held_catalog, spawn, db):
    """Shards do not take the run lock: a long run of another schedule does not hold them up."""
    held_catalog.hold_next()
    other = spawn("run", "--catalog", held_catalog.source, "--pagerduty-snapshot", org.snapshot, "--db", postgres_url,
                  env={"BACKSTAGE_TOKEN": "stand-in"})
    held_catalog.wait_arrived()
    land(insights, org, postgres_url, 3)
    held_catalog.let_go()
    assert db.finish(other)[0] == 0
    with create_engine(postgres_url).connect() as connection:
        assert connection.execute(text("SELECT status FROM run_shards WHERE shard = 3")).scalar() == "landed"


def test_collect_writes_the_snapshot_finalize_reads(insights, simulator, tmp_path):
    from insights.pagerduty.state import load_snapshot

    result = insights("collect", "--out", "pagerduty.json", "--pagerduty-url", simulator.url,
                      env={"PAGERDUTY_TOKEN": "test-token"})
    assert result.exit_code == 0, result.output
    state = load_snapshot(tmp_path / "pagerduty.json")
    assert result.stdout == f"pagerduty.json: {len(state.services)} services, {sum(state.requests.values())} requests\n"
    assert state.api_url == simulator.url and len(state.services) > 5
