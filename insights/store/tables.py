"""The schema (see README, "Database"). The change-only tables hold ids of names and texts; the views of
migration 0008 (`latest_check_results`, ...) show the latest run in plain rows a person can query by hand."""

from __future__ import annotations

from sqlalchemy import (Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, PrimaryKeyConstraint, String,
                        Table, Text)

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running, succeeded, failed
    Column("tool_version", String(32), nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("sources", Text, nullable=False),  # JSON list of source labels
    Column("pagerduty_url", String(255)),
    Column("pagerduty_collected_at", String(40)),
    Column("pagerduty_requests", Text),  # JSON {endpoint: count}
    Column("entity_count", Integer),
    Column("error", Text),
    Column("fact_ids", Text),  # JSON list: the facts this run computed (fact_values holds changes only)
    Column("owner", String(255)),  # JSON: host, pid, process start and token of the process running it
    Column("heartbeat_at", DateTime(timezone=True)),  # the owner's last sign of life, by the database's clock
    Column("stages", Text),  # JSON {stage: wall seconds}: crawl, collect, evaluate, store, reports
    # JSON list, per PagerDuty account: account, api_url, collected_at, requests, response_source
    Column("pagerduty_accounts", Text),
    Index("ix_runs_status_id", "status", "id"),
)
# What a run is, as reports show it; the owner columns are the run lock's bookkeeping.
RUN_COLUMNS = [column for column in runs.columns if column.name not in ("owner", "heartbeat_at")]


def _run_id() -> Column:
    return Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False)


def _bulk_run_id() -> Column:
    """run_id of the tables with a row per entity and fact/check: no foreign key, whose per-row check cost
    PostgreSQL more than the writing (the store sets run_id; retention deletes table by table)."""
    return Column("run_id", Integer, nullable=False)


entities = Table(
    "entities", metadata,
    _run_id(),
    Column("ref", String(255), nullable=False),
    Column("kind", String(63), nullable=False),
    Column("namespace", String(63), nullable=False),
    Column("name", String(255), nullable=False),
    Column("title", String(255)),
    Column("description", Text),
    Column("owner", String(255)),
    Column("system", String(255)),
    Column("lifecycle", String(63)),
    Column("type", String(63)),
    Column("source", String(512)),
    Column("repository", String(512)),
    Column("path", String(1024)),
    Column("line", Integer),
    Index("ix_entities_run_ref", "run_id", "ref", unique=True),
    Index("ix_entities_owner_run", "owner", "run_id"),
)

# The three change-only tables (see `insights.store.delta`) hold numbers: names (entity refs, fact, check and
# scorecard ids) and texts (fact values as JSON, reasons, fixes) are stored once, in `names` and `texts`, and
# the rows name them by id. The primary key is the read order; SQLite keeps such a table as its own index.
names = Table(
    "names", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # given by the store, under the run lock
    Column("name", String(255), nullable=False),
    Index("ix_names_name", "name", unique=True),
)

texts = Table(
    "texts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # given by the store, under the run lock
    Column("text", Text, nullable=False),
)


def _keys(table: str, *columns: str) -> list:
    """run_id and the coded key columns, whose primary key is (keys..., run_id)."""
    return [_bulk_run_id(), *(Column(c, Integer, nullable=False) for c in columns),
            PrimaryKeyConstraint(*columns, "run_id", name=f"pk_{table}")]


fact_values = Table(
    "fact_values", metadata,
    *_keys("fact_values", "entity_key", "fact_key"),
    Column("value_key", Integer),  # texts.id of the JSON value; NULL = unknown
    sqlite_with_rowid=False,
)

checks = Table(
    "checks", metadata,
    _run_id(),
    Column("check_id", String(127), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("weight", Float, nullable=False),
    Column("defined_at", String(1024)),
    Index("ix_checks_run_check", "run_id", "check_id", unique=True),
)

check_results = Table(
    "check_results", metadata,
    *_keys("check_results", "entity_key", "check_key"),
    Column("outcome", String(16), nullable=False),  # pass, fail, unknown, not-applicable, waived
    Column("reason_key", Integer),  # texts.id
    Column("fix_key", Integer),  # texts.id
    sqlite_with_rowid=False,
)

scorecards = Table(
    "scorecards", metadata,
    _run_id(),
    Column("scorecard_id", String(127), nullable=False),
    Column("name", String(255), nullable=False),
    Column("levels", Text, nullable=False),  # JSON [{name, checks}]
    Index("ix_scorecards_run_scorecard", "run_id", "scorecard_id", unique=True),
)

scorecard_results = Table(
    "scorecard_results", metadata,
    *_keys("scorecard_results", "entity_key", "scorecard_key"),
    Column("level", String(63)),  # NULL: no level reached
    Column("score", Float),  # NULL: nothing known
    Column("passed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("unknown", Integer, nullable=False),
    sqlite_with_rowid=False,
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_id(),
    Column("code", String(63), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("source", String(512)),
    Column("path", String(1024)),
    Column("line", Integer),
    Column("entity_ref", String(255)),
    Index("ix_findings_run", "run_id"),
)

organisation_results = Table(
    "organisation_results", metadata,
    _run_id(),
    Column("kind", String(32), nullable=False),  # orphan-service, shared-service
    Column("service_id", String(32), nullable=False),
    Column("service_name", String(255)),
    Column("detail", Text),  # JSON
    Index("ix_organisation_results_run", "run_id", "kind"),
)

# --- sharded runs (see insights.shards): each shard lands its share of the catalog here, and `insights finalize`
# stores the run from it. A key's row stays once finished, so the key is never used twice.

sharded_runs = Table(
    "sharded_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_key", String(255), nullable=False),
    Column("status", String(16), nullable=False),  # pending, finalizing, succeeded, failed
    Column("shard_count", Integer),  # NULL: no shard arrived (finalize found none)
    Column("config_hash", String(64), nullable=False),
    Column("sources", Text, nullable=False),  # JSON list of source labels, as for runs
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL")),  # the run finalize stored
    Column("error", Text),
    Index("ix_sharded_runs_key", "run_key", unique=True),
)

run_shards = Table(
    "run_shards", metadata,
    Column("sharded_run_id", Integer, ForeignKey("sharded_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("shard", Integer, primary_key=True, autoincrement=False),  # 1..shard_count
    Column("status", String(16), nullable=False),  # running, landed, failed
    Column("attempt", String(255), nullable=False),  # the owner (host, pid, token) of the latest attempt
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("landed_at", DateTime(timezone=True)),
    Column("error", Text),
    Column("source_count", Integer),  # sources of the whole run, as this shard read the list
    Column("sources_digest", String(64)),  # sha256 of their labels in order: every shard must agree
    Column("entity_count", Integer),
)

# One row per source of a shard's share (its place in the run's source list, and why it could not be read),
# one per entity or finding it gave (JSON); no foreign keys, for the same reason as the bulk tables.
def _share() -> list[Column]:
    """Which sharded run, which shard, and the place of the source in the run's source list."""
    return [Column(name, Integer, nullable=False) for name in ("sharded_run_id", "shard", "position")]


staged_sources = Table(
    "staged_sources", metadata,
    *_share(),
    Column("label", Text, nullable=False),
    Column("error", Text),
    Index("ix_staged_sources_run_shard_position", "sharded_run_id", "shard", "position", unique=True),
)

staged_items = Table(
    "staged_items", metadata,
    *_share(),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # entity, finding
    Column("payload", Text, nullable=False),  # JSON
    Index("ix_staged_items_run_shard_position_seq", "sharded_run_id", "shard", "position", "seq", unique=True),
)
