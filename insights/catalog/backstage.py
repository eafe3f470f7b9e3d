"""A Backstage catalog API as a source: `GET /api/catalog/entities/by-query` with cursor paging."""

from __future__ import annotations

import os

import requests

from insights.catalog.model import Entity, Finding
from insights.catalog.parse import to_entity
from insights.errors import SourceError

PAGE = 500
LOCATION_ANNOTATIONS = ("backstage.io/managed-by-origin-location", "backstage.io/managed-by-location")


def _origin(item: dict) -> str:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    location = next((annotations[k] for k in LOCATION_ANNOTATIONS if annotations.get(k)), "")
    return location.split(":", 1)[1] if ":" in location else location


def fetch(base_url: str, *, token_env: str | None, query_filter: str | None, label: str,
          timeout: float = 30.0) -> tuple[list[Entity], list[Finding]]:
    headers = {"Accept": "application/json"}
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise SourceError(f"Backstage source {label}: set {token_env} to a catalog read token")
        headers["Authorization"] = f"Bearer {token}"
    url = base_url.rstrip("/") + "/api/catalog/entities/by-query"
    params: dict = {"limit": PAGE, **({"filter": query_filter} if query_filter else {})}
    entities: list[Entity] = []
    findings: list[Finding] = []
    session = requests.Session()
    while True:
        try:
            response = session.get(url, params=params, headers=headers, timeout=timeout)
        except requests.RequestException as error:
            raise SourceError(f"Backstage source {label} cannot be reached ({type(error).__name__})") from error
        if response.status_code in (401, 403):
            raise SourceError(f"Backstage source {label}: HTTP {response.status_code}, the token in "
                              f"{token_env or '(none configured: set token_env)'} is refused")
        if response.status_code != 200:
            raise SourceError(f"Backstage source {label}: HTTP {response.status_code} from the catalog API; "
                              "try again later")
        try:
            page = response.json()
            items = page["items"]
        except (ValueError, KeyError, TypeError) as error:
            raise SourceError(f"Backstage source {label}: the answer is not a catalog page "
                              "(expected `items` and `pageInfo`)") from error
        for item in items:
            if not isinstance(item, dict):
                continue
            path = _origin(item)
            entity, problems = to_entity(item, source=label, repository=label, path=path)
            findings += [Finding(code, severity, message, label, path, None, entity.ref if entity else None)
                         for code, message, _, severity in problems]
            if entity:
                entities.append(entity)
        cursor = (page.get("pageInfo") or {}).get("nextCursor")
        if not cursor:
            return entities, findings
        params = {"cursor": cursor, "limit": PAGE}
