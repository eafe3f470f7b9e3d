"""Where the shipped defaults live: inside the package when installed from a wheel, at the top of
the repository when installed in editable mode."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_INSTALLED = PACKAGE / "defaults"
_REPOSITORY = PACKAGE.parent


def default_config() -> Path:
    installed = _INSTALLED / "scorecards.yaml"
    return installed if installed.is_file() else _REPOSITORY / "scorecards.yaml"


def demo_data() -> Path:
    installed = _INSTALLED / "demo"
    return installed if installed.is_dir() else _REPOSITORY / "examples" / "demo"


def builtin_checks() -> Path:
    return default_config().parent / "checks"
