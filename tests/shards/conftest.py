"""A generated organisation for the sharded-run tests: real git repositories on disk named in a repository
list (three per shard of four), a folder source (shard 1), a repository that cannot be cloned, and the
generated PagerDuty account as a snapshot. Across shards it holds what only the whole catalog decides: an
entity defined in two repositories of different shards, services that entities of different shards share,
services nobody names; and broken files, a Location and a waiver.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, select, text

from insights.catalog.sources import Source
from insights.pagerduty.generate import generate
from insights.pagerduty.state import save_snapshot
from insights.shards import shard_of
from insights.store import tables as t
from insights.store.delta import DELTA_TABLES, history

SCRIPT = Path(sys.executable).parent / "insights"
SHARDS = 4
STAGING = {"sharded_runs", "run_shards", "staged_sources", "staged_items"}
NOT_COMPARED = {"run_id", "id", "started_at", "finished_at", "owner", "heartbeat_at", "stages"}
CODED = {"names", "texts"}  # ids given in the order names and texts arrive: compared through the rows naming them
HIDDEN = ("PAGERDUTY_TOKEN", "PD_CLIENT_ID", "PD_CLIENT_SECRET", "INSIGHTS_DB_URL", "INSIGHTS_CACHE")


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, timeout=60)


def commit(repository: Path, files: dict[str, str], message: str = "catalog") -> None:
    for name, content in files.items():
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text(content)
    git(repository, "add", "-A")
    git(repository, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)


def component(name: str, service_id: str | None = None, extra: str = "") -> str:
    annotation = f"\n  annotations:\n    pagerduty.com/service-id: {service_id}{extra}" if service_id else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}{annotation}\n"
            f"spec:\n  type: service\n  lifecycle: production\n  owner: team-1\n")


@dataclass
class Org:
    root: Path
    repositories: dict[int, list[Path]] = field(default_factory=dict)  # shard -> its repositories
    folder: Path | None = None
    snapshot: Path | None = None
    list_file: Path | None = None

    @property
    def catalog(self) -> list[str]:
        """The --catalog arguments of every run of this organisation."""
        return ["--catalog", f"list:{self.list_file}", "--catalog", str(self.folder)]

    def change(self, shard: int, files: dict[str, str]) -> None:
        """Commit files into the first repository of a shard's share."""
        commit(self.repositories[shard][0], files, "change")

    def cache(self, name: str) -> dict[str, str]:
        """A git cache of its own, as each machine of a real deployment has."""
        return {"INSIGHTS_CACHE": str(self.root / "caches" / name)}


def _repositories(root: Path) -> dict[int, list[Path]]:
    """Three repositories per shard: names are tried in order until each shard has its three."""
    chosen: dict[int, list[Path]] = {k: [] for k in range(1, SHARDS + 1)}
    number = 0
    while any(len(v) < 3 for v in chosen.values()):
        path = root / "repos" / f"repo-{number:02d}"
        share = chosen[shard_of(Source("git", f"file://{path}"), SHARDS)]
        if len(share) < 3:
            share.append(path)
        number += 1
    return chosen


@pytest.fixture()
def org(tmp_path) -> Org:
    generated = generate(24, 96, seed=7, now=datetime(2026, 3, 14, 2, 0, tzinfo=timezone.utc))
    made = Org(tmp_path, _repositories(tmp_path))
    repositories = [path for k in sorted(made.repositories) for path in made.repositories[k]]
    files: dict[Path, dict[str, str]] = {path: {} for path in repositories}
    for index, document in enumerate(generated.catalog):
        files[repositories[index % len(repositories)]][f"svc-{index}/catalog-info.yaml"] = document
    first, second = made.repositories[1][0], made.repositories[3][0]
    shared_service = generated.state.services[5]["id"]
    files[first]["twice/catalog-info.yaml"] = component("defined-twice", shared_service)
    files[second]["twice/catalog-info.yaml"] = component("defined-twice", shared_service)
    files[made.repositories[2][0]]["broken/catalog-info.yaml"] = "apiVersion: backstage.io/v1alpha1\nkind: [\n"
    files[made.repositories[4][0]]["catalog-info.yaml"] = (
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: apis\nspec:\n  targets: [./apis/*.yaml]\n")
    files[made.repositories[4][0]]["apis/orders.yaml"] = (
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: orders-api\n  annotations:\n"
        f"    pagerduty.com/service-id: {shared_service}\nspec:\n  type: openapi\n  lifecycle: production\n"
        "  owner: team-2\n  definition: openapi\n")
    for path, content in files.items():
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")
        commit(path, content)
    made.folder = tmp_path / "platform"
    (made.folder / "gateway").mkdir(parents=True)
    (made.folder / "gateway" / "catalog-info.yaml").write_text(component(
        "gateway", shared_service, '\n    insights.dev/waive.oncall-now: "2026-04-30: the rota starts in April"'))
    (made.folder / "copy").mkdir()
    (made.folder / "copy" / "catalog-info.yaml").write_text(component("defined-twice"))
    made.list_file = tmp_path / "repos.txt"
    made.list_file.write_text("# the organisation's repositories\n" + "".join(f"file://{p}\n" for p in repositories)
                              + f"file://{tmp_path}/repos/gone main\n")
    made.snapshot = tmp_path / "pagerduty.json"
    save_snapshot(generated.state, made.snapshot)
    return made


@pytest.fixture()
def spawn(tmp_path):
    """`spawn(*args, env=...)`: the installed `insights` command as a process of its own, from tmp_path."""
    base = {k: v for k, v in os.environ.items() if k not in HIDDEN}

    def start(*args, env=None) -> subprocess.Popen:
        return subprocess.Popen([str(SCRIPT), *map(str, args)], cwd=tmp_path, env={**base, **(env or {})},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return start


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=600)
    return process.returncode, stderr


@pytest.fixture()
def reference_url(postgres_url):
    """A second fresh PostgreSQL database beside `postgres_url`, for the run of one process."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = postgres_url.rsplit("/", 1)[1] + "_one"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def stored_rows(db_url: str) -> dict[str, list[tuple]]:
    """Every row of every table a run writes, without run ids, row ids and times; findings in the order they
    were written, other tables sorted."""
    engine = create_engine(db_url)
    rows = {}
    with engine.connect() as connection:
        for table in t.metadata.sorted_tables:
            if table.name in STAGING | CODED:
                continue
            if table.name in DELTA_TABLES:  # with names and texts in place of their ids
                named = history(connection, table.name, 2**31 - 1).drop(columns=["run_id"]).astype(object)
                named = named.where(named.notna(), None)  # NULL as None, as rows read through SQL have it
                rows[table.name] = sorted(named.itertuples(index=False, name=None), key=repr)
                continue
            columns = [c for c in table.columns if c.name not in NOT_COMPARED]
            order = [table.c.id] if table is t.findings else columns
            rows[table.name] = [tuple(row) for row in connection.execute(select(*columns).order_by(*order))]
    engine.dispose()
    return rows


def until(condition, what: str, timeout: float = 120) -> None:
    """Poll what another process brings about (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def staged_rows(db_url: str) -> dict[str, list[tuple]]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        found = {table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.columns))]
                 for table in (t.staged_sources, t.staged_items)}
    engine.dispose()
    return found


@pytest.fixture(scope="session")
def db():
    """What the tests read from a database and a finished process: `db.stored(url)`, `db.staged(url)`,
    `db.finish(process)`, `db.until(condition, what)`, and `db.component(name, service_id)` (a descriptor)."""
    return SimpleNamespace(stored=stored_rows, staged=staged_rows, finish=finish, until=until,
                           component=component)
