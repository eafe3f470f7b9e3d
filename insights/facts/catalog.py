"""Facts read from the descriptor itself."""

from __future__ import annotations

import re

import pandas as pd

from insights.catalog.refs import display_name
from insights.facts.base import Fact, each, each_distinct
from insights.facts.causes import first
from insights.links import descriptor_url, entity_page

SOURCE = "catalog"
FACTS = [
    Fact("catalog.kind", "string", "Entity kind, lower-case (component, api, group, ...).", SOURCE),
    Fact("catalog.type", "string", "spec.type (service, website, library, ...).", SOURCE, cause="catalog.type"),
    Fact("catalog.lifecycle", "string", "spec.lifecycle (production, experimental, deprecated, ...).", SOURCE,
         cause="catalog.lifecycle"),
    Fact("catalog.name", "string", "metadata.name as written.", SOURCE),
    Fact("catalog.title", "string", "metadata.title, the display name (unknown when not set).", SOURCE,
         cause="catalog.title"),
    Fact("catalog.namespace", "string", "metadata.namespace, lower-case (`default` when absent).", SOURCE),
    Fact("catalog.annotation_keys", "list", "Keys of the annotations set to a non-empty value.", SOURCE),
    Fact("catalog.owner", "string", "Owner as written in short form (`payments`, `user:jdoe`).", SOURCE,
         cause="catalog.owner"),
    Fact("catalog.system", "string", "System the entity belongs to, short form.", SOURCE, cause="catalog.system"),
    Fact("catalog.has_owner", "boolean", "spec.owner is set.", SOURCE),
    Fact("catalog.has_description", "boolean", "metadata.description is set and not blank.", SOURCE),
    Fact("catalog.tags", "list", "metadata.tags.", SOURCE),
    Fact("catalog.has_runbook_link", "boolean", "metadata.links has a link titled or typed as a runbook.", SOURCE),
    Fact("catalog.has_dashboard_link", "boolean", "metadata.links has a dashboard link.", SOURCE),
    Fact("catalog.has_repository_link", "boolean",
         "A source location is known (backstage.io/source-location, github.com/project-slug or a repository link).",
         SOURCE),
    Fact("catalog.file_url", "string",
         "The descriptor at its line in the repository's web UI (from backstage.io/view-url, edit-url or "
         "source-location, the source's URL template, or the git remote and revision crawled).", SOURCE,
         cause="catalog.file_url"),
    Fact("catalog.entity_url", "string", "The entity's page in the Backstage it was read from.", SOURCE,
         cause="catalog.entity_url"),
]

REPOSITORY_ANNOTATIONS = ("backstage.io/source-location", "github.com/project-slug", "gitlab.com/project-slug")


RUNBOOK, DASHBOARD, REPOSITORY = (re.compile(words, re.IGNORECASE) for words in
                                  ("runbook|playbook", "dashboard|grafana|datadog", "repo|github|gitlab|source"))


def _has_link(links: list[dict], pattern: re.Pattern) -> bool:
    return any(pattern.search(" ".join(str(link.get(k, "")) for k in ("title", "type", "icon", "url")))
               for link in links)


NEEDS = ()

# The descriptor field behind each fact that is unknown when the field is not set.
FIELDS = {"catalog.type": ("type", "spec.type"), "catalog.lifecycle": ("lifecycle", "spec.lifecycle"),
          "catalog.title": ("title", "metadata.title"), "catalog.owner": ("owner", "spec.owner"),
          "catalog.system": ("system", "spec.system")}


def compute(_facts: pd.DataFrame, _causes: dict, context) -> tuple[pd.DataFrame, dict]:
    e = context.entities
    causes = {fact: first(e.index, (e[column].isna(), f"{field} is not set")) for fact, (column, field) in FIELDS.items()}
    file_urls = [descriptor_url(annotations, origin_url=origin, revision=revision, origin_dir=folder, path=path,
                                line=line, template=template)
                 for annotations, origin, revision, folder, path, line, template in
                 zip(e["annotations"], e["origin_url"], e["revision"], e["origin_dir"], e["path"], e["line"],
                     e["web_url_template"])]
    entity_urls = [entity_page(base, namespace, kind, name)
                   for base, namespace, kind, name in zip(e["backstage_url"], e["namespace"], e["kind"], e["name"])]
    causes["catalog.file_url"] = first(e.index, (pd.isna(pd.Series(file_urls, index=e.index, dtype=object)),
                                                 "the repository's web address is not known"))
    causes["catalog.entity_url"] = first(e.index, (pd.Series([u is None for u in entity_urls], index=e.index),
                                                   "not read from a Backstage catalog"))
    return pd.DataFrame({
        "catalog.kind": e["kind"],
        "catalog.type": e["type"],
        "catalog.lifecycle": e["lifecycle"],
        "catalog.name": e["name"],
        "catalog.title": e["title"],
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
        "catalog.file_url": pd.Series(file_urls, index=e.index, dtype=object),
        "catalog.entity_url": pd.Series(entity_urls, index=e.index, dtype=object),
    }, index=e.index), causes
