"""Tags of the escalation policies and teams the catalog reaches, each family read the cheaper way.

PagerDuty has two listings: each tag's objects (`GET /tags/{id}/{kind}`, one request per tag and page, for
every tag of the account) or each object's tags (`GET /{kind}/{id}/tags`, one request per object). The first
page of `GET /tags` gives the number of tags; with the number of policies and teams wanted, the cheapest
combination is chosen per family. A per-tag family whose first pages show that its remaining pages would
cost more than asking each object is finished per object instead.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import product

from insights.pagerduty.client import PAGE_LIMIT, PagerDutyClient, segment

FAMILIES = ("escalation_policies", "teams")
PER_TAG, PER_OBJECT = "per-tag", "per-object"


def plan(tag_count: int, wanted: dict[str, int]) -> dict[str, str]:
    """The cheapest way per family, given the number of tags and of wanted objects per family. Reading per
    tag needs the whole tag list (its first page is read already) and one request per tag; a tie goes to per
    object, whose cost is known exactly."""
    rest_of_list = max(0, math.ceil(tag_count / PAGE_LIMIT) - 1)

    def cost(ways):
        per_tag = [family for family, way in zip(FAMILIES, ways) if way == PER_TAG]
        return (sum(tag_count if way == PER_TAG else wanted[family] for family, way in zip(FAMILIES, ways))
                + (rest_of_list if per_tag else 0), ways.count(PER_TAG))

    best = min(product((PER_OBJECT, PER_TAG), repeat=len(FAMILIES)), key=cost)
    return dict(zip(FAMILIES, best))


def collect_tags(client: PagerDutyClient, pool: ThreadPoolExecutor, wanted: dict[str, set[str]]) -> dict[str, list[str]]:
    """"escalation_policies/ID" or "teams/ID" -> sorted labels, for the wanted objects that have tags."""
    if not any(wanted.values()):
        return {}
    first = client.page("/tags", "tags")
    tags = None if isinstance(first.total, int) else client.paginate("/tags", "tags", first=first)
    ways = plan(first.total if tags is None else len(tags), {f: len(wanted[f]) for f in FAMILIES})
    if tags is None and PER_TAG in ways.values():
        tags = client.paginate("/tags", "tags", first=first)
    labels: dict[str, set[str]] = {}
    per_object = [f for f in FAMILIES if ways[f] == PER_OBJECT]
    firsts = {(family, tag["id"]): (tag["label"], pool.submit(client.page, f"/tags/{segment(tag['id'])}/{family}", family,
                                                              endpoint=f"GET /tags/{{id}}/{family}"))
              for family in FAMILIES if ways[family] == PER_TAG for tag in tags or []}
    objects = _per_object(client, pool, per_object, wanted)
    rest: list[tuple[str, str, Future]] = []
    for family in FAMILIES:
        if ways[family] != PER_TAG:
            continue
        pages = {tag_id: (label, future.result()) for (f, tag_id), (label, future) in firsts.items() if f == family}
        extra = sum(page.pages() - 1 for _, page in pages.values())
        if extra > len(wanted[family]):
            objects.update(_per_object(client, pool, [family], wanted))
            continue
        for tag_id, (label, page) in pages.items():
            if page.more:
                rest.append((family, label, pool.submit(client.paginate, f"/tags/{segment(tag_id)}/{family}", family,
                                                        endpoint=f"GET /tags/{{id}}/{family}", first=page)))
            else:
                rest.append((family, label, _done(page.items)))
    for family, label, future in rest:
        for ref in future.result():
            if ref["id"] in wanted[family]:
                labels.setdefault(f"{family}/{ref['id']}", set()).add(label)
    for key, future in objects.items():
        labels.setdefault(key, set()).update(tag["label"] for tag in future.result())
    return {key: sorted(found) for key, found in sorted(labels.items()) if found}


def _per_object(client, pool, families: list[str], wanted: dict[str, set[str]]) -> dict[str, Future]:
    return {f"{family}/{object_id}": pool.submit(client.paginate, f"/{family}/{segment(object_id)}/tags", "tags",
                                                 endpoint=f"GET /{family}/{{id}}/tags")
            for family in families for object_id in sorted(wanted[family])}


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future
