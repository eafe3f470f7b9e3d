"""Annotations to set on entities -> the edited text of each descriptor file, and what was refused.

The files are read through `roots` (confined to their source root); the edits are made by `yamledit`.
Several changes to one file are applied one after the other, each verified on its own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from insights.catalog.model import Entity
from insights.fix.diffs import repository_patch
from insights.fix.roots import Root, read_descriptor, replace_file, write_atomic
from insights.fix.yamledit import Target, set_annotation


@dataclass(frozen=True)
class Change:
    """Set one annotation on one entity."""

    entity: Entity
    key: str
    value: str


@dataclass(frozen=True)
class FileEdit:
    root: Root
    path: Path  # resolved, inside the root
    relative: str  # to the repository's top
    before: str
    after: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Refusal:
    change: Change
    reason: str


@dataclass(frozen=True)
class Plan:
    files: tuple[FileEdit, ...]
    refused: tuple[Refusal, ...]
    unchanged: tuple[Change, ...]  # the annotation already holds the value


def make_plan(changes: list[Change], roots: dict[str, Root], max_bytes: int) -> Plan:
    texts: dict[Path, str] = {}
    originals: dict[Path, tuple[Root, str, str]] = {}
    applied: dict[Path, list[Change]] = defaultdict(list)
    refused, unchanged = [], []
    for change in changes:
        entity = change.entity
        root = roots.get(entity.source)
        if root is None:
            refused.append(Refusal(change, f"it comes from {entity.source or 'an API'}, which has no files to edit"))
            continue
        descriptor = read_descriptor(root, entity, max_bytes)
        if isinstance(descriptor, str):
            refused.append(Refusal(change, descriptor))
            continue
        path = descriptor.path
        originals.setdefault(path, (root, descriptor.relative, descriptor.text))
        target = Target(entity.kind, entity.namespace, entity.name, entity.line if path not in applied else None)
        edited = set_annotation(texts.get(path, descriptor.text), target, change.key, change.value)
        if edited.text is None:
            refused.append(Refusal(change, f"{descriptor.relative}: {edited.problem}"))
        elif edited.method == "unchanged":
            unchanged.append(change)
        else:
            texts[path] = edited.text
            applied[path].append(change)
    files = tuple(FileEdit(originals[p][0], p, originals[p][1], originals[p][2], texts[p], tuple(applied[p]))
                  for p in sorted(texts))
    return Plan(files, tuple(refused), tuple(unchanged))


def patches(plan: Plan) -> dict[Path, tuple[list[FileEdit], str]]:
    """Per repository: its edited files and the one patch that makes the edits."""
    grouped: dict[Path, list[FileEdit]] = defaultdict(list)
    for edit in plan.files:
        grouped[edit.root.repository].append(edit)
    return {repository: (edits, repository_patch([(e.relative, e.before, e.after) for e in edits]))
            for repository, edits in sorted(grouped.items())}


def write_patches(plan: Plan, directory: Path) -> list[tuple[Path, Root]]:
    """One patch per repository into `directory`, named after the repository; returns each with its root."""
    directory.mkdir(parents=True, exist_ok=True)
    written, names = [], set()
    for edits, patch in patches(plan).values():
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", edits[0].root.name).lstrip(".") or "repository"
        name, number = base, 1
        while name in names:
            number += 1
            name = f"{base}-{number}"
        names.add(name)
        path = directory / f"{name}.patch"
        write_atomic(path, patch.encode("utf-8"))
        written.append((path, edits[0].root))
    return written


def write_files(plan: Plan) -> tuple[list[FileEdit], list[str]]:
    """Edit every planned file in place: the files written, and why the others were not (a file changed
    meanwhile, or cannot be written)."""
    written, problems = [], []
    for edit in plan.files:
        problem = replace_file(edit.path, edit.before, edit.after)
        (problems if problem else written).append(problem or edit)
    return written, problems
