"""Reports are rendered from a stored run, so any past run can be re-rendered and no report disagrees
with the database.

A report is written into a fresh folder beside the old one and then put in place entry by entry: a file by
one atomic rename, a folder of pages (html/, teams/) by swapping the whole folder, so a reader never sees
half of a team's files, and a failed write leaves the previous reports as they were."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from insights.errors import InsightsError
from insights.report.formats import DEFAULT, REGISTRY

if TYPE_CHECKING:
    from insights.report.view import RunView

log = logging.getLogger(__name__)
FORMATS = DEFAULT


def write_reports(store, view: RunView, out_dir: Path, formats=FORMATS) -> dict[str, Path]:
    """The formats named (see `formats.REGISTRY`) of the run `view` shows (see `load_view`), by name. A
    format whose library is not installed is skipped with a warning. Facts are read from `store` when the
    view does not carry them."""
    out_dir = Path(out_dir)
    if view.facts_loader is None and store is not None:
        view = dataclasses.replace(view, facts_loader=lambda: store.facts(view.run["id"]))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".insights-new-", dir=out_dir))
        try:
            written = {}
            for name in dict.fromkeys(formats):
                why = REGISTRY[name].missing()
                if why:
                    log.warning("%s report skipped: %s", name, why)
                    continue
                written[name] = REGISTRY[name].write(view, staging)[0]
            put_in_place(staging, out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return {name: out_dir / path.relative_to(staging) for name, path in written.items()}
    except OSError as error:
        raise InsightsError(f"cannot write reports to {out_dir}: {error.strerror}") from error


def put_in_place(staging: Path, out_dir: Path) -> None:
    """Every entry of `staging` moved to `out_dir`: files replace their namesakes atomically; a folder
    replaces its namesake whole (the old one is moved aside first, and back if the move fails)."""
    for entry in sorted(staging.iterdir()):
        target = out_dir / entry.name
        if entry.is_dir() and target.is_dir():
            old = Path(tempfile.mkdtemp(prefix=".insights-old-", dir=out_dir)) / entry.name
            os.replace(target, old)
            try:
                os.replace(entry, target)
            except OSError:
                os.replace(old, target)
                raise
            finally:
                shutil.rmtree(old.parent, ignore_errors=True)
        else:
            os.replace(entry, target)
