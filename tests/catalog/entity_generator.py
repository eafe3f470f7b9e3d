"""Seeded entities for the differential test: valid ones of every kind and near-misses of every rule
Backstage's validators apply, written as YAML (block style, as people write it) or as JSON text."""

from __future__ import annotations

import json
import random

import yaml

KINDS = {
    "Component": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    "API": {"type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": "openapi: 3.0.0"},
    "Resource": {"type": "database", "owner": "team-a"},
    "System": {"owner": "team-a"},
    "Domain": {"owner": "team-a"},
    "Group": {"type": "team", "children": []},
    "User": {"memberOf": ["team-a"]},
    "Location": {"target": "./other.yaml"},
    "Template": {"owner": "team-a", "steps": []},
    "MyCustomKind": {"anything": {"goes": [1, 2]}},
}
OPTIONAL = {
    "Component": {"system": "shop", "subcomponentOf": "web", "providesApis": ["a"], "consumesApis": ["b"],
                  "dependsOn": ["resource:db"], "dependencyOf": ["x"]},
    "API": {"system": "shop"},
    "Resource": {"dependsOn": ["component:web"], "system": "shop"},
    "System": {"domain": "retail", "type": "product"},
    "Domain": {"subdomainOf": "retail", "type": "area"},
    "Group": {"profile": {"displayName": "Team A", "email": "a@example.com"}, "parent": "org", "members": ["u"]},
    "User": {"profile": {"displayName": "Ann", "picture": "https://x.example/p.png"}},
    "Location": {"type": "url", "targets": ["./a.yaml", "./b.yaml"], "presence": "optional"},
}
NAMES = ["a", "ab", "a-b", "a_b", "a.b", "A1", "9", "x" * 63, "x" * 64, "-a", "a-", ".a", "a.", "_a", "a_",
         "a b", "a--b", "a..b", "ä", "", "${{ values.name }}", 5, None, ["a"]]
NAMESPACES = ["default", "team-1", "a--b", "Team", "a_b", "x" * 63, "x" * 64, "-a", "a-", "", 7, None]
TAGS = ["java", "c++", "#go", "a:b", "tier-1", "a--b", "-a", "a-", "Java", "two words", "x" * 63, "x" * 64, "",
        "ä", 5, None]
KEY_PREFIXES = ["", "backstage.io/", "pagerduty.com/", "acme.example.com/", "Acme.com/", "a_b.com/", "-a.com/",
                "a.com-/", "x" * 64 + ".com/", ".com/", "a/b/"]
KEY_NAMES = ["service-id", "x", "a.b", "A_b", "-x", "x-", "two words", "", "x" * 64]
VALUES = ["PABC123", "", "yes", "2022-11-23", "1.10", 1.5, 7, True, None, ["x"], {"a": "b"}]
LABEL_VALUES = ["", "prod", "a.b", "a b", "x" * 64, "-a", 3, None]
URLS = ["https://example.com", "https://example.com/a b", "http://localhost:3000/x", "mailto:team@example.com",
        "example.com", "https://", "//example.com", "/relative", "https://exa mple.com", "https://x.com:99999",
        "foo:bar", "https://ä.example", "", 5, None]
API_VERSIONS = ["backstage.io/v1alpha1", "backstage.io/v1beta1", "backstage.io/v1beta2",
                "scaffolder.backstage.io/v1beta3", "v1", "backstage.io/", "Backstage.io/v1alpha1", "a/b/c",
                "backstage.io/v1_alpha", "", 1, None]
PAGERDUTY_VALUES = ["PABC123", "Q1R2DLCB21K7NP", "p123", "", "PXXXXXX", "${{ values.id }}", "<id>",
                    "0123456789abcdef0123456789abcdef", "not-a-key"]
BAD_SHAPES = ["", "  ", 0, 1.5, True, None, [], ["a"], [""], [1], {}, {"a": 1}]


def base(rng: random.Random, kind: str) -> dict:
    spec = dict(KINDS[kind])
    for key, value in OPTIONAL.get(kind, {}).items():
        if rng.random() < 0.3:
            spec[key] = value
    entity = {"apiVersion": "scaffolder.backstage.io/v1beta3" if kind == "Template" else "backstage.io/v1alpha1",
              "kind": kind, "metadata": {"name": f"{kind.lower()}-{rng.randrange(10_000)}"}, "spec": spec}
    metadata = entity["metadata"]
    if rng.random() < 0.4:
        metadata["namespace"] = rng.choice(["default", "shop", "team-a"])
    if rng.random() < 0.4:
        metadata["title"] = "A title"
        metadata["description"] = "What it does"
    if rng.random() < 0.4:
        metadata["tags"] = ["java", "tier-1"]
    if rng.random() < 0.4:
        metadata["annotations"] = {"backstage.io/techdocs-ref": "dir:.", "pagerduty.com/service-id": "PABC123"}
    if rng.random() < 0.3:
        metadata["labels"] = {"tier": "one", "acme.com/env": ""}
    if rng.random() < 0.3:
        metadata["links"] = [{"url": "https://runbooks.example/x", "title": "Runbook", "icon": "docs"}]
    return entity


