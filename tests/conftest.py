"""Shared fixtures: the simulator on an ephemeral port, reference data from ../shared, databases."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from insights.catalog.sources import Source, crawl
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import load_snapshot, parse_time, shift_times
from insights.resources import demo_data

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip with a clear reason on a developer's machine; in CI a missing prerequisite is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def need():
    """`need(condition, reason)`: skip here, fail in CI (for prerequisites such as a browser)."""
    return require


@pytest.fixture(scope="session")
def shared() -> Path:
    require(SHARED.is_dir(), f"reference data not found at {SHARED} (../shared beside the repository)")
    return SHARED


@pytest.fixture(scope="session")
def demo_state():
    return load_snapshot(demo_data() / "pagerduty.json")


@pytest.fixture(scope="session")
def demo_now(demo_state) -> datetime:
    return parse_time(demo_state.collected_at)


@pytest.fixture(scope="session")
def demo_catalog():
    root = demo_data() / "catalog"
    return crawl([Source("folder", str(p)) for p in sorted(root.iterdir()) if p.is_dir()])


@pytest.fixture()
def simulator(demo_state):
    """The demo account, its shifts and incidents moved so that its capture time is now."""
    state = shift_times(demo_state, datetime.now(timezone.utc))
    with Simulator(state, SimulatorSettings(token="test-token")) as running:
        yield running


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'insights.db'}"


POSTGRES_ADMIN = os.environ.get("INSIGHTS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_ADMIN = os.environ.get("INSIGHTS_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def server_database(admin_url: str, server: str, driver: str, create: str, drop: str, options: str = ""):
    """A fresh database on a local server, its URL yielded, dropped afterwards. `create` and `drop` are
    statements with `{name}` in them."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    try:
        __import__(driver)
    except ImportError:
        require(False, f"{driver} is not installed (pip install -e '.[test]')")
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"insights_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(create.format(name=name))
    except sqlalchemy.exc.OperationalError as error:
        require(False, f"{server} is not reachable at {admin_url}: {str(error.orig).strip()[:120]}")
    yield f"{admin_url.rsplit('/', 1)[0]}/{name}{options}"
    with admin.connect() as connection:
        connection.exec_driver_sql(drop.format(name=name))
    admin.dispose()


@pytest.fixture()
def postgres_url():
    yield from server_database(POSTGRES_ADMIN, "PostgreSQL", "psycopg", 'CREATE DATABASE "{name}"',
                               'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def mariadb_url():
    yield from server_database(MARIADB_ADMIN, "MariaDB", "pymysql", "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
                               "DROP DATABASE IF EXISTS `{name}`", "?charset=utf8mb4")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'insights.db'}"
    return request.getfixturevalue({"postgresql": "postgres_url", "mariadb": "mariadb_url"}[request.param])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
