"""Progress of the long stages (crawl, collect): a bar on a terminal, one plain line per stage otherwise
(CI logs, cron), nothing with --quiet. Written to stderr so stdout stays the summary."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager


class Progress:
    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    @contextmanager
    def stage(self, name: str, unit: str, total: int | None = None):
        """Yields `advance(n=1)`; a stage ends with one line saying how much it did and how long it took."""
        done, started, last = [0], time.monotonic(), [0.0]

        def advance(n: int = 1) -> None:
            done[0] += n
            now = time.monotonic()
            if self.tty and not self.quiet and now - last[0] > 0.1:
                last[0] = now
                if total:
                    filled = int(30 * min(done[0], total) / total)
                    self.stream.write(f"\r{name:<8} [{'#' * filled}{'.' * (30 - filled)}] {done[0]}/{total} {unit}")
                else:
                    self.stream.write(f"\r{name:<8} {done[0]} {unit}")
                self.stream.flush()

        if not self.quiet and not self.tty:
            self.stream.write(f"{name}: started\n")
        yield advance
        if not self.quiet:
            self.stream.write(("\r" if self.tty else "") +
                              f"{name}: {done[0]} {unit} in {time.monotonic() - started:.1f} s" +
                              (" " * 20 if self.tty else "") + "\n")
            self.stream.flush()


SILENT = Progress(quiet=True)
