"""Facts, checks and scorecards for N entities: wall time per stage and peak memory.

    python benchmarks/evaluate_bench.py --entities 50000 --checks 30
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time

from insights.catalog.parse import parse_file
from insights.config import load_config
from insights.facts.registry import compute_facts
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
    args = parser.parse_args()
    generated = generate(services=max(1, args.entities // 5), entities=args.entities, seed=1)
    entities = [e for i, text in enumerate(generated.catalog)
                for e in parse_file(text, source="bench", repository="bench", path=f"{i}.yaml")[0]]
    checks = checks_for(args.checks)
    card = dataclasses.replace(load_config(default_config()).scorecards[0])
    now = parse_time(generated.state.collected_at)

    started = time.perf_counter()
    facts = compute_facts(entities, generated.state, now)
    facts_done = time.perf_counter()
    results = evaluate(checks, facts)
    checks_done = time.perf_counter()
    scores = score([card], results, facts, {c.id: c.weight for c in checks})
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"evaluate: {len(facts)} entities x {len(facts.columns)} facts, {len(checks)} checks "
          f"-> {len(results)} results, {len(scores)} scores")
    print(f"evaluate: facts {facts_done - started:.2f} s, checks {checks_done - facts_done:.2f} s, "
          f"scorecards {done - checks_done:.2f} s, total {done - started:.2f} s; peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
