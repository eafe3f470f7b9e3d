"""The fewest requests any client needs to collect what a collection collected: the yardstick the collector
is measured against (benchmarks and tests), computed with hindsight from the account itself."""

from __future__ import annotations

import math
from collections import Counter
from itertools import product

from insights.pagerduty.state import PagerDutyState, parse_time
from insights.pagerduty.tags import FAMILIES, PER_OBJECT, PER_TAG


def pages(count: int, size: int = 100) -> int:
    return max(1, math.ceil(count / size))


def fewest_list_requests(collected: PagerDutyState) -> int:
    """The account-wide lists, and the on-calls and open incidents of the wanted services, in pages of 100."""
    lists = [collected.services, collected.escalation_policies, collected.teams, collected.oncalls, collected.incidents]
    return sum(pages(len(items)) for items in lists)


def fewest_tag_requests(account_tags: dict[str, list[str]], wanted: dict[str, set[str]]) -> int:
    """Tags of the wanted policies and teams by the cheapest combination of listings, knowing every tag's
    objects (`account_tags`: "escalation_policies/ID" -> labels, for the whole account)."""
    if not any(wanted.values()):
        return 0
    labels = sorted({label for found in account_tags.values() for label in found})
    per_tag = {family: sum(pages(sum(label in found for key, found in account_tags.items()
                                     if key.startswith(family + "/"))) for label in labels) for family in FAMILIES}
    per_object = {family: sum(pages(len(account_tags.get(f"{family}/{i}", []))) for i in wanted[family])
                  for family in FAMILIES}

    def cost(ways):
        chosen = sum(per_tag[f] if way == PER_TAG else per_object[f] for f, way in zip(FAMILIES, ways))
        return chosen + (pages(len(labels)) if PER_TAG in ways and labels else 0)

    return min(cost(ways) for ways in product((PER_OBJECT, PER_TAG), repeat=len(FAMILIES)))


def wanted_tag_objects(collected: PagerDutyState, service_ids: set[str]) -> dict[str, set[str]]:
    """The policies and teams of the given services, whose tags a collection reads."""
    services = [s for s in collected.services if s["id"] in service_ids]
    return {"escalation_policies": {s["escalation_policy"]["id"] for s in services if s.get("escalation_policy")},
            "teams": {t["id"] for s in services for t in s.get("teams", [])}}


def fewest_response_requests(collected: PagerDutyState) -> int:
    """Incident response over the window, from the source that served it. The Analytics API: one aggregate
    request (the spec sets no maximum on `service_ids`) and the raw incidents in pages of 1,000; the incident
    list: its pages of 100, and where its log entries were read, the window's overview entries in pages of 100
    (the listing has no service filter; they are counted whatever incidents they belong to)."""
    response = collected.incident_response
    if not response:
        return 0
    incidents = sum(m.get("total_incident_count") or 0 for m in response.get("services", {}).values())
    if response.get("source") == "analytics":
        return 1 + pages(incidents, 1000)
    entries = response.get("log_entries") or 0
    return pages(incidents) + (pages(entries) if entries else 0)


def fewest_change_event_requests(account_events: list[dict], collected: PagerDutyState) -> int:
    """Change events of the wanted services over the collected window, by the cheaper listing: the account's
    (every event in the window, pages of 100) or each wanted service's own, knowing the account's events."""
    window = collected.change_events_window
    if not window or not window.get("counts"):
        return 0
    since, until = parse_time(window["since"]), parse_time(window["until"])
    inside = [e for e in account_events if since <= parse_time(e["timestamp"]) < until]
    by_service = Counter(r["id"] for e in inside for r in {r["id"]: r for r in e.get("services", [])}.values())
    return min(pages(len(inside)), sum(pages(by_service[s]) for s in window["counts"]))


def fewest_optional_requests(collected: PagerDutyState, service_ids: set[str]) -> dict[str, int]:
    """Schedule coverage (one request per level-1 schedule of the wanted services' policies: the API has no
    bulk form) and Service Standards (100 services a request), where they were collected."""
    services = [s for s in collected.services if s["id"] in service_ids]
    policies = {s["escalation_policy"]["id"] for s in services if s.get("escalation_policy")}
    schedules = {t["id"] for p in collected.escalation_policies if p["id"] in policies
                 for rule in p.get("escalation_rules", [])[:1] for t in rule.get("targets", [])
                 if (t.get("type") or "").startswith("schedule")}
    return {"schedules": len(schedules) if collected.schedule_coverage else 0,
            "standards": math.ceil(len(services) / 100) if collected.standards else 0}
