"""Render every report format of a generated run of N entities stored in SQLite, and open every HTML page in
headless chromium: time per format, file sizes, and each page's size and load time (the largest and the
slowest are printed). One team owns --big-team entities, to show a big team's pages stay small.

    python benchmarks/report_bench.py --entities 10000
    python benchmarks/report_bench.py --entities 50000 --big-team 5000
    python benchmarks/report_bench.py --entities 50000 --formats html --no-browser
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from insights.catalog.model import Catalog
from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.pagerduty.generate import generate
from insights.pagerduty.state import parse_time
from insights.report import formats, write_reports
from insights.report.view import load_view
from insights.resources import default_config
from insights.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As tests/report/test_browser.py starts it.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def catalog_of(entities: int, big_team: int) -> tuple[Catalog, object]:
    """A generated catalog and account; the first `big_team` entities belong to one team, and every
    descriptor sits in a GitHub repository, so that file links are made."""
    generated = generate(services=max(1, entities // 5), entities=entities, seed=1)
    owned = [dataclasses.replace(e, owner="group:default/big-team" if i < big_team else e.owner,
                                 origin_url=f"git@github.com:acme/{e.name}.git", revision="main")
             for i, e in enumerate(generated.entities())]
    return Catalog(tuple(owned), ()), generated.state


class Browser:
    """Headless chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
    messages ending in NUL on file descriptors 3 and 4), so one browser opens every page in turn."""

    def __init__(self, profile: Path):
        commands_read, self.commands = os.pipe()
        self.events, events_write = os.pipe()

        def wire():
            high_read, high_write = os.dup(commands_read), os.dup(events_write)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        self.process = subprocess.Popen([CHROMIUM, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
                                         "about:blank"], preexec_fn=wire, pass_fds=(3, 4),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands_read)
        os.close(events_write)
        self.buffer, self.next_id = b"", 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def send(self, method: str, session: bool, **params) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = os.read(self.events, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = False, **params) -> dict:
        wanted = self.send(method, session, **params)
        while True:
            message = self.receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def load(self, url: str) -> float:
        """Seconds from asking for the page to its load event (HTML parsed, scripts run, layout done)."""
        started = time.perf_counter()
        self.send("Page.navigate", True, url=url)
        while True:
            message = self.receive()
            if message.get("method") == "Page.loadEventFired":
                return time.perf_counter() - started

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.commands)
        os.close(self.events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--big-team", type=int, default=0, help="entities owned by one team")
    parser.add_argument("--formats", nargs="*", default=list(formats.NAMES))
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--keep", help="write the reports into this folder and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        catalog, state = catalog_of(args.entities, args.big_team)
        bundle = evaluate_run(load_config(default_config()), catalog, state, parse_time(state.collected_at))
        store = Store(f"sqlite:///{tmp / 'bench.db'}")
        store.ensure_schema()
        store.save_run(store.begin_run(config_hash="b", sources=["generated"]), bundle)
        print(f"report: {len(bundle.facts)} entities, {len(bundle.results)} results; generated, evaluated and "
              f"stored in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        view = load_view(store)
        print(f"view: {time.perf_counter() - started:.2f} s", end="")
        started = time.perf_counter()
        view.facts  # noqa: B018 - read once here, so each format's time is its own
        print(f"; facts read in {time.perf_counter() - started:.2f} s")
        out = Path(args.keep) if args.keep else tmp / "reports"
        for name in args.formats:
            folder = out / name  # one folder per format, to measure each alone
            started = time.perf_counter()
            written = write_reports(store, view, folder, (name,))
            took = time.perf_counter() - started
            if name not in written:
                print(f"{name:9} skipped")
                continue
            files = [f for f in folder.rglob("*") if f.is_file()]
            print(f"{name:9} {took:6.2f} s  {sum(f.stat().st_size for f in files) / 1e6:8.1f} MB  "
                  f"{', '.join(sorted(p.name for p in folder.iterdir()))} ({len(files)} files)")
        markdown = out / "md" / "report.md"
        if markdown.exists():
            print(f"report.md: {len(markdown.read_text()):,} characters")
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        pages = sorted((out / "html").rglob("*.html"))
        if not pages:
            return
        sizes = {p: p.stat().st_size for p in pages}
        largest = sorted(sizes, key=sizes.get, reverse=True)[:5]
        print(f"html: {len(pages)} pages, {sum(sizes.values()) / 1e6:.1f} MB in all; largest: " +
              ", ".join(f"{p.relative_to(out)} {sizes[p] / 1e6:.2f} MB" for p in largest))
        if args.no_browser or CHROMIUM is None:
            return
        browser = Browser(tmp / "profile")
        try:
            times = {p: browser.load(p.as_uri()) for p in pages}
        finally:
            browser.close()
        index = out / "html" / "report.html"
        print(f"chromium: report.html ({sizes[index] / 1e6:.2f} MB) loaded in {times[index]:.2f} s")
        slowest = sorted(times, key=times.get, reverse=True)[:5]
        print(f"chromium: every page loaded, median {sorted(times.values())[len(times) // 2]:.2f} s; slowest: " +
              ", ".join(f"{p.relative_to(out)} {times[p]:.2f} s" for p in slowest))


if __name__ == "__main__":
    sys.exit(main())
