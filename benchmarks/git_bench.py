"""Crawl N git repositories served by `git http-backend` on loopback with added latency per request: a cold
run (empty cache), then a warm run (nothing changed). Prints wall time for each.

    python benchmarks/git_bench.py --repositories 2000 --latency 0.1 --concurrency 32
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from insights.catalog.sources import CrawlSettings, Source, crawl

SERVER = Path(__file__).resolve().parent / "git_http.py"

DESCRIPTOR = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-{i}
  annotations:
    pagerduty.com/service-id: P{i:06d}
spec:
  type: service
  lifecycle: production
  owner: team-{team}
"""


def _object(objects: Path, kind: str, body: bytes) -> str:
    """Write one loose object, as git would, and return its id (quicker than a git process per object)."""
    data = f"{kind} {len(body)}\0".encode() + body
    oid = hashlib.sha1(data).hexdigest()
    folder = objects / oid[:2]
    folder.mkdir(exist_ok=True)
    (folder / oid[2:]).write_bytes(zlib.compress(data))
    return oid


def bare_repository(path: Path, i: int) -> None:
    for folder in ("objects", "refs/heads", "refs/tags"):
        (path / folder).mkdir(parents=True)
    (path / "HEAD").write_text("ref: refs/heads/main\n")
    (path / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n")
    objects = path / "objects"
    blob = _object(objects, "blob", DESCRIPTOR.format(i=i, team=i % 60).encode())
    readme = _object(objects, "blob", b"not yaml\n" * 200)
    tree = _object(objects, "tree", b"100644 README.md\0" + bytes.fromhex(readme)
                   + b"100644 catalog-info.yaml\0" + bytes.fromhex(blob))
    signature = "bench <bench@example> 1700000000 +0000"
    commit = _object(objects, "commit", f"tree {tree}\nauthor {signature}\ncommitter {signature}\n\nfiles\n".encode())
    (path / "refs" / "heads" / "main").write_text(commit + "\n")


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run(label: str, sources: list[Source], settings: CrawlSettings) -> None:
    started, own, git = time.perf_counter(), cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    catalog = crawl(sources, settings)
    wall = time.perf_counter() - started
    failed = sum(f.code == "source-unreadable" for f in catalog.findings)
    print(f"{label}: {len(sources)} repositories, {len(catalog.entities)} entities, {failed} failed, "
          f"wall {wall:.1f} s ({len(sources) / wall:.0f} repositories/s); CPU: crawl "
          f"{cpu(resource.RUSAGE_SELF) - own:.1f} s, its git processes {cpu(resource.RUSAGE_CHILDREN) - git:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repositories", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every HTTP answer")
    parser.add_argument("--concurrency", type=int, default=CrawlSettings().git_concurrency)
    parser.add_argument("--filter", default=CrawlSettings().git_filter, help="git_filter: blob:none, blob:limit=1m, ''")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.repositories):
            bare_repository(root / "srv" / f"repo-{i}.git", i)
        settings = CrawlSettings(cache_dir=root / "cache", git_concurrency=args.concurrency, git_filter=args.filter)
        # the server in a process of its own, as a git host would be, not sharing the crawl's interpreter
        server = subprocess.Popen([sys.executable, str(SERVER), str(root / "srv"), str(args.latency)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().strip()
            sources = [Source("git", f"{url}/repo-{i}.git") for i in range(args.repositories)]
            print(f"git: latency {args.latency * 1000:.0f} ms per request, concurrency {args.concurrency}, "
                  f"filter {args.filter or 'none'}")
            run("cold", sources, settings)
            run("warm", sources, settings)
        finally:
            before = cpu(resource.RUSAGE_CHILDREN)
            server.terminate()
            server.wait()
            print(f"server (git http-backend and its HTTP front): CPU {cpu(resource.RUSAGE_CHILDREN) - before:.1f} s")

if __name__ == "__main__":
    main()
