"""Store one run of N entities (51 facts, C checks) in SQLite and PostgreSQL; then M nightly runs where a
share of facts changes, to measure bytes per entity per run against storing everything every run.

    python benchmarks/store_bench.py --entities 10000 --checks 30
    python benchmarks/store_bench.py --entities 10000 --nights 30 --change 0.02 --engine sqlite
    python benchmarks/store_bench.py --entities 10000 --checks 30 --engine mariadb
    python benchmarks/store_bench.py --entities 10000 --nights 10 --keep-runs 5 --engine both
    python benchmarks/store_bench.py --entities 10000 --nights 5 --engine sqlite   (also times the report view)
    python benchmarks/store_bench.py --entities 10000 --nights 1 --views --engine sqlite   (times the SQL views)
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy

sys.path.insert(0, str(Path(__file__).parent))
from evaluate_bench import checks_for  # noqa: E402

from insights.config import load_config  # noqa: E402
from insights.evaluation import evaluate_run  # noqa: E402
from insights.pagerduty.generate import generate  # noqa: E402
from insights.pagerduty.state import parse_time  # noqa: E402
from insights.resources import default_config  # noqa: E402
from insights.report.view import load_view  # noqa: E402
from insights.store import Store  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"


def bundle_of(entities: int, checks: int):
    generated = generate(services=max(1, entities // 5), entities=entities, seed=1)
    catalog = generated.entities()
    config = dataclasses.replace(load_config(default_config()), checks=tuple(checks_for(checks)), scorecards=())
    from insights.catalog.model import Catalog

    return evaluate_run(config, Catalog(tuple(catalog), ()), generated.state, parse_time(generated.state.collected_at))


def database(engine: str, folder: Path):
    """(URL, a function giving the database's size in bytes, a function dropping it)."""
    if engine == "sqlite":
        path = folder / "bench.db"
        return f"sqlite:///{path}", lambda: path.stat().st_size, lambda: None
    name = f"insights_bench_{uuid.uuid4().hex[:8]}"
    if engine == "mariadb":
        return server(MARIADB, name, "CREATE DATABASE `{name}` CHARACTER SET utf8mb4", "DROP DATABASE `{name}`",
                      ["ANALYZE TABLE `{name}`.fact_values, `{name}`.check_results",
                       "SELECT SUM(data_length + index_length) FROM information_schema.TABLES "
                       "WHERE table_schema = '{name}'"], "?charset=utf8mb4")
    return server(POSTGRES, name, 'CREATE DATABASE "{name}"', 'DROP DATABASE "{name}" WITH (FORCE)',
                  ["SELECT pg_database_size('{name}')"])


def server(admin_url: str, name: str, create: str, drop: str, size: list[str], options: str = ""):
    """A new database on a server; `size` are statements, the last one giving the size."""
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def run(*statements):
        with admin.connect() as connection:
            results = [connection.exec_driver_sql(s.format(name=name)) for s in statements]
            return results[-1].scalar() if results[-1].returns_rows else None

    run(create)
    return (f"{admin_url.rsplit('/', 1)[0]}/{name}{options}", lambda: int(run(*size) or 0), lambda: run(drop))


def mutate(bundle, share: float, rng: random.Random):
    """A copy of the run where `share` of the fact values changed."""
    facts = bundle.facts.copy()
    cells = int(share * facts.size)
    for _ in range(cells):
        row, column = rng.randrange(len(facts)), rng.randrange(len(facts.columns))
        facts.iat[row, column] = f"changed-{rng.random():.6f}"
    return dataclasses.replace(bundle, facts=facts)


def time_views(store: Store, engine: str) -> None:
    """Each view for BI tools read whole, as a dashboard's query would."""
    with store.engine.connect() as connection:
        for view in ("latest_check_results", "latest_fact_values", "latest_scorecard_results", "run_summary"):
            started = time.perf_counter()
            rows = len(connection.exec_driver_sql(f"SELECT * FROM {view}").all())
            print(f"{engine}: {view}: {rows:,} rows in {time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=30)
    parser.add_argument("--nights", type=int, default=0)
    parser.add_argument("--change", type=float, default=0.02)
    parser.add_argument("--keep-runs", type=int, default=0, help="apply retention after each night")
    parser.add_argument("--views", action="store_true", help="time reading each SQL view whole at the end")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "mariadb", "both"], default="both",
                        help="both = SQLite and PostgreSQL")
    args = parser.parse_args()
    bundle = bundle_of(args.entities, args.checks)
    print(f"store: {len(bundle.facts)} entities x {len(bundle.facts.columns)} facts, {args.checks} checks "
          f"({len(bundle.results)} results)")
    for engine in (["sqlite", "postgresql"] if args.engine == "both" else [args.engine]):
        with tempfile.TemporaryDirectory() as tmp:
            url, size, drop = database(engine, Path(tmp))
            try:
                store = Store(url)
                store.ensure_schema()
                base = size()
                started = time.perf_counter()
                store.save_run(store.begin_run(config_hash="b", sources=[]), bundle)
                full = (size() - base) / len(bundle.facts)
                print(f"{engine}: first run stored in {time.perf_counter() - started:.2f} s; "
                      f"{full:,.0f} bytes per entity (what every run costs when everything is stored)")
                rng, current, timings, retention = random.Random(7), bundle, [], []
                for _ in range(args.nights):
                    current = mutate(current, args.change, rng)
                    started = time.perf_counter()
                    store.save_run(store.begin_run(config_hash="b", sources=[]), current)
                    timings.append(time.perf_counter() - started)
                    if args.keep_runs:
                        started = time.perf_counter()
                        store.apply_retention(keep_runs=args.keep_runs)
                        retention.append(time.perf_counter() - started)
                if args.nights:
                    started = time.perf_counter()
                    load_view(store, trend_runs=args.nights + 1)
                    print(f"{engine}: the latest run's report view (results, changes, trend over "
                          f"{args.nights + 1} runs) read in {time.perf_counter() - started:.2f} s")
                if args.views:
                    time_views(store, engine)
                if retention:
                    print(f"{engine}: retention keeping {args.keep_runs} runs: {sum(retention) / len(retention):.2f} s "
                          f"per night on average, {max(retention):.2f} s at most; "
                          f"{(size() - base) / len(bundle.facts):,.0f} bytes per entity in all at the end")
                elif args.nights:
                    runs = args.nights + 1
                    per = (size() - base) / runs / len(bundle.facts)
                    print(f"{engine}: {runs} runs, {args.change:.0%} of facts changing: {per:,.0f} bytes per entity "
                          f"per run on average (changes only, {full / per:.1f}x less); later runs stored in "
                          f"{sum(timings) / len(timings):.2f} s each")
            finally:
                drop()


if __name__ == "__main__":
    main()
