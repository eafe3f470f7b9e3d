"""Crawl N descriptor files from a local folder; print wall time and peak memory.

    python benchmarks/crawl_bench.py --files 10000
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from insights.catalog.sources import CrawlSettings, Source, crawl

TEMPLATE = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-{i}
  description: Service number {i}, generated for the crawl benchmark
  tags: [java, tier-{tier}]
  annotations:
    pagerduty.com/service-id: P{i:06d}
    github.com/project-slug: acme/service-{i}
  links:
    - url: https://runbooks.example/service-{i}
      title: Runbook
spec:
  type: service
  lifecycle: production
  owner: team-{team}
  system: system-{tier}
"""


def generate(root: Path, files: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    for i in range(files):
        folder = root / f"repo-{i // 100}" / f"service-{i}"
        folder.mkdir(parents=True)
        text = TEMPLATE.format(i=i, tier=rng.randint(1, 3), team=rng.randint(1, 60))
        if i % 10 == 0:  # every tenth file holds a second document
            text += "---\n" + TEMPLATE.format(i=i + 1_000_000, tier=1, team=1)
        if i % 97 == 0:  # and some are broken
            text += "---\nmetadata: [unclosed\n"
        (folder / "catalog-info.yaml").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.files)
        started = time.perf_counter()
        catalog = crawl([Source("folder", str(root))], CrawlSettings(cache_dir=root / ".cache"))
        wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"crawl: {args.files} files, {len(catalog.entities)} entities, {len(catalog.findings)} findings")
    print(f"crawl: wall {wall:.2f} s ({args.files / wall:.0f} files/s), peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
