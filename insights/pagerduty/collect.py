"""Bulk collection: a few list requests for the whole account, never one request per entity.

Where most of a list is needed it is fetched whole; where a few objects are, it is filtered by batches of
ids. A query whose answer would pass the API's offset cap is split (by id batches, or by team for the
account-wide lists) so that every object is fetched.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from insights.errors import PagerDutyError
from insights.pagerduty.client import OffsetCapExceeded, PagerDutyClient
from insights.pagerduty.state import PagerDutyState, now_iso

log = logging.getLogger(__name__)

ID_BATCH = 100  # ids per filtered request; about 1.5 kB of query string
WHOLE_LIST_SHARE = 0.5  # when more than this share of a list is wanted, fetching it whole takes fewer pages
SERVICE_INCLUDES = {"include[]": ["escalation_policies", "teams", "integrations"]}
OPEN = {"statuses[]": ["triggered", "acknowledged"], "date_range": "all"}  # the API's default window is 1 month


@dataclass(frozen=True)
class CollectOptions:
    tags: bool = True
    # The services the catalog points at, by id or by integration key; None: every service.
    service_ids: frozenset[str] | None = None
    integration_keys: frozenset[str] = frozenset()
    schedule_coverage: bool = False
    standards: bool = False

    def wants(self, service: dict) -> bool:
        return self.service_ids is None or service["id"] in self.service_ids or any(
            i.get("integration_key") in self.integration_keys for i in service.get("integrations", []))


def by_ids(client: PagerDutyClient, path: str, key: str, params: dict, id_param: str, ids: list[str]) -> list[dict]:
    """A filtered list in batches of ids; a batch past the offset cap is halved until it fits."""
    items: list[dict] = []
    pending = [ids[i:i + ID_BATCH] for i in range(0, len(ids), ID_BATCH)]
    while pending:
        batch = pending.pop()
        try:
            items += client.paginate(path, key, {**params, id_param: batch})
        except OffsetCapExceeded:
            if len(batch) == 1:
                raise
            pending += [batch[: len(batch) // 2], batch[len(batch) // 2:]]
    return items


def wanted_or_all(client: PagerDutyClient, path: str, key: str, params: dict, id_param: str,
                  wanted: list[str], available: int) -> list[dict]:
    """The whole list when most of it is wanted (fewest pages), else the wanted ids in batches."""
    if not wanted:
        return []
    if len(wanted) <= WHOLE_LIST_SHARE * available:
        return by_ids(client, path, key, params, id_param, wanted)
    try:
        return client.paginate(path, key, params)
    except OffsetCapExceeded:
        return by_ids(client, path, key, params, id_param, wanted)


def account_list(client: PagerDutyClient, path: str, key: str, params: dict, teams: list[dict]) -> list[dict]:
    """Services or escalation policies of the whole account; past the offset cap, team by team."""
    try:
        return client.paginate(path, key, params)
    except OffsetCapExceeded as error:
        found = {item["id"]: item for item in by_ids(client, path, key, params, "team_ids[]", [t["id"] for t in teams])}
        total = client.get(path, {**params, "limit": 1, "total": "true"})["total"]
        if len(found) < total:
            raise PagerDutyError(f"{error}; split by team, {total - len(found)} of {total} belong to no team and "
                                 "cannot be listed: give them a team in PagerDuty", endpoint=error.endpoint) from error
        return list(found.values())


def collect(client: PagerDutyClient, options: CollectOptions | None = None) -> PagerDutyState:
    options = options or CollectOptions()
    started = now_iso()
    with ThreadPoolExecutor(max_workers=client.settings.concurrency) as pool:
        teams_f = pool.submit(client.paginate, "/teams", "teams")
        tag_list_f = pool.submit(client.paginate, "/tags", "tags") if options.tags else None
        teams = teams_f.result()
        services_f = pool.submit(account_list, client, "/services", "services", SERVICE_INCLUDES, teams)
        policies_f = pool.submit(account_list, client, "/escalation_policies", "escalation_policies",
                                 {"include[]": ["targets"]}, teams)
        services, policies = services_f.result(), policies_f.result()

        relevant = [s for s in services if options.wants(s)]
        service_ids = sorted({s["id"] for s in relevant})
        policy_ids = sorted({s["escalation_policy"]["id"] for s in relevant if s.get("escalation_policy")})
        oncalls_f = pool.submit(wanted_or_all, client, "/oncalls", "oncalls", {}, "escalation_policy_ids[]",
                                policy_ids, len(policies))
        incidents_f = pool.submit(wanted_or_all, client, "/incidents", "incidents", OPEN, "service_ids[]",
                                  service_ids, len(services))
        team_ids = {t["id"] for s in relevant for t in s.get("teams", [])}
        wanted_policies, wanted_services = set(policy_ids), set(service_ids)
        tags = _tags(client, pool, tag_list_f.result(), [p for p in policies if p["id"] in wanted_policies],
                     [t for t in teams if t["id"] in team_ids]) if tag_list_f else {}
        coverage = _coverage(client, pool, policies, set(policy_ids)) if options.schedule_coverage else {}
        standards = _standards(client, service_ids) if options.standards else {}
        oncalls = [o for o in oncalls_f.result() if o["escalation_policy"]["id"] in wanted_policies]
        incidents = [i for i in incidents_f.result() if i["service"]["id"] in wanted_services]
    log.info("collected %d services, %d escalation policies, %d on-calls, %d open incidents in %d requests",
             len(services), len(policies), len(oncalls), len(incidents), sum(client.counts.values()))
    return PagerDutyState(services=services, escalation_policies=policies, oncalls=oncalls, incidents=incidents,
                          teams=teams, tags=tags, schedule_coverage=coverage, standards=standards,
                          api_url=client.base_url, collected_at=started,
                          requests=dict(sorted(client.counts.items())))


def _coverage(client, pool, policies: list[dict], wanted: set[str]) -> dict[str, float]:
    """Coverage of each level-1 schedule over the next 7 days: one request per schedule (no bulk form)."""
    schedules = sorted({t["id"] for p in policies if p["id"] in wanted for rule in p.get("escalation_rules", [])[:1]
                        for t in rule.get("targets", []) if t.get("type", "").startswith("schedule")})
    now = datetime.now(timezone.utc).replace(microsecond=0)
    window = {"since": now.isoformat(), "until": (now + timedelta(days=7)).isoformat()}
    futures = {s: pool.submit(client.get, f"/schedules/{s}", window, endpoint="GET /schedules/{id}", missing_ok=True)
               for s in schedules}
    result = {}
    for schedule_id, future in futures.items():
        final = ((future.result() or {}).get("schedule") or {}).get("final_schedule") or {}
        if isinstance(final.get("rendered_coverage_percentage"), (int, float)):
            result[schedule_id] = float(final["rendered_coverage_percentage"])
    return result


def _standards(client, service_ids: list[str]) -> dict[str, dict]:
    """Service Standards scores, 100 services a request."""
    result = {}
    for start in range(0, len(service_ids), ID_BATCH):
        page = client.get("/standards/scores/technical_services", {"ids": service_ids[start:start + ID_BATCH]},
                          endpoint="GET /standards/scores/{resource_type}")
        for resource in page.get("resources", []):
            result[resource["resource_id"]] = resource.get("score") or {}
    return result


def _tags(client, pool, tags: list[dict], policies: list[dict], teams: list[dict]) -> dict[str, list[str]]:
    """Tags of policies and teams, by whichever way takes fewer requests: each tag's policies and teams
    (two requests per tag), or each policy's and team's tags (one request per object)."""
    result: dict[str, list[str]] = {}
    if 2 * len(tags) <= len(policies) + len(teams):
        futures = {(tag["label"], kind): pool.submit(client.paginate, f"/tags/{tag['id']}/{kind}", kind,
                                                     endpoint=f"GET /tags/{{id}}/{kind}")
                   for tag in tags for kind in ("escalation_policies", "teams")}
        for (label, kind), future in futures.items():
            for ref in future.result():
                result.setdefault(f"{kind}/{ref['id']}", []).append(label)
    else:
        objects = [("escalation_policies", p["id"]) for p in policies] + [("teams", t["id"]) for t in teams]
        futures = {f"{kind}/{object_id}": pool.submit(client.paginate, f"/{kind}/{object_id}/tags", "tags",
                                                      endpoint=f"GET /{kind}/{{id}}/tags")
                   for kind, object_id in objects}
        for key, future in futures.items():
            labels = [tag["label"] for tag in future.result()]
            if labels:
                result[key] = labels
    return {key: sorted(labels) for key, labels in sorted(result.items())}
