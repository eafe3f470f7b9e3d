"""Entities written as descriptor YAML, evaluated against the demo account or a variant of it."""

import pytest

from insights.catalog.parse import parse_file


def _descriptor(kind: str, name: str, annotations: dict | None = None, **spec) -> str:
    title = spec.pop("title", None)
    lines = ["apiVersion: backstage.io/v1alpha1", f"kind: {kind}", "metadata:", f"  name: {name}"]
    lines += [f"  title: {title}"] if title else []
    lines += ["  annotations:"] + [f"    {k}: \"{v}\"" for k, v in annotations.items()] if annotations else []
    lines += ["spec:"] + [f"  {k}: {v}" for k, v in spec.items()] if spec else []
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def descriptor():
    """`descriptor(kind, name, annotations, **spec)`: one descriptor document; `title` goes to metadata."""
    return _descriptor


@pytest.fixture(scope="session")
def entities():
    """`entities(*documents)`: the entities a crawl of those descriptor documents would give."""
    def parse(*documents: str):
        parsed, findings = parse_file("---\n".join(documents), source="test", repository="repo", path="catalog-info.yaml")
        assert len(parsed) == len(documents), findings
        return parsed
    return parse


@pytest.fixture(scope="session")
def evaluated():
    """`evaluated(entities, state, now)`: (fact table, results indexed by check and entity) under the
    built-in checks."""
    from insights.config import load_config
    from insights.facts.registry import compute_fact_table
    from insights.resources import default_config
    from insights.rules.evaluate import evaluate

    checks = list(load_config(default_config()).checks)

    def run(entity_list, state, now):
        table = compute_fact_table(entity_list, state, now)
        return table, evaluate(checks, table.values, causes=table.causes).set_index(["check_id", "entity_ref"])
    return run
