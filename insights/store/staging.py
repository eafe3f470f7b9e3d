"""Where the shards of one run meet: a record per run key, a row per shard, and each shard's share of the
catalog (its sources, entities and findings, as JSON; integration keys concealed, see `conceal`) until
`insights finalize` stores the run.

Shards write without the run lock (`store.lock`): they land at the same time, and they never touch what
the lock protects (runs, history, retention). What keeps them apart is row locks in PostgreSQL:

- a shard lands in one transaction that locks its key's record (`SELECT ... FOR UPDATE`) and goes on only
  while the record is `pending`; finalize ends `pending` under the same row lock, so a shard either lands
  before finalize looks, or is refused;
- the shard's row names its latest attempt (the owner of the process, as runs name theirs): an attempt
  lands only while it is still the latest, and landing replaces that shard's rows, never another's.

Finalize works under the run lock, like any run, so a record found `finalizing` there was left by a
finalize that died: its stored run (if it got that far) says how it ended.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.exc import SQLAlchemyError

from insights.catalog.model import Entity, Finding
from insights.catalog.sources import SourceRead
from insights.catalog.validate import INTEGRATION_KEY, INTEGRATION_KEY_FORMAT
from insights.errors import ConfigError, SourceError, StoreError
from insights.pagerduty.state import PagerDutyState
from insights.store import tables as t
from insights.store.owners import describe
from insights.store.rows import as_json, bulk_insert

PAIRS = "__pairs__"  # marks a mapping whose keys are not all text (YAML allows numbers as keys)
FINISHED = ("succeeded", "failed")


@dataclass(frozen=True)
class ShardedRun:
    id: int
    key: str
    status: str  # pending, finalizing, succeeded, failed
    shard_count: int | None
    config_hash: str
    sources: list[str]
    run_id: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Shard:
    shard: int
    status: str  # running, landed, failed
    attempt: str
    started_at: datetime
    error: str | None = None
    source_count: int | None = None
    sources_digest: str | None = None

    def __str__(self) -> str:
        if self.status == "failed":
            return f"failed: {self.error}"
        started = self.started_at.astimezone(timezone.utc)
        return f"has not landed (started {started:%Y-%m-%d %H:%M:%S} UTC by {describe(self.attempt)})"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _refuse_finished(record: ShardedRun) -> None:
    if record.status in FINISHED:
        run = f" (run {record.run_id})" if record.run_id else ""
        raise ConfigError(f"run key {record.key!r} is already {record.status}{run}; a finished run is never "
                          "reopened: give the shards of a new run a new key (the date, or the scheduler's run id)")


class Staging:
    """The sharded runs of a store (PostgreSQL only; see `insights.shards`)."""

    def __init__(self, store):
        self.store = store

    def _fail(self, action: str, error: Exception) -> StoreError:
        return self.store._fail(action, error)

    # --- shards -----------------------------------------------------------------------------------------
    def open_shard(self, key: str, shard: int, count: int, config_hash: str, sources: list[str]) -> ShardedRun:
        """Record this process as shard `shard`'s latest attempt; the first shard of a key creates its record.
        A finished key, or one split another way, is refused."""
        try:
            with self.store.engine.begin() as connection:
                connection.execute(upsert(t.sharded_runs).values(
                    run_key=key, status="pending", shard_count=count, config_hash=config_hash,
                    sources=as_json(sources), created_at=_now()).on_conflict_do_nothing(index_elements=["run_key"]))
                record = self._record(connection, key, lock=True)
                _refuse_finished(record)
                if record.status != "pending":
                    raise ConfigError(f"run key {key!r} is being finalized; shard {shard} came too late to be part "
                                      "of it")
                self._agree(record, f"shard {shard}/{count}", count, config_hash, sources)
                values = dict(status="running", attempt=self.store.owner, started_at=_now(), landed_at=None,
                              error=None, source_count=None, sources_digest=None, entity_count=None)
                connection.execute(upsert(t.run_shards).values(sharded_run_id=record.id, shard=shard, **values)
                                   .on_conflict_do_update(index_elements=["sharded_run_id", "shard"], set_=values))
                return record
        except SQLAlchemyError as error:
            raise self._fail("record the shard", error) from error

    @staticmethod
    def _agree(record: ShardedRun, who: str, count: int, config_hash: str, sources: list[str]) -> None:
        key = record.key
        if record.shard_count != count:
            raise ConfigError(f"run key {key!r} is split into {record.shard_count} shards, not {count}: every shard "
                              f"of one run says --shard K/{record.shard_count}")
        if record.config_hash != config_hash:
            raise ConfigError(f"{who} of run key {key!r} reads another configuration (hash {config_hash}) than the "
                              f"shards before it ({record.config_hash}); every shard and finalize must read the same "
                              "scorecards.yaml and checks")
        if record.sources != sources:
            raise ConfigError(f"{who} of run key {key!r} crawls other catalog sources ({', '.join(sources)}) than "
                              f"the shards before it ({', '.join(record.sources)})")

    def land_shard(self, record: ShardedRun, shard: int, reads: list[tuple[int, SourceRead]], source_count: int,
                   sources_digest: str) -> None:
        """Replace shard `shard`'s share with `reads` ((position in the run's source list, what it gave)), if
        this process is still its latest attempt and the run is still waiting for shards."""
        try:
            with self.store.engine.begin() as connection:
                current = self._record(connection, record.key, lock=True)
                _refuse_finished(current)
                if current.status != "pending":
                    raise ConfigError(f"run key {record.key!r} is being finalized; shard {shard} landed too late to "
                                      "be part of it")
                attempt = connection.execute(select(t.run_shards.c.attempt).where(
                    t.run_shards.c.sharded_run_id == record.id, t.run_shards.c.shard == shard).with_for_update()).scalar()
                if attempt != self.store.owner:
                    raise StoreError(f"shard {shard} of run key {record.key!r} was started again ({describe(attempt)}) "
                                     "after this attempt; this attempt's share is dropped")
                self._replace_share(connection, record.id, shard, reads)
                connection.execute(update(t.run_shards).where(
                    t.run_shards.c.sharded_run_id == record.id, t.run_shards.c.shard == shard).values(
                    status="landed", landed_at=_now(), source_count=source_count, sources_digest=sources_digest,
                    entity_count=sum(len(read.entities) for _, read in reads)))
        except SQLAlchemyError as error:
            raise self._fail("store the shard", error) from error

    @staticmethod
    def _replace_share(connection, sharded_id: int, shard: int, reads: list[tuple[int, SourceRead]]) -> None:
        mine = {"sharded_run_id": sharded_id, "shard": shard}
        for table in (t.staged_sources, t.staged_items):
            connection.execute(delete(table).where(table.c.sharded_run_id == sharded_id, table.c.shard == shard))
        if reads:
            connection.execute(insert(t.staged_sources), [
                {**mine, "position": position, "label": read.label, "error": str(read.error) if read.error else None}
                for position, read in reads])
        items = [(position, kind, payload) for position, read in reads
                 for kind, payload in [("entity", entity_payload(e)) for e in read.entities]
                 + [("finding", finding_payload(f)) for f in read.findings]]
        bulk_insert(connection, t.staged_items, pd.DataFrame({
            **mine, "position": [i[0] for i in items], "seq": range(len(items)), "kind": [i[1] for i in items],
            "payload": [i[2] for i in items]}))

    def fail_shard(self, record: ShardedRun, shard: int, error: str) -> None:
        """Record why this attempt failed, if it is still the shard's latest; the database failing here is
        not what the user needs to hear about."""
        try:
            with self.store.engine.begin() as connection:
                connection.execute(update(t.run_shards).where(
                    t.run_shards.c.sharded_run_id == record.id, t.run_shards.c.shard == shard,
                    t.run_shards.c.attempt == self.store.owner, t.run_shards.c.status == "running").values(
                    status="failed", error=error[:4000]))
        except SQLAlchemyError:
            pass

    # --- finalize ---------------------------------------------------------------------------------------
    def find(self, key: str) -> ShardedRun | None:
        try:
            with self.store.engine.connect() as connection:
                return self._record(connection, key)
        except SQLAlchemyError as error:
            raise self._fail("read the sharded run", error) from error

    def shards(self, record: ShardedRun) -> dict[int, Shard]:
        columns = [t.run_shards.c[name] for name in Shard.__dataclass_fields__]
        try:
            with self.store.engine.connect() as connection:
                rows = connection.execute(select(*columns).where(t.run_shards.c.sharded_run_id == record.id)).all()
        except SQLAlchemyError as error:
            raise self._fail("read the shards", error) from error
        return {row.shard: Shard(**row._mapping) for row in rows}

    def claim(self, lock, key: str, config_hash: str, sources: list[str]) -> ShardedRun:
        """Under the run lock: take the key's record from `pending` to `finalizing` (no shard lands after
        this). A key no shard reached gets a record of its own, so that it is finished like any other."""
        try:
            with lock.transaction() as connection:
                connection.execute(upsert(t.sharded_runs).values(
                    run_key=key, status="pending", config_hash=config_hash, sources=as_json(sources),
                    created_at=_now()).on_conflict_do_nothing(index_elements=["run_key"]))
                record = self._record(connection, key, lock=True)
                if record.status == "finalizing":  # its finalize died (we hold the lock it held)
                    record = self._after_dead_finalize(connection, record)
                if record.status not in FINISHED:
                    if record.shard_count is not None:
                        self._agree(record, "finalize", record.shard_count, config_hash, record.sources)
                    connection.execute(update(t.sharded_runs).where(t.sharded_runs.c.id == record.id).values(
                        status="finalizing"))
        except SQLAlchemyError as error:
            raise self._fail("claim the sharded run", error) from error
        _refuse_finished(record)  # after the commit, which keeps what a dead finalize's run said
        return record

    def _after_dead_finalize(self, connection, record: ShardedRun) -> ShardedRun:
        """A finalize that stored its run but died before closing the record: the record follows the run.
        One that died earlier left the shards' shares as they were: this finalize starts again."""
        status = connection.execute(select(t.runs.c.status).where(t.runs.c.id == record.run_id)).scalar() \
            if record.run_id else None
        if status == "succeeded":
            self._close(connection, record.id, "succeeded", record.run_id, None)
            return ShardedRun(**{**record.__dict__, "status": "succeeded"})
        return record

    def link(self, lock, record: ShardedRun, run_id: int) -> None:
        try:
            with lock.transaction() as connection:
                connection.execute(update(t.sharded_runs).where(t.sharded_runs.c.id == record.id).values(run_id=run_id))
        except SQLAlchemyError as error:
            raise self._fail("record the run of the shards", error) from error

    def staged(self, record: ShardedRun) -> list[tuple[int, int, SourceRead]]:
        """Every landed source as (shard, position, what it gave), in the order of the run's source list."""
        s, i = t.staged_sources.c, t.staged_items.c
        try:
            with self.store.engine.connect() as connection:
                sources = connection.execute(select(s.shard, s.position, s.label, s.error).where(
                    s.sharded_run_id == record.id).order_by(s.position, s.shard)).all()
                items = connection.execute(select(i.shard, i.position, i.kind, i.payload).where(
                    i.sharded_run_id == record.id).order_by(i.shard, i.seq)).all()
        except SQLAlchemyError as error:
            raise self._fail("read the shards' catalog", error) from error
        given: dict[tuple[int, int], tuple[list, list]] = {(row.shard, row.position): ([], []) for row in sources}
        for item in items:
            entities, findings = given[(item.shard, item.position)]
            if item.kind == "entity":
                entities.append(entity_from_payload(item.payload))
            else:
                findings.append(finding_from_payload(item.payload))
        return [(row.shard, row.position, SourceRead(row.label, tuple(given[(row.shard, row.position)][0]),
                                                     tuple(given[(row.shard, row.position)][1]),
                                                     SourceError(row.error) if row.error is not None else None))
                for row in sources]

    def close(self, lock, record: ShardedRun, status: str, run_id: int | None, error: str | None = None) -> None:
        """Finish the key's record and drop the shards' shares (the stored run holds what is kept)."""
        try:
            with lock.transaction() as connection:
                self._close(connection, record.id, status, run_id, error)
        except SQLAlchemyError as failure:
            raise self._fail("finish the sharded run", failure) from failure

    @staticmethod
    def _close(connection, sharded_id: int, status: str, run_id: int | None, error: str | None) -> None:
        for table in (t.staged_sources, t.staged_items):
            connection.execute(delete(table).where(table.c.sharded_run_id == sharded_id))
        connection.execute(update(t.sharded_runs).where(t.sharded_runs.c.id == sharded_id).values(
            status=status, run_id=run_id, finished_at=_now(), error=error[:4000] if error else None))

    @staticmethod
    def _record(connection, key: str, lock: bool = False) -> ShardedRun | None:
        c = t.sharded_runs.c
        query = select(c.id, c.run_key, c.status, c.shard_count, c.config_hash, c.sources, c.run_id,
                       c.error).where(c.run_key == key)
        row = connection.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        return ShardedRun(row.id, row.run_key, row.status, row.shard_count, row.config_hash, json.loads(row.sources),
                          row.run_id, row.error)


