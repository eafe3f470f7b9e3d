"""Collect a generated PagerDuty account over HTTP from the simulator (run as its own process, with
simulated latency): the bulk collector against the per-entity way of the PagerDuty Backstage plugin
(the service by id with includes, its on-calls, its open incidents), in the same run.

    python benchmarks/collect_bench.py --services 2000 --entities 10000 --latency-ms 20
"""

from __future__ import annotations

import argparse
import math
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from insights.catalog.sources import Source, crawl
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import collect
from insights.pipeline import wanted_services

TOKEN = "bench-token"


def start_simulator(services: int, entities: int, latency: int, catalog: Path):
    script = Path(sys.executable).parent / "insights"
    process = subprocess.Popen([str(script), "pagerduty", "simulate", "--generate", str(services), "--entities",
                                str(entities), "--catalog-out", str(catalog), "--latency-ms", str(latency),
                                "--rate-limit", "1000000", "--token", TOKEN], stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if "simulator on " in line:
            return process, line.split("simulator on ")[1].split()[0]
    raise RuntimeError("the simulator did not start")


def per_entity(client: PagerDutyClient, service_ids: list[str], workers: int) -> None:
    def one(service_id):
        service = client.get(f"/services/{service_id}", {"include[]": ["escalation_policies"]},
                             endpoint="GET /services/{id}", missing_ok=True)
        if service:
            client.get("/oncalls", {"escalation_policy_ids[]": [service["service"]["escalation_policy"]["id"]]})
            client.get("/incidents", {"service_ids[]": [service_id], "statuses[]": ["triggered", "acknowledged"]})
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, service_ids))


def lower_bound(state) -> int:
    lists = [state.services, state.escalation_policies, state.teams, state.oncalls, state.incidents]
    tags = {label for labels in state.tags.values() for label in labels}
    return sum(max(1, math.ceil(len(items) / 100)) for items in lists) + max(1, math.ceil(len(tags) / 100))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_simulator(args.services, args.entities, args.latency_ms, Path(tmp) / "catalog")
        try:
            catalog = crawl([Source("folder", str(Path(tmp) / "catalog"))])
            wanted = wanted_services(catalog)
            settings = ClientSettings(base_url=url, requests_per_minute=1_000_000, concurrency=args.concurrency)
            client = PagerDutyClient(TOKEN, settings)
            started = time.perf_counter()
            state = collect(client, wanted)
            bulk_wall = time.perf_counter() - started
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            bulk_requests = sum(client.counts.values())
            tag_requests = sum(n for endpoint, n in client.counts.items() if "{id}" in endpoint)

            # One lookup per annotated entity, as the plugin's entity page does it.
            ids = [e.annotations["pagerduty.com/service-id"] for e in catalog.entities
                   if e.annotations.get("pagerduty.com/service-id", "").startswith("P")]
            plugin = PagerDutyClient(TOKEN, settings)
            started = time.perf_counter()
            per_entity(plugin, ids, args.concurrency)
            plugin_wall = time.perf_counter() - started
        finally:
            process.terminate()
    plugin_requests = sum(plugin.counts.values())
    bound = lower_bound(state)
    print(f"collect: {args.services} services, {len(catalog.entities)} entities, {args.latency_ms} ms latency, "
          f"concurrency {args.concurrency}")
    print(f"bulk:    {bulk_requests} requests ({bulk_requests - tag_requests} list pages, lower bound {bound}: "
          f"{(bulk_requests - tag_requests) / bound:.2f}x; {tag_requests} tag requests), wall {bulk_wall:.2f} s, "
          f"peak RSS {peak_mb:.0f} MB; at PagerDuty's 960/min: >= {bulk_requests / 960:.1f} min")
    print(f"plugin:  {plugin_requests} requests, wall {plugin_wall:.2f} s; at 960/min: >= {plugin_requests / 960:.1f} min")
    print(f"ratio:   {plugin_requests / bulk_requests:.0f}x fewer requests, {plugin_wall / bulk_wall:.0f}x faster")


if __name__ == "__main__":
    main()
