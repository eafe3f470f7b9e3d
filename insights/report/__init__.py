"""Reports are rendered from a stored run, so any past run can be re-rendered and no report disagrees
with the database.

Writing is all or nothing: every report is written into a fresh folder inside `--out` and flushed to disk
(so a full disk shows up there), and only then put in place entry by entry: a file by one atomic rename, a
folder of pages (html/, teams/) by swapping the whole folder, so a reader never sees half of a team's files.
A full disk or a read-only folder leaves the previous reports as they were (OutputError, exit 3)."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from insights.errors import OutputError
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
    except OSError as error:
        raise OutputError(f"cannot write {out_dir}: {error.strerror or error}; the previous reports in {out_dir} "
                          "are unchanged") from error
    try:
        written = {}
        for name in dict.fromkeys(formats):
            why = REGISTRY[name].missing()
            if why:
                log.warning("%s report skipped: %s", name, why)
                continue
            written[name] = REGISTRY[name].write(view, staging)[0]
        _flush(staging)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write {_where(error, out_dir, staging)}: {error.strerror or error}; the previous "
                          f"reports in {out_dir} are unchanged") from error
    try:
        put_in_place(staging, out_dir)
    except OSError as error:
        raise OutputError(f"cannot write {_where(error, out_dir, staging)}: {error.strerror or error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {name: out_dir / path.relative_to(staging) for name, path in written.items()}


def _where(error: OSError, out_dir: Path, staging: Path) -> Path:
    """The path a person can act on: the report's own name rather than its temporary one."""
    path = Path(error.filename) if error.filename else out_dir
    return out_dir / path.relative_to(staging) if path.is_relative_to(staging) else path


def _flush(folder: Path) -> None:
    """Every file written under `folder` on disk, so that a full disk is found before anything is replaced."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


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
