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
        pytest.skip(reason, allow_module_level=True)


def imported(name: str, reason: str = ""):
    """A test dependency (`.[test]`), imported: skipped without it on a developer's machine, a failure in CI."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        require(False, reason or f"{name} is not installed (pip install -e '.[test]')")


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
def snapshot(tmp_path, demo_state) -> Path:
    """The demo account as a snapshot file in tmp_path (as captured: its times are not moved)."""
    from insights.pagerduty.state import save_snapshot

    save_snapshot(demo_state, tmp_path / "snap.json")
    return tmp_path / "snap.json"


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'insights.db'}"


POSTGRES_ADMIN = os.environ.get("INSIGHTS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_ADMIN = os.environ.get("INSIGHTS_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def server_database(admin_url: str, server: str, driver: str, create: str, drop: str, options: str = ""):
    """A fresh database on a local server, its URL yielded, dropped afterwards. `create` and `drop` are
    statements with `{name}` in them."""
    import sqlalchemy
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


# --- runs held at a known point, and small real filesystems -------------------------------------

class HeldCatalog:
    """A Backstage catalog API on 127.0.0.1 serving the demo catalog, that can hold one request until the
    test lets it go: a run held there has taken the run lock and recorded itself `running`, and is crawling."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import yaml

        items = []
        for path in sorted((demo_data() / "catalog").rglob("*.yaml")):
            try:
                items += [doc for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict) and doc.get("kind")]
            except yaml.YAMLError:
                continue  # the demo catalog holds broken files on purpose
        self.items, self.arrived, self.gate = items, threading.Event(), threading.Event()
        self.gate.set()
        self._hold, self._mutex = False, threading.Lock()
        page = json.dumps({"items": items, "pageInfo": {}}).encode()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                with owner._mutex:
                    held, owner._hold = owner._hold, False
                if held:
                    owner.arrived.set()
                    owner.gate.wait(300)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.source = f"backstage:http://127.0.0.1:{self.server.server_address[1]}"

    def hold_next(self) -> None:
        """The next request waits until `let_go`."""
        self.arrived.clear()
        self.gate.clear()
        with self._mutex:
            self._hold = True

    def wait_arrived(self, timeout: float = 120) -> None:
        assert self.arrived.wait(timeout), "the run never reached the catalog"

    def let_go(self) -> None:
        self.gate.set()

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def held_catalog():
    catalog = HeldCatalog()
    yield catalog
    catalog.close()


class Tmpfs:
    """A real filesystem of a few hundred KB (tmpfs) mounted for one test: full disks and read-only folders
    as the kernel reports them, root included."""

    def __init__(self, path: Path, size: str):
        import subprocess

        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                 capture_output=True, text=True)
        require(mounted.returncode == 0, f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")

    def read_only(self) -> None:
        import subprocess

        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True, capture_output=True)

    def fill(self) -> None:
        """Take every free block, as a disk that filled up does."""
        import errno

        with open(self.path / "filler", "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError as error:
                assert error.errno == errno.ENOSPC

    def unmount(self) -> None:
        import subprocess

        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


@pytest.fixture()
def tmpfs(tmp_path):
    """`tmpfs(name, size)`: a mounted tmpfs at tmp_path/name, unmounted after the test."""
    require(os.geteuid() == 0, "mounting a small filesystem needs root")
    mounts = []

    def mount(name: str = "disk", size: str = "2m") -> Tmpfs:
        mounts.append(Tmpfs(tmp_path / name, size))
        return mounts[-1]

    yield mount
    for mounted in mounts:
        mounted.unmount()


@pytest.fixture()
def insights(tmp_path, monkeypatch):
    """`insights(*args, env=...)`: the command line in this process (click's CliRunner), from tmp_path, with
    no credential or database in the environment unless given; errors go through the CLI's own mapping."""
    from click.testing import CliRunner

    from insights.cli import cli

    monkeypatch.chdir(tmp_path)
    hidden = dict.fromkeys(("PAGERDUTY_TOKEN", "PD_CLIENT_ID", "PD_CLIENT_SECRET", "INSIGHTS_DB_URL",
                            "BACKSTAGE_TOKEN"))

    def invoke(*args, env=None):
        return CliRunner().invoke(cli, [str(a) for a in args], env={**hidden, **(env or {})},
                                  catch_exceptions=False)
    return invoke