# --- the staged catalog as JSON -----------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and PAIRS not in value:
            return {k: _plain(v) for k, v in value.items()}
        return {PAIRS: [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _restored(value):
    if isinstance(value, dict):
        if set(value) == {PAIRS}:
            return {_key(_restored(k)): _restored(v) for k, v in value[PAIRS]}
        return {k: _restored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restored(v) for v in value]
    return value


def _key(value):
    return tuple(map(_key, value)) if isinstance(value, list) else value


def conceal(key: str) -> str:
    """An integration key as staged: a digest of the same form (32 hexadecimal characters), so that finalize
    matches it against the account's keys digested alike and tells a well-formed key from a malformed one,
    while the database never holds a key (a secret: it triggers incidents). A value that is not a key's form
    is left as it is: it is reported as malformed, quoted, in any run."""
    if not INTEGRATION_KEY_FORMAT.match(key):
        return key
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def conceal_service(service: dict) -> dict:
    """A PagerDuty service with its integration keys concealed as staged entities' are."""
    if not service.get("integrations"):
        return service
    return {**service, "integrations": [{**i, "integration_key": conceal(i["integration_key"])}
                                        if isinstance(i.get("integration_key"), str) else i
                                        for i in service["integrations"]]}


def conceal_state(state: PagerDutyState) -> PagerDutyState:
    return replace(state, services=[conceal_service(service) for service in state.services])


def entity_payload(entity: Entity) -> str:
    """The entity as staged: everything facts read. `spec` is left out: no fact reads it (a shard follows the
    Location entities), and it can hold whole API definitions."""
    fields = {name: _plain(getattr(entity, name)) for name in Entity.__dataclass_fields__ if name != "spec"}
    key = entity.annotations.get(INTEGRATION_KEY)
    if isinstance(key, str) and conceal(key.strip()) != key.strip():  # the facts read it stripped
        fields["annotations"][INTEGRATION_KEY] = conceal(key.strip())
    return json.dumps(fields)


def entity_from_payload(payload: str) -> Entity:
    fields = {name: _restored(value) for name, value in json.loads(payload).items()}
    return Entity(**{**fields, "tags": tuple(fields["tags"]), "links": tuple(fields["links"])})


def finding_payload(finding: Finding) -> str:
    return json.dumps([getattr(finding, name) for name in Finding.__dataclass_fields__])


def finding_from_payload(payload: str) -> Finding:
    return Finding(*json.loads(payload))
