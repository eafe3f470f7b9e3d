"""A Backstage catalog API as a source: `GET /api/catalog/entities/by-query` with cursor paging.

The answer is untrusted: each page has a total time limit and a size cap, the source an overall deadline, a
repeated cursor ends the paging, and a page that is not a catalog page is a SourceError naming the endpoint
and what was seen. One malformed entity is a finding; the others are still read.
"""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

from insights import storable
from insights.catalog.fetch import FetchError, fetch as http_get
from insights.catalog.model import ERROR, Entity, Finding
from insights.catalog.parse import to_entity
from insights.catalog.settings import CrawlSettings
from insights.catalog.urls import mask_url
from insights.errors import SourceError

PAGE = 500
LOCATION_ANNOTATIONS = ("backstage.io/managed-by-origin-location", "backstage.io/managed-by-location")
ENTITY_ERRORS = (TypeError, AttributeError, ValueError, KeyError, RecursionError)


def fetch(base_url: str, *, token_env: str | None, query_filter: str | None, label: str,
          settings: CrawlSettings | None = None) -> tuple[list[Entity], list[Finding]]:
    settings = settings or CrawlSettings()
    headers = {"Accept": "application/json"}
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise SourceError(f"Backstage source {label}: set {token_env} to a catalog read token")
        headers["Authorization"] = f"Bearer {token}"
    host = urlsplit(base_url).hostname
    url = base_url.rstrip("/") + "/api/catalog/entities/by-query"
    endpoint = f"Backstage API {mask_url(url)}"
    params: dict = {"limit": PAGE, **({"filter": query_filter} if query_filter else {})}
    deadline = time.monotonic() + settings.backstage_timeout
    entities: list[Entity] = []
    findings: list[Finding] = []
    cursors: set[str] = set()
    for number in range(1, 1_000_000):
        remaining = max(deadline - time.monotonic(), 0.001)
        try:
            response = http_get(url, deadline=min(settings.backstage_request_timeout, remaining), params=params,
                                max_bytes=settings.backstage_max_page_bytes,
                                headers_for=lambda h: headers if h == host else {"Accept": "application/json"})
        except FetchError as error:
            if time.monotonic() >= deadline:
                raise SourceError(f"{endpoint}: not finished within {settings.backstage_timeout:g} s "
                                  f"({number - 1} pages read); raise the limit or narrow the filter") from None
            raise SourceError(f"{endpoint}: page {number}: {error.reason}") from None
        if response.status in (401, 403):
            raise SourceError(f"{endpoint}: HTTP {response.status}, the token in "
                              f"{token_env or '(none configured: set token_env)'} is refused")
        if response.status != 200:
            raise SourceError(f"{endpoint}: HTTP {response.status} from the catalog API; try again later")
        items, cursor = _page(response.body, response.content_type, f"{endpoint}: page {number}")
        for index, item in enumerate(items):
            entity, problems = _entity(item, label, f"page {number}, item {index + 1}")
            findings += problems
            if entity:
                entities.append(entity)
        if not cursor:
            return entities, findings
        if cursor in cursors:
            raise SourceError(f"{endpoint}: page {number} repeats a cursor already followed; the API's paging "
                              "loops, so the catalog cannot be read whole")
        cursors.add(cursor)
        params = {"cursor": cursor, "limit": PAGE}
    raise SourceError(f"{endpoint}: more than a million pages")


def _page(body: bytes, content_type: str, where: str) -> tuple[list, str | None]:
    """The items and next cursor of one page, or SourceError saying what came instead."""
    try:
        page = storable.loads(body)
    except RecursionError:
        raise SourceError(f"{where}: the JSON answer is nested too deeply to be a catalog page") from None
    except ValueError as error:
        raise SourceError(f"{where}: the answer is not JSON (content type {content_type or 'none'!r}: "
                          f"{error})") from None
    if not isinstance(page, dict):
        raise SourceError(f"{where}: the answer is a JSON {_kind(page)}, not a catalog page (an object with "
                          "`items` and `pageInfo`)")
    items, info = page.get("items"), page.get("pageInfo")
    if not isinstance(items, list):
        raise SourceError(f"{where}: `items` is {_kind(items)}, not a list of entities")
    if info is not None and not isinstance(info, dict):
        raise SourceError(f"{where}: `pageInfo` is {_kind(info)}, not an object")
    cursor = (info or {}).get("nextCursor")
    if cursor is not None and not isinstance(cursor, str):
        raise SourceError(f"{where}: `pageInfo.nextCursor` is {_kind(cursor)}, not a string")
    return items, cursor


def _kind(value) -> str:
    return {type(None): "missing or null", dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _entity(item, label: str, where: str) -> tuple[Entity | None, list[Finding]]:
    """One item of a page as an entity, or a finding when it cannot be one."""
    if not isinstance(item, dict):
        return None, [Finding("backstage-entity-invalid", ERROR, f"{where} is {_kind(item)}, not an entity; "
                              "fix it in the catalog", label)]
    metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    path = _origin(metadata)
    try:
        entity, problems = to_entity(item, source=label, repository=label, path=path)
    except ENTITY_ERRORS as error:
        name = metadata.get("name") if isinstance(metadata.get("name"), str) else "without a name"
        return None, [Finding("backstage-entity-invalid", ERROR, f"{where} (entity {name}) cannot be read "
                              f"({type(error).__name__}); fix it in the catalog", label, path)]
    findings = [Finding(code, severity, message, label, path, None, entity.ref if entity else None)
                for code, message, _, severity in problems]
    return entity, findings


def _origin(metadata: dict) -> str:
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    location = next((annotations[k] for k in LOCATION_ANNOTATIONS if isinstance(annotations.get(k), str)
                     and annotations[k]), "")
    return location.split(":", 1)[1] if ":" in location else location
