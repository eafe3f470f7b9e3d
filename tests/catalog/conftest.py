"""Fixtures of the catalog tests: Backstage's own validators (npm `@backstage/catalog-model`, pinned in
backstage/package-lock.json), run by node for the differential tests; and real servers on loopback for the
source tests (a scriptable HTTP server and a git smart-HTTP server).

CI installs the validators into a throwaway folder named by INSIGHTS_BACKSTAGE_NODE; on a developer machine the
tests install them once into a cache folder outside the repository, or skip saying why.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

HERE = Path(__file__).resolve().parent / "backstage"


def _folder() -> Path:
    if os.environ.get("INSIGHTS_BACKSTAGE_NODE"):
        return Path(os.environ["INSIGHTS_BACKSTAGE_NODE"])
    digest = hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "insights-tests" / f"backstage-{digest}"


def _install(folder: Path) -> str | None:
    """None when the packages are there, else why they could not be installed."""
    if (folder / "node_modules" / "@backstage" / "catalog-model" / "package.json").is_file():
        return None
    if not shutil.which("npm") or not shutil.which("node"):
        return "node and npm are needed to run Backstage's own validators"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, folder / name)
    try:
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                                capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        return "npm ci of @backstage/catalog-model took longer than 10 minutes"
    if result.returncode != 0:
        return f"npm ci of @backstage/catalog-model failed: {result.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="session")
def backstage_verdicts(need):
    """`judge(texts) -> [[document verdict, ...] per text]`: one node process for all the texts."""
    folder = _folder()
    problem = _install(folder)
    need(problem is None, problem or "")

    def judge(texts: list[str]) -> list[list[dict]]:
        payload = "".join(json.dumps({"id": i, "yaml": text}) + "\n" for i, text in enumerate(texts))
        result = subprocess.run(["node", str(HERE / "verdicts.js")], input=payload, capture_output=True, text=True,
                                timeout=600, check=False,
                                env={**os.environ, "NODE_PATH": str(folder / "node_modules")})
        assert result.returncode == 0, result.stderr[-2000:]
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert [a["id"] for a in answers] == list(range(len(texts)))
        return [a["documents"] for a in answers]

    return judge


@pytest.fixture(scope="session")
def entity_generator():
    """The seeded generator of entities and near-misses (entity_generator.py beside this file)."""
    spec = importlib.util.spec_from_file_location("entity_generator", Path(__file__).with_name("entity_generator.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROOT = Path(__file__).resolve().parents[2]
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


class Loopback:
    """An HTTP server whose answers a test sets: `routes[path]` is `(status, body)`, or a function
    `(handler, query) -> (status, body)` that may also write to the handler itself and return None."""

    def __init__(self):
        self.routes, self.requests = {}, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                owner.requests.append((parts.path, parse_qs(parts.query), dict(self.headers)))
                route = owner.routes.get(parts.path, (404, "{}"))
                answer = route(self, parse_qs(parts.query)) if callable(route) else route
                if answer is None:
                    return
                status, body = answer
                payload = body if isinstance(body, bytes) else body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up, as a deadline test wants it to

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def server():
    running = Loopback()
    yield running
    running.close()


def _load_git_http():
    spec = importlib.util.spec_from_file_location("git_http", ROOT / "benchmarks" / "git_http.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GitHttpServer


@pytest.fixture(scope="session")
def git_http_server():
    """The GitHttpServer class (`git http-backend` behind a loopback HTTP server)."""
    return _load_git_http()


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def make_tree(folder: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        write(folder, relative, text)
    return folder


@pytest.fixture(scope="session")
def tree():
    """`tree(folder, {path: text})`: those files written below the folder."""
    return make_tree


@pytest.fixture(scope="session")
def location():
    """`location(*targets, name=, presence=)`: the YAML of a Location entity."""

    def text(*targets: str, name: str = "loc", presence: str | None = None) -> str:
        return (f"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n"
                + (f"  presence: {presence}\n" if presence else "") + "  targets:\n"
                + "".join(f"    - {t}\n" for t in targets))

    return text


@pytest.fixture(scope="session")
def make_repo():
    """`make_repo(folder, {path: text})`: a git repository with those files in one commit on `main`."""

    def make(folder: Path, files: dict[str, str]) -> Path:
        make_tree(folder, files)
        git(folder, "init", "-q", "-b", "main")
        git(folder, "add", "-A")
        git(folder, "commit", "-qm", "files")
        return folder

    return make


@pytest.fixture(scope="session")
def commit():
    """`commit(repo, {path: text})`: a further commit changing those files."""

    def change(folder: Path, files: dict[str, str]) -> None:
        make_tree(folder, files)
        git(folder, "add", "-A")
        git(folder, "commit", "-qm", "change")

    return change
