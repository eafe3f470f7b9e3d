"""Bulk collection: a few list requests for the whole account, never one request per entity.

Where most of a list is needed it is fetched whole; where a few objects are, it is filtered by batches of
ids. A query whose answer would pass the API's offset cap is split (by id batches, or by team for the
account-wide lists) so that every object is fetched. A service the catalog names that the listing lacks is
asked for by id: the key may simply not see it. An optional collection the key may not read is recorded as
unavailable; a core list it may not read stops the collection.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from insights.catalog.policies import split_values
from insights.catalog.validate import INTEGRATION_KEY, PLACEHOLDER, SERVICE_ID, SERVICE_ID_FORMAT
from insights.errors import PagerDutyError
from insights.pagerduty.auth import scopes_for
from insights.pagerduty.changes import collect_changes
from insights.pagerduty.client import ID_BATCH, WHOLE_LIST_SHARE, OffsetCapExceeded, PagerDutyClient, segment
from insights.pagerduty.response import ResponseOptions, collect_response
from insights.pagerduty.schedules import collect_coverage
from insights.pagerduty.standards import collect_standards
from insights.pagerduty.state import PagerDutyState, now_iso
from insights.pagerduty.tags import collect_tags

log = logging.getLogger(__name__)

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
    incident_response: bool = False  # incident response over a window (`response.py`)
    response: ResponseOptions = ResponseOptions()
    change_events: bool = False  # change events over a window (`changes.py`)
    change_events_days: int = 30

    def wants(self, service: dict) -> bool:
        return self.service_ids is None or service["id"] in self.service_ids or any(
            i.get("integration_key") in self.integration_keys for i in service.get("integrations", []))

    def split(self) -> CollectOptions:
        """The same, with every comma-separated annotation value taken as the several values it names."""
        def each(values):
            return frozenset(v for value in values for v in split_values(value) if v)
        return replace(self, service_ids=None if self.service_ids is None else each(self.service_ids),
                       integration_keys=each(self.integration_keys))

    def scopes(self) -> tuple[str, ...]:
        return scopes_for(self.tags, self.schedule_coverage, self.standards,
                          self.incident_response and self.response.analytics_api, self.change_events)


def wanted_from(entities) -> CollectOptions:
    """What the catalog points at (every id and key, several per annotation allowed): on-calls and incidents
    are fetched for these services only."""
    def named(key):
        return frozenset(e.annotations[key] for e in entities if isinstance(e.annotations.get(key), str))
    return CollectOptions(service_ids=named(SERVICE_ID), integration_keys=named(INTEGRATION_KEY)).split()


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
        total = client.page(path, key, params).total
        if not isinstance(total, int):
            raise PagerDutyError(f"{error}; split by team, the API did not say how many there are in all",
                                 endpoint=error.endpoint) from error
        if len(found) < total:
            raise PagerDutyError(f"{error}; split by team, {total - len(found)} of {total} belong to no team and "
                                 "cannot be listed: give them a team in PagerDuty", endpoint=error.endpoint) from error
        return list(found.values())


def collect(client: PagerDutyClient, options: CollectOptions | None = None) -> PagerDutyState:
    options = (options or CollectOptions()).split()
    client.credential.want(options.scopes())
    pool = ThreadPoolExecutor(max_workers=client.settings.concurrency)
    try:
        return _collect(client, options, pool)
    except BaseException as error:
        # Workers still waiting or retrying stop at once instead of finishing the queue.
        client.stop(error if isinstance(error, PagerDutyError) else PagerDutyError("collection interrupted"))
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(client: PagerDutyClient, options: CollectOptions, pool: ThreadPoolExecutor) -> PagerDutyState:
    started = now_iso()
    teams = pool.submit(client.paginate, "/teams", "teams").result()
    services_f = pool.submit(account_list, client, "/services", "services", SERVICE_INCLUDES, teams)
    policies_f = pool.submit(account_list, client, "/escalation_policies", "escalation_policies",
                             {"include[]": ["targets"]}, teams)
    services, policies = services_f.result(), policies_f.result()
    found, not_visible = _confirm_missing(client, pool, options, services)
    services += found

    relevant = [s for s in services if options.wants(s)]
    service_ids = sorted({s["id"] for s in relevant})
    policy_ids = sorted({s["escalation_policy"]["id"] for s in relevant if s.get("escalation_policy")})
    oncalls_f = pool.submit(wanted_or_all, client, "/oncalls", "oncalls", {}, "escalation_policy_ids[]",
                            policy_ids, len(policies))
    incidents_f = pool.submit(wanted_or_all, client, "/incidents", "incidents", OPEN, "service_ids[]",
                              service_ids, len(services))
    wanted_policies, wanted_services = set(policy_ids), set(service_ids)
    unavailable: dict[str, str] = {}
    tags = coverage = standards = {}
    if options.tags:
        wanted = {"escalation_policies": wanted_policies, "teams": {t["id"] for s in relevant for t in s.get("teams", [])}}
        tags = _optional(client, unavailable, "tags", "tags.read", lambda: collect_tags(client, pool, wanted))
    gaps = {}
    if options.schedule_coverage:
        coverage, gaps = _optional(client, unavailable, "schedules", "schedules.read",
                                   lambda: collect_coverage(client, pool, policies, wanted_policies)) or ({}, {})
    if options.standards:
        standards = _optional(client, unavailable, "standards", "standards.read",
                              lambda: collect_standards(client, pool, service_ids))
    response = {}
    if options.incident_response:
        response = _optional(client, unavailable, "incident_response", "incidents.read",
                             lambda: collect_response(client, pool, service_ids, len(services), options.response))
    changes, changes_window = [], {}
    if options.change_events:
        changes, changes_window = _optional(
            client, unavailable, "change_events", "services.read",
            lambda: collect_changes(client, pool, service_ids, options.change_events_days)) or ([], {})
    oncalls = [o for o in oncalls_f.result() if o["escalation_policy"]["id"] in wanted_policies]
    incidents = [i for i in incidents_f.result() if i["service"]["id"] in wanted_services]
    log.info("collected %d services, %d escalation policies, %d on-calls, %d open incidents in %d requests",
             len(services), len(policies), len(oncalls), len(incidents), sum(client.counts.values()))
    return PagerDutyState(services=services, escalation_policies=policies, oncalls=oncalls, incidents=incidents,
                          teams=teams, tags=tags, schedule_coverage=coverage, schedule_gaps=gaps, standards=standards,
                          incident_response=response, change_events=changes, change_events_window=changes_window,
                          not_visible=not_visible, unavailable=unavailable, api_url=client.base_url,
                          collected_at=started, requests=dict(sorted(client.counts.items())))


def _confirm_missing(client, pool, options: CollectOptions, services: list[dict]) -> tuple[list[dict], list[str]]:
    """Ask for each id the catalog names that the listing lacks: 404, it does not exist; 403, this key may not
    see it (a user token or team-scoped app); found, the listing left it out."""
    if options.service_ids is None:
        return [], []
    listed = {s["id"] for s in services}
    missing = sorted(i for i in options.service_ids - listed if SERVICE_ID_FORMAT.match(i) and not PLACEHOLDER.search(i))
    futures = {i: pool.submit(_service_by_id, client, i) for i in missing}
    found, hidden = [], []
    for service_id, future in futures.items():
        answer = future.result()
        if answer == "forbidden":
            hidden.append(service_id)
        elif answer:
            found.append(answer["service"])
    if hidden:
        log.warning("%d services the catalog names are not visible to this PagerDuty key", len(hidden))
    return found, hidden


def _service_by_id(client, service_id: str):
    try:
        return client.get(f"/services/{segment(service_id)}", SERVICE_INCLUDES, endpoint="GET /services/{id}",
                          missing_ok=True)
    except PagerDutyError as error:
        if error.status == 403:
            return "forbidden"
        raise


def _optional(client, unavailable: dict[str, str], name: str, scope: str, read):
    """An optional collection: one the key may not read is recorded as unavailable and the run goes on."""
    if client.credential.lacks(scope):
        unavailable[name] = f"the OAuth app was not granted {scope}"
        return {}
    try:
        return read()
    except PagerDutyError as error:
        if error.status != 403:
            raise
        unavailable[name] = (f"{error.endpoint} answered HTTP 403: not visible to this key (an OAuth app needs "
                             f"{scope}); use an account-level read-only key")
        log.warning("PagerDuty %s unavailable: %s", name, unavailable[name])
        return {}

