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


@pytest.fixture()
def postgres_url():
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        require(False, "psycopg is not installed (pip install -e '.[test]')")
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"insights_test_{uuid.uuid4().hex[:10]}"
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as error:
        require(False, f"PostgreSQL is not reachable at {POSTGRES_ADMIN}: {str(error.orig).strip()[:120]}")
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


MARIADB_ADMIN = os.environ.get("INSIGHTS_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


@pytest.fixture()
def mariadb_url():
    """A fresh database on the local MariaDB/MySQL server, dropped afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    try:
        import pymysql  # noqa: F401
    except ImportError:
        require(False, "PyMySQL is not installed (pip install -e '.[test]')")
    admin = sqlalchemy.create_engine(MARIADB_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"insights_test_{uuid.uuid4().hex[:10]}"
            connection.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    except sqlalchemy.exc.OperationalError as error:
        require(False, f"MariaDB is not reachable at {MARIADB_ADMIN}: {str(error.orig).strip()[:120]}")
    base = MARIADB_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}?charset=utf8mb4"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'insights.db'}"
    return request.getfixturevalue({"postgresql": "postgres_url", "mariadb": "mariadb_url"}[request.param])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