def _key(rng):
    return rng.choice(KEY_PREFIXES) + rng.choice(KEY_NAMES)


def _slot(mapping: dict, key: str, kind: type):
    if not isinstance(mapping.get(key), kind):
        mapping[key] = kind()
    return mapping[key]


def mutate(rng: random.Random, entity: dict) -> None:
    """One near-miss (or a harmless variation) of one rule."""
    metadata, spec = entity.get("metadata"), entity.get("spec")
    if not isinstance(metadata, dict):
        metadata = {}  # already broken: metadata near-misses change nothing
    choice = rng.randrange(17)
    if choice == 0:
        metadata["name"] = rng.choice(NAMES)
    elif choice == 1:
        metadata["namespace"] = rng.choice(NAMESPACES)
    elif choice == 2:
        _slot(metadata, "tags", list).append(rng.choice(TAGS))
    elif choice == 3:
        _slot(metadata, "annotations", dict)[_key(rng)] = rng.choice(VALUES)
    elif choice == 4:
        _slot(metadata, "labels", dict)[_key(rng)] = rng.choice(LABEL_VALUES)
    elif choice == 5:
        link = {"url": rng.choice(URLS)}
        for key in ("title", "icon", "type"):
            if rng.random() < 0.3:
                link[key] = rng.choice(["Docs", "", "  ", 3])
        _slot(metadata, "links", list).append(link if rng.random() < 0.9 else rng.choice(["x", 1, ["a"]]))
    elif choice == 6:
        entity["apiVersion"] = rng.choice(API_VERSIONS)
    elif choice == 7:
        kind = str(entity.get("kind"))
        entity["kind"] = rng.choice([kind.lower(), kind.upper(), "1Kind", "My-Kind", "K" * 63,
                                     "K" * 64, "", 3, None])
    elif choice == 8 and isinstance(spec, dict) and spec:
        spec[rng.choice(sorted(spec))] = rng.choice(BAD_SHAPES)
    elif choice == 9 and isinstance(spec, dict) and spec:
        del spec[rng.choice(sorted(spec))]
    elif choice == 10:
        entity[rng.choice(["spec", "metadata"])] = rng.choice(["text", ["a"], None, 5])
    elif choice == 11:
        entity[rng.choice(["status", "relations", "extra", "Kind"])] = rng.choice([{}, [], "x"])
    elif choice == 12:
        metadata[rng.choice(["title", "description", "uid", "etag"])] = rng.choice(["", "text", 5, None, ["a"]])
    elif choice == 13:
        metadata[rng.choice(["tags", "annotations", "labels", "links"])] = rng.choice(BAD_SHAPES)
    elif choice == 14:
        entity.pop(rng.choice(["apiVersion", "kind", "metadata", "spec"]), None)
    elif choice == 15 and isinstance(spec, dict):
        spec["definition" if entity.get("kind") == "API" else "description"] = {"$text": "./README.md"}
    elif choice == 16:
        key = rng.choice(["pagerduty.com/service-id", "pagerduty.com/integration-key", "pagerduty.com/service_id"])
        _slot(metadata, "annotations", dict)[key] = rng.choice(PAGERDUTY_VALUES)


def render(rng: random.Random, entity: dict) -> str:
    if rng.random() < 0.5:
        return json.dumps(entity, ensure_ascii=rng.random() < 0.5)
    return yaml.safe_dump(entity, sort_keys=False, allow_unicode=True)


def generate(count: int, seed: int = 20240611) -> list[str]:
    """`count` descriptor texts: about a fifth left valid, the rest with one to three near-misses."""
    rng = random.Random(seed)
    texts = []
    kinds = sorted(KINDS)
    for number in range(count):
        entity = base(rng, kinds[number % len(kinds)])
        for _ in range(0 if rng.random() < 0.2 else rng.randint(1, 3)):
            mutate(rng, entity)
        texts.append(render(rng, entity))
    return texts
