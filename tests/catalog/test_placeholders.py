"""`$text`, `$json` and `$yaml` placeholders: read beside the descriptor, confined to the source root,
size-capped, parsed with the descriptor loader's limits; unread ones are warnings that leave the field
unchecked."""

import json
import os

from insights.catalog.model import Unresolved
from insights.catalog.parse import parse_file
from insights.catalog.placeholders import PlaceholderError, file_reader
from insights.catalog.sources import CrawlSettings, Source, crawl

API = """apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: petstore
  description:
    $text: {description}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition:
    {resolver}: {target}
"""


def api(target="./petstore.yaml", resolver="$text", description="./README.md"):
    return API.format(target=target, resolver=resolver, description=description)


def codes(findings):
    return sorted((f.code, f.severity) for f in findings)


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def crawl_folder(root, max_file_bytes=10_000):
    return crawl([Source("folder", str(root))], CrawlSettings(cache_dir=root / ".cache", max_file_bytes=max_file_bytes))


def test_a_lone_file_with_placeholders_gets_warnings_and_no_false_errors():
    [entity], findings = parse_file(api(), source="t", repository="r", path="catalog-info.yaml")
    assert codes(findings) == [("placeholder-unresolved", "warning")] * 2
    assert [f.line for f in findings] == [6, 12]
    assert isinstance(entity.spec["definition"], Unresolved) and entity.description is None


def test_relative_targets_are_read_beside_the_descriptor_and_validated(tmp_path):
    write(tmp_path, "svc/README.md", "The pet store.\n")
    write(tmp_path, "svc/petstore.yaml", "openapi: 3.0.0\n")
    write(tmp_path, "svc/catalog-info.yaml", api())
    catalog = crawl_folder(tmp_path)
    [entity] = catalog.entities
    assert catalog.findings == ()
    assert entity.description == "The pet store.\n" and entity.spec["definition"] == "openapi: 3.0.0\n"


def test_json_and_yaml_targets_are_parsed_and_checked_by_the_schema(tmp_path):
    write(tmp_path, "README.md", "x")
    write(tmp_path, "def.json", json.dumps({"openapi": "3.0.0"}))
    write(tmp_path, "catalog-info.yaml", api(target="./def.json", resolver="$json"))
    [entity] = crawl_folder(tmp_path).entities
    assert entity.spec["definition"] == {"openapi": "3.0.0"}
    # an object where Backstage wants a string is the schema violation Backstage reports too
    assert [f.code for f in crawl_folder(tmp_path).findings] == ["schema-violation"]
    write(tmp_path, "def.yaml", "a: [1\n")
    write(tmp_path, "catalog-info.yaml", api(target="./def.yaml", resolver="$yaml"))
    [finding] = crawl_folder(tmp_path).findings
    assert (finding.code, finding.severity, finding.line) == ("placeholder-invalid", "error", 12)


def test_a_leading_slash_reads_from_the_source_root(tmp_path):
    write(tmp_path, "docs/README.md", "root docs")
    write(tmp_path, "docs/api.yaml", "openapi: 3.0.0")
    write(tmp_path, "services/a/catalog-info.yaml", api(target="/docs/api.yaml", description="../../docs/README.md"))
    [entity] = crawl_folder(tmp_path).entities
    assert entity.description == "root docs"


def test_targets_outside_the_root_are_not_read(tmp_path):
    root = tmp_path / "repo"
    outside = write(tmp_path, "secret.txt", "top secret")
    write(root, "README.md", "x")
    os.symlink(outside, root / "link.yaml")
    for target in ("../secret.txt", "./link.yaml", str(outside), "/../secret.txt"):
        write(root, "catalog-info.yaml", api(target=target))
        catalog = crawl_folder(root)
        assert [f.code for f in catalog.findings] == ["placeholder-unresolved"], target
        assert "outside the source folder" in catalog.findings[0].message or "no such file" in catalog.findings[0].message
        assert "top secret" not in str(catalog.entities[0].spec)


def test_targets_over_the_size_cap_and_not_utf8_are_not_read(tmp_path):
    write(tmp_path, "README.md", "x" * 20_000)
    (tmp_path / "petstore.yaml").write_bytes(b"\xff\xfe binary")
    write(tmp_path, "catalog-info.yaml", api())
    messages = sorted(f.message for f in crawl_folder(tmp_path).findings)
    assert "larger than 10,000 bytes" in messages[0] or "larger than 10,000 bytes" in messages[1]
    assert any("not UTF-8" in m for m in messages)


def test_url_targets_go_through_the_fetcher_only(tmp_path):
    descriptor = write(tmp_path, "catalog-info.yaml", api(target="https://example.com/api.yaml"))
    fetched = []

    def fetch(url):
        fetched.append(url)
        return "openapi: 3.0.0"

    read = file_reader(descriptor, tmp_path, max_bytes=1000, fetch=fetch)
    assert read("https://example.com/api.yaml") == "openapi: 3.0.0" and fetched == ["https://example.com/api.yaml"]
    for reader, target, reason in ((file_reader(descriptor, tmp_path, max_bytes=1000), "https://x.example/a",
                                    "not fetched"),
                                   (read, "file:///etc/passwd", "only http(s)"),
                                   (read, "ftp://x.example/a", "only http(s)")):
        try:
            reader(target)
        except PlaceholderError as error:
            assert reason in error.reason
        else:
            raise AssertionError(f"{target} was read")


def test_other_dollar_keys_and_mixed_mappings_are_left_alone():
    text = api().replace("  definition:\n    $text: ./petstore.yaml\n",
                         "  definition: x\n  custom:\n    $openapi: ./a.yaml\n  mixed:\n    $text: ./a\n    other: 1\n")
    [entity], findings = parse_file(text, source="t", repository="r", path="p")
    assert entity.spec["custom"] == {"$openapi": "./a.yaml"} and entity.spec["mixed"] == {"$text": "./a", "other": 1}
    assert [f.line for f in findings] == [6]


def test_placeholders_per_document_are_bounded(tmp_path):
    write(tmp_path, "a.txt", "x")
    many = "\n".join(f"  k{i}:\n    $text: ./a.txt" for i in range(150))
    text = api().replace("spec:\n", f"spec:\n{many}\n", 1)
    write(tmp_path, "catalog-info.yaml", text)
    catalog = crawl_folder(tmp_path, max_file_bytes=100_000)
    unresolved = [f for f in catalog.findings if f.code == "placeholder-unresolved"]
    assert sum("more than 100 placeholders" in f.message for f in unresolved) == 52  # 152 in the document
