"""Patches `git apply` accepts whatever the file is called and however it ends; edits that have no file."""

from __future__ import annotations

from dataclasses import replace
import pytest

from insights.catalog.sources import CrawlSettings, Source
from insights.fix.diffs import file_diff, repository_patch
from insights.fix.plan import Change, make_plan, write_patches
from insights.fix.roots import crawl_roots

from .conftest import git, make_repository

NAMES = ["catalog-info.yaml", "with space/catalog-info.yaml", 'quote"d/catalog-info.yaml', "ünï/catalog-info.yaml",
         "tab\there/catalog-info.yaml"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("before, after", [
    ("a: 1\nb: 2\n", "a: 1\nb: 2\nc: 3\n"),
    ("a: 1\nb: 2", "a: 1\nb: 2\nc: 3"),  # no newline at the end, before and after
    ("a: 1\nb: 2", "a: 1\nb: 2\nc: 3\n"),
    ("a: 1\r\nb: 2\r\n", "a: 1\r\nc: 3\r\nb: 2\r\n"),
    ("x: \"\f\u2028\"\na: 1\n", "x: \"\f\u2028\"\na: 1\nb: 2\n"),  # line breaks git does not count as such
], ids=["plain", "no-eol", "eol-added", "crlf", "odd-breaks"])
def test_git_applies_the_patch_and_gets_the_new_text(tmp_path, name, before, after):
    repository = make_repository(tmp_path / "repo", {name: before})
    patch = tmp_path / "change.patch"
    patch.write_bytes(repository_patch([(name, before, after)]).encode("utf-8"))
    git(repository, "apply", "--check", str(patch))
    git(repository, "apply", str(patch))
    assert (repository / name).read_bytes() == after.encode("utf-8")


def test_an_unchanged_file_makes_no_diff():
    assert file_diff("a.yaml", "a: 1\n", "a: 1\n") == ""


def test_entities_without_a_file_here_are_refused_with_the_reason(tmp_path):
    repository = make_repository(tmp_path / "repo", {"catalog-info.yaml": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: payments\n")})
    entities, roots = crawl_roots([Source("folder", str(repository))], CrawlSettings(), tmp_path / "scratch")
    fetched = replace(entities[0], path="https://raw.example/catalog-info.yaml")
    from_api = replace(entities[0], source="backstage.acme.example")
    plan = make_plan([Change(e, "pagerduty.com/service-id", "PABC123") for e in (fetched, from_api)], roots, 10_000)
    assert [r.reason for r in plan.refused] == [
        "it was read from https://raw.example/catalog-info.yaml; edit it where it lives",
        "it comes from backstage.acme.example, which has no files to edit"]
    assert plan.files == ()


def test_a_source_inside_a_repository_patches_paths_from_the_repository_top(tmp_path):
    descriptor = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n"
                  "spec:\n  type: service\n  lifecycle: production\n  owner: payments\n")
    repository = make_repository(tmp_path / "mono", {"teams/pay/catalog-info.yaml": descriptor})
    entities, roots = crawl_roots([Source("folder", str(repository / "teams"))], CrawlSettings(), tmp_path / "s")
    plan = make_plan([Change(entities[0], "pagerduty.com/service-id", "PABC123")], roots, 10_000)
    [(patch, root)] = write_patches(plan, tmp_path / "patches")
    assert (patch.name, root.repository) == ("mono.patch", repository.resolve())
    assert patch.read_text().startswith("diff --git a/teams/pay/catalog-info.yaml b/teams/pay/catalog-info.yaml\n")
    git(repository, "apply", str(patch))
    assert (repository / "teams/pay/catalog-info.yaml").read_text() == descriptor.replace(
        "  name: a\n", "  name: a\n  annotations:\n    pagerduty.com/service-id: PABC123\n")
