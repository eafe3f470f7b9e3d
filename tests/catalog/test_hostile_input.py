"""Hostile catalog input: each bad file is a finding with its line, and the run goes on."""

from click.testing import CliRunner

from insights.catalog.parse import parse_file, to_entity
from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.cli import cli

GOOD = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: good
spec: {type: service, lifecycle: production, owner: team-a}
"""
NESTED = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: deep\nspec:\n  x: " + \
         "[" * 300 + "]" * 300 + "\n"
# 9 anchors of 10 aliases each: a billion nodes for anything that walks it, in under 600 bytes.
BOMB = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bomb\n  tags: &t0 [a, a, a, a]\n" + \
       "".join(f"x{i}: &t{i} [" + ", ".join([f"*t{i - 1}"] * 10) + "]\n" for i in range(1, 9)) + \
       "spec:\n  tags: *t8\n"


def write(folder, name, text):
    path = folder / name / "catalog-info.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text)


def test_deep_nests_and_alias_bombs_are_findings_and_the_crawl_goes_on(tmp_path):
    assert len(NESTED) < 700 and len(BOMB) < 600
    write(tmp_path, "a-nested", NESTED)
    write(tmp_path, "b-bomb", BOMB)
    write(tmp_path, "c-dup", GOOD.replace("  name: good\n", "  name: dup\n  name: again\n"))
    write(tmp_path, "d-good", GOOD)
    catalog = crawl([Source("folder", str(tmp_path))], CrawlSettings(cache_dir=tmp_path / ".cache"))
    assert [e.name for e in catalog.entities] == ["good"]
    found = sorted((f.path, f.code, f.line, f.severity) for f in catalog.findings)
    assert found == [("a-nested/catalog-info.yaml", "yaml-too-deep", 6, "error"),
                     ("b-bomb/catalog-info.yaml", "yaml-too-large", 11, "error"),
                     ("c-dup/catalog-info.yaml", "yaml-duplicate-key", 5, "error")]
    dup = next(f for f in catalog.findings if f.code == "yaml-duplicate-key")
    assert dup.message == "duplicate key 'name' (first at line 4); this document is not read"


def test_catalog_lint_reports_a_hostile_file_and_exits_1_not_70(tmp_path):
    write(tmp_path, "nested", NESTED)
    result = CliRunner().invoke(cli, ["catalog", "lint", str(tmp_path / "nested" / "catalog-info.yaml")])
    assert result.exit_code == 1 and "[yaml-too-deep]" in result.output


def deep(levels: int):
    value: object = "bottom"
    for _ in range(levels):
        value = {"x": [value]}
    return value


def test_to_entity_turns_any_shape_into_findings():
    cases = {
        "metadata is a string": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": "name"},
        "lists for mappings": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                               "metadata": {"name": "a", "annotations": ["x"], "labels": [], "links": {}},
                               "spec": ["type"]},
        "100k deep": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a"},
                      "spec": deep(100_000)},
        "non-string keys": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                            "metadata": {"name": "a", "annotations": {1: "x", None: "y", 2.5: "z"}},
                            "spec": {"type": "service", "lifecycle": "production", "owner": "t"}},
        "not a mapping": ["apiVersion"],
        "a cycle": None,
    }
    cycle: dict = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "c"}}
    cycle["spec"] = cycle
    cases["a cycle"] = cycle
    expected = {"metadata is a string": "metadata-missing", "lists for mappings": "schema-violation",
                "100k deep": "entity-too-deep", "non-string keys": "schema-violation",
                "not a mapping": "document-not-mapping", "a cycle": "entity-too-deep"}
    for name, data in cases.items():
        entity, problems = to_entity(data, source="api", repository="api", path="")
        assert expected[name] in [code for code, *_ in problems], (name, problems)


def test_stored_entities_may_carry_relations_and_status_descriptors_may_not():
    data = {"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "s"},
            "spec": {"owner": "t"}, "relations": [], "status": {}}
    assert to_entity(data, source="api", repository="api", path="")[1] == []
    [_], findings = parse_file("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: s}\n"
                               "spec: {owner: t}\nstatus: {}\n", source="f", repository="r", path="p")
    assert [(f.code, f.line) for f in findings] == [("unknown-root-key", 5)]


def test_nesting_past_the_yaml_librarys_own_limit_is_too_deep_not_malformed(tmp_path):
    write(tmp_path, "flow", "[" * 5000 + "\n")
    catalog = crawl([Source("folder", str(tmp_path))], CrawlSettings(cache_dir=tmp_path / ".cache"))
    assert [(f.code, f.line) for f in catalog.findings] == [("yaml-too-deep", 1)]
