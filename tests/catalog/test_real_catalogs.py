"""Every real descriptor file in ../shared/catalogs/real is crawled: no crash, and chosen verdicts hold."""

import csv

import pytest

from insights.catalog.sources import Source, crawl


@pytest.fixture(scope="module")
def real(shared):
    folder = shared / "catalogs" / "real"
    manifest = list(csv.DictReader((folder / "MANIFEST.tsv").open(), delimiter="\t"))
    catalog = crawl([Source("folder", str(folder), globs=("*.yaml", "*.yml"))])
    return folder, manifest, catalog


def by_file(catalog, name):
    return [f.code for f in catalog.findings if f.path == name], [e for e in catalog.entities if e.path == name]


def test_every_file_is_read_and_reported(real):
    folder, manifest, catalog = real
    assert len(manifest) >= 39
    files = {row["filename"] for row in manifest}
    seen = {e.path for e in catalog.entities} | {f.path for f in catalog.findings}
    assert files <= seen | {p.name for p in folder.iterdir()}
    assert files - seen == set(), f"files with neither entity nor finding: {files - seen}"


@pytest.mark.parametrize("name, expected_codes, entity_count", [
    # `name: {{cookiecutter.name | jsonify}}` is a mapping with a mapping for a key: Backstage's parser
    # reads it, and its validator refuses a name that is not a string.
    ("RoadieHQ__software-templates__scaffolder-templates__bitbucket-demo__template__catalog-info.yaml",
     {"yaml-complex-key", "name-missing"}, 0),
    ("RoadieHQ__sample-service__catalog-info-broken.yaml", {"name-missing"}, 0),
    ("RoadieHQ__sample-service__pear-test-service.yaml", {"integration-key-exposed"}, 1),
    ("RoadieHQ__software-templates__scaffolder-templates__github-pages-site__skeleton__catalog-info.yaml",
     {"name-invalid", "placeholder-annotation"}, 1),
    ("giantswarm__backstage-catalogs__catalogs__groups.yaml", set(), 12),
    ("backstage__backstage__packages__catalog-model__examples__acme__team-a-group.yaml", set(), 6),
])
def test_chosen_verdicts(real, name, expected_codes, entity_count):
    _, _, catalog = real
    codes, entities = by_file(catalog, name)
    assert expected_codes <= set(codes), codes
    assert len(entities) == entity_count
    if not expected_codes:
        assert not [c for c in codes if c not in ("duplicate-entity", "location-target-missing")]


def test_a_broken_document_in_a_real_multi_document_file_hides_none_of_the_others(shared, tmp_path):
    text = (shared / "catalogs" / "real" / "RoadieHQ__sample-service__catalog-info.yaml").read_text()
    documents = text.split("\n---\n")
    assert len(documents) >= 7
    broken = documents[:3] + ["metadata: [unclosed\nname: x"] + documents[3:]
    (tmp_path / "catalog-info.yaml").write_text("\n---\n".join(broken))
    whole = crawl([Source("file", str(shared / "catalogs" / "real" / "RoadieHQ__sample-service__catalog-info.yaml"))])
    catalog = crawl([Source("folder", str(tmp_path))])
    assert [e.ref for e in catalog.entities] == [e.ref for e in whole.entities] and len(catalog.entities) == 7
    [finding] = [f for f in catalog.findings if f.code == "yaml-invalid"]
    first_line = "\n---\n".join(documents[:3]).count("\n") + 3
    assert finding.line == first_line + 1 and finding.severity == "error"
