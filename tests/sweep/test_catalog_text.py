"""Catalog text a database cannot hold, names the file system refuses, globs that never end, catalogs with
nothing to check: each is a finding or a plain run, never exit 70 and never a failed run."""

import json
import os
import sqlite3
import time

import pytest

from tests.sweep.support import component, invoke, write_tree

# A NUL reaches a value through YAML's "\0" escape, a NUL or a lone surrogate through JSON's \u escapes.
NUL_YAML = component("nul-yaml", '  description: "a\\0b"\n  title: "\\0"\n  tags: ["x\\0"]\n'
                     '  annotations: {"acme.io/k\\0": "\\0"}\n')
SURROGATE_JSON = component("surrogate-json", "  description:\n    $json: ./text.json\n"
                                             "  annotations:\n    $json: ./annotations.json\n")
FILES = {
    "nul/catalog-info.yaml": NUL_YAML,
    "json/catalog-info.yaml": SURROGATE_JSON,
    "json/text.json": '"x\\ud800y\\u0000"',
    "json/annotations.json": '{"pagerduty.com/service-id": "\\udfff", "acme.io/\\ud800": "v"}',
    "text/catalog-info.yaml": component("nul-text", "  description:\n    $text: ./nul.txt\n"),
    "text/nul.txt": b"before\x00after",
}


def test_text_no_database_holds_is_replaced_and_the_run_stored(tmp_path, offline_run):
    result = offline_run(write_tree(tmp_path / "catalog", FILES))
    assert result.code == 0, result.stderr
    with sqlite3.connect(tmp_path / "insights.db") as connection:
        stored = "".join(str(value) for table in ("entities", "findings") for row in
                         connection.execute(f"select * from {table}") for value in row)
    assert "a\ufffdb" in stored and "before\ufffdafter" in stored and "x\ufffdy\ufffd" in stored
    assert "\x00" not in stored


def test_a_nul_in_a_descriptor_does_not_fail_a_postgresql_run(tmp_path, offline_run, postgres_url):
    result = offline_run(write_tree(tmp_path / "catalog", FILES), db_url=postgres_url)
    assert result.code == 0, result.stderr


def test_a_snapshot_with_a_lone_surrogate_and_a_nul_is_read(tmp_path, offline_run):
    from insights.resources import demo_data

    snapshot = json.loads((demo_data() / "pagerduty.json").read_text())
    snapshot["services"][0]["name"] = "checkout\ud800"
    snapshot["services"][0]["description"] = "a\x00b"
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    catalog = write_tree(tmp_path / "catalog", {"a/catalog-info.yaml": (demo_data() / "catalog" / "identity" /
                                                                        "catalog-info.yaml").read_text()})
    result = invoke(["run", "--catalog", str(catalog), "--pagerduty-snapshot", str(path), "--db",
                     f"sqlite:///{tmp_path / 'i.db'}", "--out", str(tmp_path / "out")])
    assert result.code == 0, result.stderr


def test_a_file_whose_name_is_not_utf8_is_a_finding(tmp_path, offline_run):
    root = write_tree(tmp_path / "catalog", {"good/catalog-info.yaml": component("good")})
    odd = root / os.fsdecode(b"odd\xff") / "catalog-info.yaml"
    odd.parent.mkdir()
    odd.write_text(component("odd"))
    result = offline_run(root)
    assert result.code == 0, result.stderr
    lint = invoke(["catalog", "lint", "--format", "json", str(root)])
    findings = json.loads(lint.stdout)["findings"]
    assert [(f["code"], f["file"]) for f in findings] == [("file-not-utf8", "odd\ufffd/catalog-info.yaml")]
    assert "name is not UTF-8" in findings[0]["message"]


def test_a_catalog_argument_that_is_not_utf8_is_a_usage_error(tmp_path, offline_run):
    folder = tmp_path / os.fsdecode(b"src\xfe")
    write_tree(folder, {"catalog-info.yaml": component("a")})
    result = offline_run(folder)
    assert result.code == 2, result.stderr
    assert "Invalid value for '--catalog'" in result.stderr


@pytest.mark.parametrize("target", ["y" * 300, "a/" * 3000 + "x", "./" + "z" * 5000 + "/*.yaml"])
def test_a_location_target_longer_than_a_path_may_be_is_a_finding(tmp_path, target):
    location = ("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: far\nspec:\n"
                f"  targets: ['{target}']\n")
    root = write_tree(tmp_path, {"catalog-info.yaml": location})
    result = invoke(["catalog", "lint", "--format", "json", str(root)])
    assert result.code == 1, result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["code"] == "location-target-missing" and len(finding["message"]) < 400


def test_a_location_glob_of_many_double_stars_is_refused_not_expanded(tmp_path):
    deep = tmp_path / "/".join(f"d{i}" for i in range(14))
    deep.mkdir(parents=True)
    (deep / "x.yaml").write_text(component("deep-one"))
    location = ("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: wide\nspec:\n  targets:\n"
                "    - ./**/**/**/**/**/**/**/**/x.yaml\n    - ./**/d1/**/d2/**/d3/**/x.yaml\n")
    write_tree(tmp_path, {"catalog-info.yaml": location})
    started = time.monotonic()
    result = invoke(["catalog", "lint", "--format", "json", str(tmp_path)])
    elapsed = time.monotonic() - started
    report = json.loads(result.stdout)
    assert [f["code"] for f in report["findings"]] == ["location-target-invalid"], report["findings"]
    assert [e["ref"] for e in report["entities"]] == ["location:default/wide", "component:default/deep-one"]
    assert elapsed < 60  # a bound far above the second it takes, far below the hours the glob would


def test_a_catalog_with_nothing_to_check_is_a_plain_run(tmp_path, offline_run):
    group = ("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n"
             "  children: []\n")
    result = offline_run(write_tree(tmp_path / "catalog", {"catalog-info.yaml": group}))
    assert result.code == 0, result.stderr
    assert (tmp_path / "out" / "report.md").is_file()
