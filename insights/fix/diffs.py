"""Unified diffs in the form `git apply` reads: `diff --git` headers, a/ and b/ prefixes, paths relative to
the repository's top, C-quoted when git would quote them, and the no-newline marker where a file ends
without one. Pure.
"""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"
ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b",
           "\f": "\\f", "\v": "\\v"}


def git_path(prefix: str, path: str) -> str:
    """`a/path`, quoted as git quotes a name holding a quote, a backslash or a control character."""
    name = prefix + path
    if not any(c in ESCAPES or ord(c) < 32 or ord(c) == 127 for c in name):
        return name
    return '"' + "".join(ESCAPES.get(c) or (f"\\{ord(c):03o}" if ord(c) < 32 or ord(c) == 127 else c)
                         for c in name) + '"'


def _lines(text: str) -> list[str]:
    """Lines as git counts them: split at `\\n` only (a CR or form feed inside a line stays in it)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def file_diff(path: str, before: str, after: str) -> str:
    old, new = git_path("a/", path), git_path("b/", path)
    body = difflib.unified_diff(_lines(before), _lines(after), old, new, n=3)
    out = [f"diff --git {old} {new}\n"]
    for line in body:
        out.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE)
    return "".join(out) if len(out) > 1 else ""


def repository_patch(files: list[tuple[str, str, str]]) -> str:
    """One patch for the (path, before, after) of one repository's files, in path order."""
    return "".join(file_diff(path, before, after) for path, before, after in sorted(files))
