"""A run split over machines that a scheduler runs: shards crawl, one finalize evaluates and stores.

    insights run --shard K/N --run-key KEY     (N of them, anywhere, at once)
    insights finalize --run-key KEY            (once, after them)

Shard K reads the sources whose share is K: a git repository by a stable hash of its URL (without
credentials), and every source that is not a git repository (folders, files, Backstage APIs) in shard 1.
It lands what each of its sources gave (entities with everything facts need, findings, or why the source
could not be read) in the database under the run key (`insights.store.staging`), replacing its own earlier
share if it runs again.

Finalize puts the shares back in the order of the run's source list and does the rest exactly as one
process does: the catalog is assembled by the very function a crawl uses (duplicates across repositories,
severities, "no source could be read"), then PagerDuty, facts, checks, scorecards and organisation results
over the whole catalog, stored as one run, with reports, gates and retention. Evaluating once, rather than
in the shards, is what makes the result the single-process result by construction: several facts look
across entities (`pagerduty.service_shared`, the services no entity names, duplicates) and would need a
second pass anyway, and evaluating 50,000 entities takes seconds, while the crawl and PagerDuty's per-key
budget take the night. A shard missing, failed or not landed leaves the run failed, and the previous run
stays the latest.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from insights.catalog.sources import Source, SourceRead, assemble, expand, read_sources
from insights.catalog.urls import split_credentials
from insights.errors import ConfigError, InsightsError, SourceError, StoreError, interruption
from insights.evaluation import RunBundle, evaluate_run
from insights.pagerduty.auth import CLIENT_ID_ENV, CLIENT_SECRET_ENV, TOKEN_ENV
from insights.pagerduty.collect import CollectOptions
from insights.pagerduty.state import PagerDutyState, load_snapshot, parse_time
from insights.pipeline import (RunOptions, RunOutcome, catalog_sources, crawl_settings, database_url,
                               kept_for_reports, pagerduty_state, publish, wanted_services)
from insights.store import Store
from insights.store.maintenance import check_retention
from insights.store.staging import ShardedRun, Staging, conceal_service, conceal_state

log = logging.getLogger(__name__)

MAX_SHARDS = 1000
SHARD = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9})\s*$")
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}$")
SCHEMA_WAIT_S = 120.0  # how long a shard waits for another process to set the schema up
POLL_S = 2.0


@dataclass(frozen=True)
class ShardSpec:
    index: int  # 1..count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class ShardOutcome:
    key: str
    shard: ShardSpec
    sources: int  # this shard's
    total: int  # the run's, once repository lists are read
    entities: int
    findings: int
    unreadable: int


def parse_shard(text: str) -> ShardSpec:
    match = SHARD.match(text or "")
    index, count = (int(match[1]), int(match[2])) if match else (0, 0)
    if not match or not 1 <= index <= count <= MAX_SHARDS:
        raise ConfigError(f"--shard must be K/N with 1 <= K <= N <= {MAX_SHARDS} (shard K of N), not {text!r}")
    return ShardSpec(index, count)


def check_key(key: str) -> str:
    if not KEY.match(key or ""):
        raise ConfigError(f"--run-key must be 1 to 128 letters, digits or ._:@+=/- starting with a letter or digit "
                          f"(the date, or the scheduler's run id), not {key!r}")
    return key


def shard_of(source: Source, count: int) -> int:
    """The share a source belongs to: git repositories by their URL's hash (stable across nights and
    machines), everything else in shard 1."""
    if source.kind != "git":
        return 1
    url = split_credentials(source.location)[0]
    return 1 + int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big") % count


def sources_digest(expanded: list[Source]) -> str:
    return hashlib.sha256("\n".join(s.label for s in expanded).encode()).hexdigest()


def require_postgres(store: Store) -> None:
    engine = store.engine.dialect.name
    if engine == "postgresql":
        return
    why = ("SQLite is a file on one machine, which shards on other machines cannot share" if engine == "sqlite"
           else f"{engine} is not supported for them; run the job unsharded there")
    raise ConfigError(f"sharded runs (--shard, finalize) need PostgreSQL, and {store.safe_url} is {engine}: {why}")


def _schema_ready(store: Store) -> None:
    """Shards and finalize start together: one sets an empty database up while the others wait for it.
    A database of another schema version is refused at once."""
    deadline = time.monotonic() + SCHEMA_WAIT_S
    while True:
        current, head = store.schema_state()
        if current == head:
            return
        try:
            store.ensure_schema()
            return
        except StoreError:
            if current is not None or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


# --- a shard ------------------------------------------------------------------------------------------------

def run_shard(options: RunOptions, shard: ShardSpec, key: str) -> ShardOutcome:
    """Crawl this shard's share of the catalog and land it under the run key."""
    sources = catalog_sources(options)
    check_key(key)
    store = Store(database_url(options.db_url, options.config), options.lock_timing)
    require_postgres(store)
    _schema_ready(store)
    staging = Staging(store)
    record = staging.open_shard(key, shard.index, shard.count, options.config.hash, [s.label for s in sources])
    try:
        expanded = expand(list(sources))
        mine = [(position, source) for position, source in enumerate(expanded)
                if shard_of(source, shard.count) == shard.index]
        log.info("run key %s, shard %s: %d of %d sources", key, shard, len(mine), len(expanded))
        with options.progress.stage("crawl", "files") as advance:
            reads = read_sources([source for _, source in mine], crawl_settings(options.config), advance)
        landed = [(position, read) for (position, _), read in zip(mine, reads)]
        staging.land_shard(record, shard.index, landed, len(expanded), sources_digest(expanded))
    except InsightsError as error:
        staging.fail_shard(record, shard.index, str(error))
        raise
    except BaseException as error:
        staging.fail_shard(record, shard.index, interruption(error))
        raise
    return ShardOutcome(key, shard, len(mine), len(expanded), sum(len(r.entities) for r in reads),
                        sum(len(r.findings) for r in reads), sum(1 for r in reads if r.error))


