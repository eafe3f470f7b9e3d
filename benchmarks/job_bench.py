"""The whole nightly job on a generated organisation: `insights run` as a subprocess against the PagerDuty
simulator (its own process, 20 ms latency, PagerDuty's budget of 960 requests a minute), storing into a
fresh SQLite file (or a fresh PostgreSQL database), writing the default reports. Prints the wall time of each
stage, PagerDuty requests against the fewest possible, the run's peak RSS (its own, as the kernel counts it),
stored bytes per entity, report sizes per format, and load times in headless chromium of report.html and a
sample of the HTML pages (the largest and some picked at random).

    python benchmarks/job_bench.py --entities 10000
    python benchmarks/job_bench.py --entities 50000 --engine postgresql
    python benchmarks/job_bench.py --entities 50000 --offline --py-spy /tmp/run.txt

`--offline` skips the collect stage: the account is collected once in this process, from an in-process
simulator without latency or budget, and the run reads it as a snapshot (`--pagerduty-snapshot`), so the
figures are those of every stage after collect. `--py-spy FILE` records the run with py-spy (installed
apart; not a dependency) as collapsed stacks, with its idle frames, for `--top`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from collect_bench import TOKEN, fewest_requests, start_simulator  # noqa: E402
from report_bench import CHROMIUM, Browser  # noqa: E402

from insights.catalog.sources import Source, crawl  # noqa: E402
from insights.config import load_config  # noqa: E402
from insights.pagerduty.client import ClientSettings, PagerDutyClient  # noqa: E402
from insights.pagerduty.collect import collect, wanted_from  # noqa: E402
from insights.pagerduty.generate import generate, write_catalog  # noqa: E402
from insights.pagerduty.simulator import Simulator, SimulatorSettings  # noqa: E402
from insights.pagerduty.state import save_snapshot  # noqa: E402
from insights.pipeline import collect_options  # noqa: E402
from insights.resources import default_config  # noqa: E402
from insights.store import Store  # noqa: E402

# Log lines of `insights --log-level info run` that open each stage after collect (insights/pipeline.py).
MARKS = (("evaluate", "evaluating facts"), ("store", "storing "), ("read back", "reading it back"),
         ("reports", "writing reports"), ("gates", "reports written"), ("exit", ": done"))


class Watched:
    """`insights run` as a child: each stderr line with the moment it arrived and the child's peak RSS then
    (VmHWM), and the child's own peak RSS from the kernel when it ends (wait4)."""

    def __init__(self, command: list[str], env: dict, cwd: Path):
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.lines: list[tuple[float, int, float, str]] = []  # seconds, VmHWM MB, CPU seconds, line
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def hwm_mb(self) -> int:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        return next((int(line.split()[1]) // 1024 for line in status.splitlines() if line.startswith("VmHWM")), 0)

    def cpu_s(self) -> float:
        """CPU seconds (user and system) the child has used so far: on a shared machine, what a stage costs."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append((time.perf_counter() - self.started, self.hwm_mb(), self.cpu_s(), line.rstrip("\n")))

    def wait(self) -> tuple[int, float, float, float, str]:
        """Exit code, wall seconds, peak RSS in MB, CPU seconds, stdout."""
        stdout = self.process.stdout.read()
        _, status, usage = os.wait4(self.process.pid, 0)
        wall = time.perf_counter() - self.started
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.reader.join()
        return self.process.returncode, wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, stdout

    def at(self, text: str) -> tuple[float, int, float] | None:
        return next(((when, hwm, cpu) for when, hwm, cpu, line in self.lines if text in line), None)


def collected_account(services: int, entities: int, catalog_dir: Path):
    """The generated account (as the simulator generates it), its catalog written, and what a collect of it
    returns (from an in-process simulator without latency or budget): (account, state, options)."""
    generated = generate(services, entities)
    write_catalog(generated.catalog, catalog_dir)
    catalog = crawl([Source("folder", str(catalog_dir))])
    options = collect_options(load_config(default_config()), wanted_from(catalog.entities))
    with Simulator(generated.state, SimulatorSettings(token=TOKEN, rate_limit=10 ** 9)) as simulator:
        client = PagerDutyClient(TOKEN, ClientSettings(base_url=simulator.url, requests_per_minute=10 ** 6,
                                                       concurrency=8))
        state = collect(client, options)
    return generated.state, state, options, client.counts.get("GET /services/{id}", 0)


def database(engine: str, tmp: Path) -> tuple[str, callable, callable]:
    """URL, bytes stored, and a clean-up."""
    if engine == "sqlite":
        path = tmp / "insights.db"
        return (f"sqlite:///{path}", lambda: sum(p.stat().st_size for p in tmp.glob("insights.db*")),
                lambda: None)
    import psycopg

    name = f"job_bench_{os.getpid()}"
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")

    def size() -> int:
        return admin.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]

    def drop() -> None:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", size, drop


def stage_times(run: Watched, wall: float, cpu: float) -> list[tuple[str, float, float, int]]:
    """(stage, wall seconds, CPU seconds, peak RSS in MB at its end) from the progress and log lines."""
    marks = [("start-up", (0.0, 0, 0.0)), ("crawl", run.at("crawl: started")), ("between", run.at(" files in ")),
             ("collect", run.at("collect: started")), ("between", run.at(" requests in ")),
             *((name, run.at(text)) for name, text in MARKS)]
    marks = [(name, at) for name, at in marks if at] + [("", (wall, 0, cpu))]
    out = [(name, until - when, spent_until - spent, hwm)
           for (name, (when, _, spent)), (_, (until, hwm, spent_until)) in zip(marks, marks[1:])]
    after = run.at(MARKS[0][1])
    if after:
        out.append(("after collect", wall - after[0], cpu - after[2], 0))
    return [row for row in out if row[0] != "between" or row[1] >= 0.05]


def sizes(out: Path, stdout: str) -> list[tuple[str, float, int]]:
    """Per format the run wrote: MB and files."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith("Report ("):
            fmt, path = line[len("Report ("):].split("): ", 1)
            paths = [out / p.name for p in [Path(path)]] + ([out / "html"] if fmt == "html" else [])
            files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
            rows.append((fmt, sum(f.stat().st_size for f in files) / 1e6, len(files)))
    return rows


def browse(out: Path, tmp: Path, sample: int) -> None:
    pages = sorted((out / "html").rglob("*.html"))
    index = out / "report.html"
    if not index.exists() or CHROMIUM is None:
        print("chromium: skipped" if index.exists() else "chromium: no report.html")
        return
    by_size = sorted(pages, key=lambda p: p.stat().st_size, reverse=True)
    rest = by_size[5:]
    chosen = [index, *by_size[:5], *random.Random(1).sample(rest, min(sample, len(rest)))]
    browser = Browser(tmp / "profile")
    try:
        times = {p: browser.load(p.as_uri()) for p in chosen}
    finally:
        browser.close()
    others = sorted(times[p] for p in chosen[1:])
    slowest = max(chosen[1:], key=times.get) if others else index
    print(f"chromium: report.html ({index.stat().st_size / 1e6:.2f} MB) loaded in {times[index]:.2f} s; "
          f"{len(others)} of {len(pages)} pages (the 5 largest, {len(others) - min(5, len(pages))} at random): "
          f"median {others[len(others) // 2] if others else 0:.2f} s, slowest {slowest.relative_to(out)} "
          f"({slowest.stat().st_size / 1e6:.2f} MB) {times[slowest]:.2f} s; largest page "
          f"{by_size[0].stat().st_size / 1e6 if by_size else 0:.2f} MB")


def top(profile: Path, count: int = 30) -> None:
    """The functions (file and line left out) with the most samples of the main thread, inclusive and own,
    in a py-spy `--format raw` file."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in profile.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [f.rsplit(":", 1)[0] + ")" if ":" in f else f for f in stack.split(";")
                  if f and not f.startswith(("process ", "thread "))]
        if not frames or not samples.isdigit() or any("Thread._bootstrap" in f for f in frames):
            continue
        n = int(samples)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    for title, counter in (("inclusive", inclusive), ("own", own)):
        print(f"py-spy: {total} samples of the main thread; {title}:")
        for frame, n in counter.most_common(count):
            print(f"  {100 * n / total:5.1f}%  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--services", type=int, help="default: entities / 5")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--rate-limit", type=int, default=960, help="the simulator's budget per minute")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--offline", action="store_true", help="skip collect: run from a snapshot")
    parser.add_argument("--pages", type=int, default=20, help="HTML pages opened at random in chromium")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--py-spy", type=Path, help="record the run with py-spy into this file (raw stacks)")
    parser.add_argument("--top", type=Path, help="only print the top functions of a py-spy raw file")
    parser.add_argument("--keep", type=Path, help="keep the work folder (catalog, database, reports) here")
    parser.add_argument("--reuse", type=Path, help="with --offline: the catalog and snapshot of this size are kept "
                        "in this folder and read from it when there")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is known, also into a file
    if args.top:
        return top(args.top)
    services = args.services or max(1, args.entities // 5)
    tmp = Path(tempfile.mkdtemp(prefix="job-bench-", dir=args.keep.parent if args.keep else None))
    url, stored_bytes, clean_up = database(args.engine, tmp)
    simulator = None
    try:
        started = time.perf_counter()
        kept = args.reuse / f"{args.entities}-{services}" if args.offline and args.reuse else None
        if kept and (kept / "pagerduty.json").exists():
            shutil.copytree(kept / "catalog", tmp / "catalog")
            shutil.copy(kept / "pagerduty.json", tmp / "pagerduty.json")
        else:
            account, state, options, by_id = collected_account(services, args.entities, tmp / "catalog")
            if args.offline:
                save_snapshot(state, tmp / "pagerduty.json")
            if kept:
                shutil.copytree(tmp / "catalog", kept / "catalog")
                shutil.copy(tmp / "pagerduty.json", kept / "pagerduty.json")
        print(f"job: {args.entities} entities, {services} services, {args.engine}; generated and collected "
              f"in-process for the bound in {time.perf_counter() - started:.1f} s")
        env = {**os.environ, "PAGERDUTY_TOKEN": TOKEN}
        command = [str(Path(sys.executable).parent / "insights"), "--log-level", "info", "run", "--db", url,
                   "--out", str(tmp / "reports")]
        if args.offline:
            command += ["--catalog", str(tmp / "catalog"), "--pagerduty-snapshot", str(tmp / "pagerduty.json")]
        else:  # the simulator's own account and catalog, generated alike
            shutil.rmtree(tmp / "catalog")
            simulator, api = start_simulator(services, args.entities, args.latency_ms, args.rate_limit,
                                             tmp / "catalog")
            command += ["--catalog", str(tmp / "catalog"), "--pagerduty-url", api]
        run = Watched(command, env, tmp)
        spy = None
        if args.py_spy:
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(run.process.pid), "--format", "raw", "--idle",
                                    "--rate", "50", "-o", str(args.py_spy)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        code, wall, peak, cpu, stdout = run.wait()
        if spy:
            spy.wait()
        if code not in (0, 1):
            print("\n".join(line for *_, line in run.lines[-20:]), file=sys.stderr)
            raise SystemExit(f"insights run exited {code}")
        stages = stage_times(run, wall, cpu)
        print(f"run: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:.0f} MB (exit {code}); load average "
              f"{os.getloadavg()[1]:.1f} over the last 5 minutes")
        print("stages, wall (CPU): " + ", ".join(f"{name} {seconds:.1f} s ({spent:.1f} s)"
                                                 for name, seconds, spent, _ in stages))
        print("peak RSS at the end of: " + ", ".join(f"{name} {hwm} MB" for name, _, _, hwm in stages if hwm))
        store = Store(url)
        record = store.run(store.latest_run_id())
        if not args.offline:
            import json

            requests = json.loads(record["pagerduty_requests"]) if isinstance(record["pagerduty_requests"], str) \
                else record["pagerduty_requests"]
            bounds = fewest_requests(state, account, options, by_id)
            sent, bound = sum(requests.values()), sum(bounds.values())
            print(f"pagerduty: {sent} requests, fewest possible {bound} "
                  f"({', '.join(f'{k} {n}' for k, n in bounds.items() if n)}): {sent / bound:.2f}x")
        store.engine.dispose()
        print(f"stored: {stored_bytes() / args.entities:,.0f} bytes per entity ({stored_bytes() / 1e6:.0f} MB)")
        print("reports: " + ", ".join(f"{fmt} {mb:.1f} MB" + (f" ({files} files)" if files > 1 else "")
                                      for fmt, mb, files in sizes(tmp / "reports", stdout)))
        if not args.no_browser:
            browse(tmp / "reports", tmp, args.pages)
    finally:
        if simulator:
            simulator.terminate()
            simulator.wait()
        clean_up()
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            tmp.rename(args.keep)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
