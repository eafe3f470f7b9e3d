"""Backstage's own validators (npm `@backstage/catalog-model`, pinned in backstage/package-lock.json), run
by node for the differential tests.

CI installs them into a throwaway folder named by INSIGHTS_BACKSTAGE_NODE; on a developer machine the
tests install them once into a cache folder outside the repository, or skip saying why.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

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
