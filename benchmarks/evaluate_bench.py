"""Facts, checks and scorecards for N entities: wall time per stage and peak memory.

    python benchmarks/evaluate_bench.py --entities 50000 --checks 30 --repeat 5

Each repetition starts cold (memoised name normalisation cleared); the median repetition is quoted.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time

from insights.config import load_config
from insights.facts.consistency import normalise
from insights.facts.registry import compute_fact_table
from insights.pagerduty.generate import generate
from insights.pagerduty.state import parse_time
from insights.resources import default_config
from insights.rules.evaluate import evaluate
from insights.scorecards import score


def checks_for(count: int):
    """The built-in checks, repeated under new ids until there are `count` of them."""
    builtin = list(load_config(default_config()).checks)
    return [dataclasses.replace(builtin[i % len(builtin)], id=f"{builtin[i % len(builtin)].id}-{i}")
            for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--checks", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    generated = generate(services=max(1, args.entities // 5), entities=args.entities, seed=1)
    entities = generated.entities()
    checks = checks_for(args.checks)
    card = dataclasses.replace(load_config(default_config()).scorecards[0])
    now = parse_time(generated.state.collected_at)

    timings = []
    for _ in range(args.repeat):
        normalise.cache_clear()
        started = time.perf_counter()
        table = compute_fact_table(entities, generated.state, now)
        facts = table.values
        facts_done = time.perf_counter()
        results = evaluate(checks, facts, causes=table.causes)
        checks_done = time.perf_counter()
        scores = score([card], results, facts, {c.id: c.weight for c in checks})
        done = time.perf_counter()
        timings.append((facts_done - started, checks_done - facts_done, done - checks_done, done - started))
        print(f"evaluate: facts {timings[-1][0]:.2f} s, checks {timings[-1][1]:.2f} s, "
              f"scorecards {timings[-1][2]:.2f} s, total {timings[-1][3]:.2f} s")
        del table, facts, results, scores
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    median = sorted(timings, key=lambda t: t[3])[len(timings) // 2]
    print(f"evaluate: {args.entities} entities, {len(checks)} checks, {args.repeat} repetitions")
    print(f"median: facts {median[0]:.2f} s, checks {median[1]:.2f} s, facts+checks {median[0] + median[1]:.2f} s, "
          f"scorecards {median[2]:.2f} s, total {median[3]:.2f} s; "
          f"best facts+checks {min(t[0] + t[1] for t in timings):.2f} s; peak RSS {peak_mb:.0f} MB")

if __name__ == "__main__":
    main()
