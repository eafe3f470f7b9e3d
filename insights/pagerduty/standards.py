"""Service Standards: each wanted service's score and the result of every standard PagerDuty applies to it."""

from __future__ import annotations

from insights.pagerduty.client import ID_BATCH

# What is kept of each standard applied to a service (its description is long, and the same for every service).
KEPT = ("id", "name", "type", "pass", "active")


def collect_standards(client, pool, service_ids: list[str]) -> dict[str, dict]:
    """Service id -> {"passing", "total", "standards": [{id, name, type, pass, active}]}, 100 services a request
    (`ids` is a plain array parameter in the spec)."""
    futures = [pool.submit(client.get, "/standards/scores/technical_services", {"ids": service_ids[i:i + ID_BATCH]},
                           endpoint="GET /standards/scores/{resource_type}")
               for i in range(0, len(service_ids), ID_BATCH)]
    result = {}
    for future in futures:
        for resource in future.result()["resources"]:
            applied = [{k: s[k] for k in KEPT if k in s} for s in resource.get("standards") or []]
            result[resource["resource_id"]] = {**(resource.get("score") or {}), **({"standards": applied} if applied else {})}
    return result
