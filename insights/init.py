"""`insights init`: a starter scorecards.yaml and checks/ in a repository of the user's own."""

from __future__ import annotations

import shutil
from pathlib import Path

from insights.errors import ConfigError
from insights.resources import builtin_checks, default_config


def write_starter(directory: Path, force: bool = False) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    checks = sorted(builtin_checks().glob("*.yaml"))
    targets = [directory / "scorecards.yaml"] + [directory / "checks" / c.name for c in checks]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise ConfigError(f"{existing[0]} already exists ({len(existing)} of the files would be replaced); "
                          "pass --force to overwrite")
    (directory / "checks").mkdir(exist_ok=True)
    for check in checks:
        shutil.copyfile(check, directory / "checks" / check.name)
    text = default_config().read_text()
    # The copy points at its own checks/ folder, which the team now owns and edits.
    text = text.replace("checks: [builtin]", "checks: [checks]")
    (directory / "scorecards.yaml").write_text(text)
    return targets
