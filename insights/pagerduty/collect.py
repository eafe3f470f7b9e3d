"""Bulk collection: a handful of list requests for the whole account, never one request per entity."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from insights.pagerduty.client import PagerDutyClient
from insights.pagerduty.state import PagerDutyState, now_iso

log = logging.getLogger(__name__)

ID_BATCH = 50  # ids per filtered request: keeps URLs short and every page set under the offset cap


@dataclass(frozen=True)
class CollectOptions:
    tags: bool = True


def _batches(ids: list[str], size: int = ID_BATCH) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def collect(client: PagerDutyClient, options: CollectOptions | None = None) -> PagerDutyState:
    options = options or CollectOptions()
    started = now_iso()
    with ThreadPoolExecutor(max_workers=client.settings.concurrency) as pool:
        services_f = pool.submit(client.paginate, "/services", "services",
                                 {"include[]": ["escalation_policies", "teams", "integrations"]})
        policies_f = pool.submit(client.paginate, "/escalation_policies", "escalation_policies",
                                 {"include[]": ["targets"]})
        teams_f = pool.submit(client.paginate, "/teams", "teams")
        tags_f = pool.submit(client.paginate, "/tags", "tags") if options.tags else None
        services, policies = services_f.result(), policies_f.result()

        policy_ids = sorted({p["id"] for p in policies})
        service_ids = sorted({s["id"] for s in services})
        oncall_pages = [pool.submit(client.paginate, "/oncalls", "oncalls",
                                    {"escalation_policy_ids[]": batch}) for batch in _batches(policy_ids)]
        incident_pages = [pool.submit(client.paginate, "/incidents", "incidents",
                                      {"statuses[]": ["triggered", "acknowledged"], "date_range": "all",
                                       "service_ids[]": batch}) for batch in _batches(service_ids)]
        # Tags are listed once, then each tag's policies and teams: one request per tag and type,
        # far fewer than one per policy and team.
        tag_pages = {(tag["label"], kind): pool.submit(client.paginate, f"/tags/{tag['id']}/{kind}", kind,
                                                       endpoint=f"GET /tags/{{id}}/{kind}")
                     for tag in (tags_f.result() if tags_f else []) for kind in ("escalation_policies", "teams")}
        oncalls = [o for f in oncall_pages for o in f.result()]
        incidents = [i for f in incident_pages for i in f.result()]
        teams = teams_f.result()
        tags: dict[str, list[str]] = {}
        for (label, kind), future in tag_pages.items():
            for ref in future.result():
                tags.setdefault(f"{kind}/{ref['id']}", []).append(label)
    log.info("collected %d services, %d escalation policies, %d on-calls, %d open incidents in %d requests",
             len(services), len(policies), len(oncalls), len(incidents), sum(client.counts.values()))
    return PagerDutyState(services=services, escalation_policies=policies, oncalls=oncalls, incidents=incidents,
                          teams=teams, tags={k: sorted(v) for k, v in sorted(tags.items())},
                          api_url=client.base_url, collected_at=started,
                          requests=dict(sorted(client.counts.items())))
