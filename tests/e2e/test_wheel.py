"""The wheel ships the default checks, scorecards.yaml and demo data, and works outside the repository."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tests.conftest import imported

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    imported("hatchling", "hatchling builds the wheel (pip install -e '.[test]')")
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


def test_wheel_is_published_as_insights_scorecards_with_the_insights_command(wheel):
    """The name `insights` belongs to another project on the package index; the import package and the
    command keep it, the distribution does not."""
    import email

    from insights import __version__

    archive = zipfile.ZipFile(wheel)
    assert wheel.name == f"insights_scorecards-{__version__}-py3-none-any.whl"
    info = f"insights_scorecards-{__version__}.dist-info"
    metadata = email.message_from_bytes(archive.read(f"{info}/METADATA"))
    assert (metadata["Name"], metadata["Version"]) == ("insights-scorecards", __version__)
    assert "Provides-Extra: postgres" in archive.read(f"{info}/METADATA").decode()
    assert "insights = insights.cli:main" in archive.read(f"{info}/entry_points.txt").decode()
    assert {name.split("/")[0] for name in archive.namelist()} == {"insights", info}


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
    version = subprocess.run([sys.executable, "-c", "import importlib.metadata as m, insights; "
                              "print(m.version('insights-scorecards'), insights.__version__)"],
                             cwd=work, env=env, capture_output=True, text=True, timeout=60)
    installed, package = version.stdout.split()
    assert installed == package, version.stderr


def test_install_lines_name_the_published_distribution():
    """Every `pip install` a user is told to run, in the README, the CI recipes and error messages, names
    `insights-scorecards` (or installs a checkout with -e)."""
    import re

    places = [ROOT / "README.md", *sorted((ROOT / "examples" / "ci").iterdir()),
              *sorted((ROOT / "insights").rglob("*.py"))]
    installs = [(path.name, match.group(1)) for path in places
                for match in re.finditer(r"pip install\s+([\"']?[^\s\"'`;)]+)", path.read_text())]
    assert installs, "the README says how to install"
    wrong = [(name, what) for name, what in installs
             if not what.lstrip("\"'").startswith(("insights-scorecards", "-e", "-q", "$"))]
    assert wrong == []
    assert ("README.md", "insights-scorecards") in installs
