"""Facts read from the descriptor itself."""

from __future__ import annotations

import re

import pandas as pd

from insights.catalog.refs import display_name
from insights.facts.base import Fact, each, each_distinct

SOURCE = "catalog"
FACTS = [
    Fact("catalog.kind", "string", "Entity kind, lower-case (component, api, group, ...).", SOURCE),
    Fact("catalog.type", "string", "spec.type (service, website, library, ...).", SOURCE),
    Fact("catalog.lifecycle", "string", "spec.lifecycle (production, experimental, deprecated, ...).", SOURCE),
    Fact("catalog.name", "string", "metadata.name as written.", SOURCE),
    Fact("catalog.namespace", "string", "metadata.namespace, lower-case (`default` when absent).", SOURCE),
    Fact("catalog.annotation_keys", "list", "Keys of the annotations set to a non-empty value.", SOURCE),
    Fact("catalog.owner", "string", "Owner as written in short form (`payments`, `user:jdoe`).", SOURCE),
    Fact("catalog.system", "string", "System the entity belongs to, short form.", SOURCE),
    Fact("catalog.has_owner", "boolean", "spec.owner is set.", SOURCE),
    Fact("catalog.has_description", "boolean", "metadata.description is set and not blank.", SOURCE),
    Fact("catalog.tags", "list", "metadata.tags.", SOURCE),
    Fact("catalog.has_runbook_link", "boolean", "metadata.links has a link titled or typed as a runbook.", SOURCE),
    Fact("catalog.has_dashboard_link", "boolean", "metadata.links has a dashboard link.", SOURCE),
    Fact("catalog.has_repository_link", "boolean",
         "A source location is known (backstage.io/source-location, github.com/project-slug or a repository link).",
         SOURCE),
]

REPOSITORY_ANNOTATIONS = ("backstage.io/source-location", "github.com/project-slug", "gitlab.com/project-slug")


RUNBOOK, DASHBOARD, REPOSITORY = (re.compile(words, re.IGNORECASE) for words in
                                  ("runbook|playbook", "dashboard|grafana|datadog", "repo|github|gitlab|source"))


def _has_link(links: list[dict], pattern: re.Pattern) -> bool:
    return any(pattern.search(" ".join(str(link.get(k, "")) for k in ("title", "type", "icon", "url")))
               for link in links)


NEEDS = ()

def compute(_facts: pd.DataFrame, context) -> pd.DataFrame:
    e = context.entities
    return pd.DataFrame({
        "catalog.kind": e["kind"],
        "catalog.type": e["type"],
        "catalog.lifecycle": e["lifecycle"],
        "catalog.name": e["name"],
        "catalog.namespace": e["namespace"],
        "catalog.annotation_keys": each(e["annotations"], lambda a: sorted(k for k, v in a.items() if v.strip())),
        "catalog.owner": each_distinct(e["owner"], display_name),
        "catalog.system": each_distinct(e["system"], display_name),
        "catalog.has_owner": e["owner"].notna(),
        "catalog.has_description": e["description"].notna(),
        "catalog.tags": e["tags"],
        "catalog.has_runbook_link": each(e["links"], lambda links: _has_link(links, RUNBOOK)),
        "catalog.has_dashboard_link": each(e["links"], lambda links: _has_link(links, DASHBOARD)),
        "catalog.has_repository_link": [
            any(k in annotations for k in REPOSITORY_ANNOTATIONS) or _has_link(links, REPOSITORY)
            for annotations, links in zip(e["annotations"], e["links"])],
    }, index=e.index)
