"""The wheel ships the default checks, scorecards.yaml and demo data, and works outside the repository."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("hatchling", reason="hatchling builds the wheel (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    [path] = out.glob("*.whl")
    return path


def test_wheel_carries_the_defaults(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "insights/defaults/scorecards.yaml" in names
    assert "insights/defaults/checks/escalation.yaml" in names
    assert "insights/defaults/demo/pagerduty.json" in names
    assert "insights/store/migrations/versions/0001_initial_schema.py" in names
    assert "insights/report/templates/index.html.j2" in names
    assert "insights/report/vendor/chart.umd.min.js" in names


def test_installed_wheel_validates_and_demos_outside_the_repository(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-m", "insights", "validate"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert str(site / "insights" / "defaults" / "scorecards.yaml") in result.stdout
    demo = subprocess.run([sys.executable, "-m", "insights", "demo"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert (work / "reports" / "report.html").is_file()
