"""Progress of the long stages (crawl, collect): a bar on a terminal, one plain line per stage otherwise
(CI logs, cron), nothing with --quiet. Written to stderr so stdout stays the summary. Given a log
`formatter` (`--log-format json`), each line is a log record in that format and no bar is drawn, so every
line on stderr reads the same way."""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager


class Progress:
    def __init__(self, stream=None, quiet: bool = False, formatter: logging.Formatter | None = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.formatter = formatter
        self.tty = formatter is None and bool(getattr(self.stream, "isatty", lambda: False)())

    def _line(self, text: str) -> str:
        if self.formatter is None:
            return text + "\n"
        record = logging.LogRecord("insights.progress", logging.INFO, __file__, 0, text, None, None)
        return self.formatter.format(record) + "\n"

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
            self.stream.write(self._line(f"{name}: started"))
        yield advance
        if not self.quiet:
            summary = f"{name}: {done[0]} {unit} in {time.monotonic() - started:.1f} s"
            self.stream.write(f"\r{summary}{' ' * 20}\n" if self.tty else self._line(summary))
            self.stream.flush()


SILENT = Progress(quiet=True)
