"""Collect a generated PagerDuty account over HTTP from the simulator (run as its own process, with
simulated latency and PagerDuty's real budget of 960 requests a minute): requests against the fewest any
client could make, 429s met, wall time. `--plugin` also times the per-entity way of the PagerDuty Backstage
plugin (the service by id with includes, its on-calls, its open incidents); pair it with a large
`--rate-limit`, or it waits for the budget too. The optional collections are off unless named
(`--incident-response`, ...; `--without-analytics` reads it from the incident list and its log entries); the
bound counts the fewest requests for the collections enabled.

    python benchmarks/collect_bench.py --services 2000 --entities 10000 --latency-ms 20 --incident-response
    python benchmarks/collect_bench.py --services 2000 --entities 10000 --latency-ms 20 --without-analytics
"""

from __future__ import annotations

import argparse
import dataclasses
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
from insights.pagerduty.collect import wanted_from
from insights.pagerduty.cost import (fewest_change_event_requests, fewest_list_requests, fewest_optional_requests,
                                     fewest_response_requests, fewest_tag_requests, wanted_tag_objects)
from insights.pagerduty.generate import generate
from insights.pagerduty.response import ResponseOptions

TOKEN = "bench-token"


def start_simulator(services: int, entities: int, latency: int, rate_limit: int, catalog: Path):
    script = Path(sys.executable).parent / "insights"
    process = subprocess.Popen([str(script), "pagerduty", "simulate", "--generate", str(services), "--entities",
                                str(entities), "--catalog-out", str(catalog), "--latency-ms", str(latency),
                                "--rate-limit", str(rate_limit), "--token", TOKEN], stderr=subprocess.PIPE, text=True)
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


def fewest_requests(state, account, wanted, by_id: int = 0) -> dict[str, int]:
    """The fewest requests any client could have made for `state` (as collected for `wanted`) from `account`
    (everything the simulator served), per part; `by_id`: the services the lists could not hold, read one by one."""
    relevant = {s["id"] for s in state.services if wanted.wants(s)}
    return {"lists": fewest_list_requests(state) + by_id,
            "tags": fewest_tag_requests(account.tags, wanted_tag_objects(state, relevant)),
            "incident response": fewest_response_requests(state),
            "change events": fewest_change_event_requests(account.change_events, state),
            **fewest_optional_requests(state, relevant)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate-limit", type=int, default=960, help="the simulator's budget per minute")
    parser.add_argument("--plugin", action="store_true", help="also time the per-entity way")
    parser.add_argument("--incident-response", action="store_true", help="collect incident response (Analytics API)")
    parser.add_argument("--without-analytics", action="store_true",
                        help="collect incident response from the incident list and its log entries")
    parser.add_argument("--change-events", action="store_true", help="collect change events")
    parser.add_argument("--schedule-coverage", action="store_true", help="collect level-1 schedule coverage")
    parser.add_argument("--standards", action="store_true", help="collect Service Standards")
    parser.add_argument("--all", action="store_true", help="every optional collection")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_simulator(args.services, args.entities, args.latency_ms, args.rate_limit,
                                       Path(tmp) / "catalog")
        try:
            catalog = crawl([Source("folder", str(Path(tmp) / "catalog"))])
            wanted = dataclasses.replace(wanted_from(catalog.entities),
                                         incident_response=args.incident_response or args.without_analytics or args.all,
                                         response=ResponseOptions(analytics_api=not args.without_analytics),
                                         change_events=args.change_events or args.all,
                                         schedule_coverage=args.schedule_coverage or args.all,
                                         standards=args.standards or args.all)
            settings = ClientSettings(base_url=url, concurrency=args.concurrency)
            client = PagerDutyClient(TOKEN, settings)
            started = time.perf_counter()
            state = collect(client, wanted)
            bulk_wall = time.perf_counter() - started
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if args.plugin:
                ids = [e.annotations["pagerduty.com/service-id"] for e in catalog.entities
                       if e.annotations.get("pagerduty.com/service-id", "").startswith("P")]
                plugin = PagerDutyClient(TOKEN, settings)
                started = time.perf_counter()
                per_entity(plugin, ids, args.concurrency)
                plugin_wall = time.perf_counter() - started
        finally:
            process.terminate()
    account = generate(args.services, args.entities).state  # what the simulator served, for the tag bound
    bounds = fewest_requests(state, account, wanted, client.counts["GET /services/{id}"])
    bound = sum(bounds.values())
    requests = sum(client.counts.values())
    print(f"collect: {args.services} services, {len(catalog.entities)} entities, {args.latency_ms} ms latency, "
          f"concurrency {args.concurrency}, budget {args.rate_limit}/min")
    print("requests: " + ", ".join(f"{endpoint} {n}" for endpoint, n in sorted(client.counts.items())))
    print("fewest:   " + ", ".join(f"{name} {n}" for name, n in bounds.items() if n))
    print(f"bulk:    {requests} requests, fewest possible {bound}: {requests / bound:.2f}x; "
          f"{client.throttled} answered 429; wall {bulk_wall:.2f} s, peak RSS {peak_mb:.0f} MB")
    if args.plugin:
        plugin_requests = sum(plugin.counts.values())
        print(f"plugin:  {plugin_requests} requests, wall {plugin_wall:.2f} s; at 960/min: "
              f">= {plugin_requests / 960:.1f} min; {plugin_requests / requests:.0f}x the requests")


if __name__ == "__main__":
    main()