# --- finalize -----------------------------------------------------------------------------------------------

def finalize(options: RunOptions, key: str, wait_s: float = 0.0) -> RunOutcome:
    """Store the run of `key` from its shards' shares, once every shard has landed (waiting up to `wait_s`
    seconds for them), under the run lock like any run; else the run is failed."""
    check_key(key)
    check_retention(options.config.keep_runs, options.config.keep_days)
    store = Store(database_url(options.db_url, options.config), options.lock_timing)
    require_postgres(store)
    if not options.snapshot and not options.credential:
        raise ConfigError(f"no PagerDuty data for run key {key!r}: give finalize --pagerduty-snapshot FILE (from "
                          f"`insights collect`), or set {TOKEN_ENV} (or {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}) to "
                          "collect it now")
    _schema_ready(store)
    staging = Staging(store)
    _wait_for_shards(staging, key, wait_s)
    sources = [s.label for s in options.config.sources]
    with store.writing() as lock:
        store.fail_interrupted_runs()
        record = staging.claim(lock, key, options.config.hash, sources)
        run_id = store.begin_run(config_hash=options.config.hash, sources=record.sources)
        staging.link(lock, record, run_id)
        kept = kept_for_reports(_store_run(options, store, staging, lock, record, run_id))
        return publish(options, store, run_id, kept)


def _wait_for_shards(staging: Staging, key: str, wait_s: float) -> None:
    deadline, said = time.monotonic() + wait_s, ""
    while True:
        record = staging.find(key)
        waiting = _not_landed(staging, record) if record and record.status == "pending" else []
        if (record and not waiting) or time.monotonic() >= deadline:
            return
        news = ", ".join(waiting) if waiting else "its first shard"
        if news != said:  # a line when something changed, not one per poll
            log.info("run key %s: waiting for %s", key, news)
            said = news
        time.sleep(max(0.0, min(POLL_S, deadline - time.monotonic())))


def _not_landed(staging: Staging, record: ShardedRun) -> list[str]:
    shards = staging.shards(record)
    count = record.shard_count
    return [f"shard {k}/{count} " + (str(shards[k]) if k in shards else "never started")
            for k in range(1, count + 1) if k not in shards or shards[k].status != "landed"]


def _store_run(options: RunOptions, store: Store, staging: Staging, lock, record: ShardedRun,
               run_id: int) -> RunBundle:
    """Assemble, collect, evaluate and store; a failure fails the run and finishes the key's record."""
    try:
        catalog = assemble(_shares(staging, record), crawl_settings(options.config).severity)
        log.info("run %d (key %s): %d entities, %d findings from %d shards", run_id, record.key,
                 len(catalog.entities), len(catalog.findings), record.shard_count)
        state, as_of = _pagerduty(options, catalog)
        lock.ensure()
        bundle = evaluate_run(options.config, catalog, state, as_of)
        store.save_run(run_id, bundle)
        staging.close(lock, record, "succeeded", run_id)
        return bundle
    except BaseException as error:
        message = str(error) if isinstance(error, InsightsError) else interruption(error)
        store.fail_run(run_id, message)
        try:
            staging.close(lock, record, "failed", run_id, message)
        except InsightsError:
            pass  # the record stays `finalizing`; the next finalize of the key finds the run failed
        raise


def _shares(staging: Staging, record: ShardedRun) -> list[SourceRead]:
    """Every shard's share, in the order of the run's source list; SourceError unless all landed whole."""
    if record.shard_count is None:
        raise SourceError(f"no shard of run key {record.key!r} arrived; the run is failed and the previous run "
                          "stays the latest")
    missing = _not_landed(staging, record)
    if missing:
        raise SourceError(f"run key {record.key!r} is missing shards: {'; '.join(missing)}. The run is failed "
                          "and the previous run stays the latest")
    lists = {(s.source_count, s.sources_digest) for s in staging.shards(record).values()}
    staged = staging.staged(record)
    if len(lists) != 1 or [position for _, position, _ in staged] != list(range(next(iter(lists))[0])):
        raise SourceError(f"the shards of run key {record.key!r} read different source lists (a repository list "
                          "changed while they ran); run them again under a new key")
    return [read for _, _, read in staged]


def _pagerduty(options: RunOptions, catalog) -> tuple[PagerDutyState, datetime]:
    """The snapshot given to finalize (evaluated as of its collection), or a collection now for the services
    the catalog names; its integration keys concealed as the staged entities' are."""
    if options.snapshot:
        state = load_snapshot(options.snapshot)
        return conceal_state(state), parse_time(state.collected_at) or datetime.now(timezone.utc)
    wanted = wanted_services(catalog, options.config)
    state = pagerduty_state(options, ConcealedWanted(service_ids=wanted.service_ids,
                                                     integration_keys=wanted.integration_keys))
    return conceal_state(state), datetime.now(timezone.utc)


@dataclass(frozen=True)
class ConcealedWanted(CollectOptions):
    """The services a staged catalog points at, whose integration keys are concealed: a service is wanted
    when one of its keys, concealed alike, is among them."""

    def wants(self, service: dict) -> bool:
        return super().wants(conceal_service(service))
