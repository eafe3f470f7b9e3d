"""Location targets resolve as Backstage resolves them, on real files; nothing is read from outside a root."""

import csv
import os
import posixpath
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin

import pytest

from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.catalog.urls import raw_url, repository_root, resolve_url
from insights.yamlio import load_documents

GROUP = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n"
SECRET = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: stolen-{n}\nspec:\n  type: team\n  children: []\n"


def settings(tmp_path):
    return CrawlSettings(cache_dir=tmp_path / "cache")


def test_relative_targets_resolve_against_the_location_folder_and_slash_against_the_root(tmp_path, tree, location):
    root = tree(tmp_path / "repo", {
        "sub/catalog-info.yaml": location("x/svc.yaml", "./y.yaml", "/top/z.yaml", "../side/w.yaml", "nested/*/g.yaml"),
        "sub/x/svc.yaml": GROUP.format(name="x"), "sub/y.yaml": GROUP.format(name="y"),
        "top/z.yaml": GROUP.format(name="z"), "side/w.yaml": GROUP.format(name="w"),
        "sub/nested/a/g.yaml": GROUP.format(name="ga"), "sub/nested/b/g.yaml": GROUP.format(name="gb"),
        "x/svc.yaml": GROUP.format(name="wrong-x"),  # where the old root-relative rule looked
    })
    catalog = crawl([Source("folder", str(root))], settings(tmp_path))
    assert catalog.findings == ()
    assert {e.name: e.path for e in catalog.entities} == {
        "loc": "sub/catalog-info.yaml", "x": "sub/x/svc.yaml", "y": "sub/y.yaml", "z": "top/z.yaml",
        "w": "side/w.yaml", "ga": "sub/nested/a/g.yaml", "gb": "sub/nested/b/g.yaml"}


@pytest.mark.parametrize("target", ["../../outside.yaml", "/../outside.yaml", "../../*.yaml"])
def test_targets_that_leave_the_repository_are_refused(tmp_path, tree, location, target):
    tree(tmp_path, {"outside.yaml": GROUP.format(name="outside")})
    root = tree(tmp_path / "repo", {"sub/catalog-info.yaml": location(target)})
    catalog = crawl([Source("folder", str(root))], settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["loc"]
    [finding] = catalog.findings
    assert finding.code == "location-escapes-root" and target in finding.message


def test_missing_target_names_the_rule(tmp_path, tree, location):
    tree(tmp_path, {"sub/catalog-info.yaml": location("gone.yaml")})
    [finding] = crawl([Source("folder", str(tmp_path))], settings(tmp_path)).findings
    assert finding.code == "location-target-missing" and "relative to this file's folder" in finding.message


BASE = "https://github.com/acme/mono/blob/main/services/catalog-info.yaml"


@pytest.mark.parametrize("target, expected", [
    ("./a/x.yaml", "https://github.com/acme/mono/blob/main/services/a/x.yaml"),
    ("a/x.yaml", "https://github.com/acme/mono/blob/main/services/a/x.yaml"),
    ("../x.yaml", "https://github.com/acme/mono/blob/main/x.yaml"),
    ("/docs/x.yaml", "https://github.com/acme/mono/blob/main/docs/x.yaml"),
    ("https://other.example/x.yaml", "https://other.example/x.yaml"),
])
def test_url_targets_resolve_like_default_scm_resolve_url(target, expected):
    assert resolve_url(target, BASE) == expected


def test_url_resolution_keeps_the_base_query_and_knows_gitlab_and_raw_roots():
    gitlab = "https://gitlab.example/group/sub/proj/-/blob/v1/a/b/catalog-info.yaml?ref_type=heads"
    assert resolve_url("/x.yaml", gitlab) == "https://gitlab.example/group/sub/proj/-/blob/v1/x.yaml?ref_type=heads"
    assert repository_root("https://raw.githubusercontent.com/o/r/main/a/b.yaml") == \
        "https://raw.githubusercontent.com/o/r/main"
    assert repository_root("https://files.example/a/b.yaml") is None


def test_blob_urls_are_read_in_raw_form():
    assert raw_url("https://github.com/o/r/blob/main/a/catalog-info.yaml") == \
        "https://raw.githubusercontent.com/o/r/main/a/catalog-info.yaml"
    assert raw_url("https://gitlab.com/g/p/-/blob/main/catalog-info.yaml") == \
        "https://gitlab.com/g/p/-/raw/main/catalog-info.yaml"
    assert raw_url("https://files.example/x.yaml") == "https://files.example/x.yaml"


def real_repositories(shared):
    """repository -> {path: text} from ../shared/catalogs/real (the files at their own paths)."""
    folder = shared / "catalogs" / "real"
    repositories = defaultdict(dict)
    with open(folder / "MANIFEST.tsv", newline="") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            repositories[row["repository"]][row["path"]] = (folder / row["filename"]).read_text()
    return repositories


def backstage_resolution(repository: str, location_path: str, target: str) -> str:
    """Where Backstage reads a target: `new URL(target, base)` on the blob URL of the Location file (done here
    with urljoin, which follows the same RFC 3986 rules), back to a path in the repository."""
    prefix = f"https://github.com/{repository}/blob/HEAD/"
    resolved = urljoin(prefix + location_path, target) if not target.startswith("/") else prefix + target[1:]
    return resolved.removeprefix(prefix)


@pytest.mark.parametrize("kind", ["folder", "git"])
def test_real_location_files_resolve_as_backstage_does(shared, tmp_path, make_repo, tree, kind):
    checked = 0
    for repository, files in sorted(real_repositories(shared).items()):
        for location_path, text in files.items():
            documents = [d.data for d in load_documents(text) if isinstance(d.data, dict)]
            targets = [t for d in documents if d.get("kind") == "Location" for t in d["spec"].get("targets", [])]
            if not targets:
                continue
            root = tmp_path / kind / repository
            if kind == "git":
                make_repo(root, files)
                source = Source("git", f"file://{root}")
            else:
                tree(root, files)
                source = Source("folder", str(root))
            catalog = crawl([Source(source.kind, source.location, globs=(location_path,))], settings(tmp_path))
            read_paths = {e.path for e in catalog.entities}
            missing = {f.message.split()[2] for f in catalog.findings if f.code == "location-target-missing"}
            for target in targets:
                expected = backstage_resolution(repository, location_path, target)
                if expected in files:
                    assert expected in read_paths, (repository, target)
                else:
                    assert target in missing, (repository, target)
            assert not [f for f in catalog.findings if f.code == "location-escapes-root"]
            checked += len(targets)
    assert checked >= 30  # 1-Platform, janus-idp, RoadieHQ monorepo, PagerDuty plugins, backstage examples


def test_real_monorepo_location_reads_both_services(shared, tmp_path, tree):
    tree(tmp_path / "repo", real_repositories(shared)["RoadieHQ/monorepo-sample-service"])
    catalog = crawl([Source("folder", str(tmp_path / "repo"))], settings(tmp_path))
    assert sorted(e.path for e in catalog.entities if e.kind == "component") == [
        "services/banana-service/backstage.yaml", "services/pricing-service/backstage.yaml"]
    assert not [f for f in catalog.findings if f.code.startswith("location-")]


def plant_links(root: Path, outside: Path) -> None:
    """Descriptor files that are links out of the root: absolute, `../../`, and the process environment."""
    (outside / "secret.yaml").write_text(SECRET.format(n=1))
    (root / "ok").mkdir(parents=True)
    (root / "ok" / "catalog-info.yaml").write_text(GROUP.format(name="ok"))
    (root / "abs").mkdir()
    os.symlink(outside / "secret.yaml", root / "abs" / "catalog-info.yaml")
    (root / "rel" / "deeper").mkdir(parents=True)
    os.symlink("../" * 40 + "etc/passwd", root / "rel" / "deeper" / "catalog-info.yaml")  # from any depth
    (root / "proc").mkdir()
    os.symlink("/proc/self/environ", root / "proc" / "catalog-info.yaml")
    os.symlink(outside, root / "dirlink")  # a linked folder whose files lie outside: never entered


@pytest.mark.parametrize("kind", ["folder", "git"])
def test_descriptor_links_to_outside_the_root_are_findings_not_reads(tmp_path, make_repo, tree, monkeypatch, kind):
    monkeypatch.setenv("INSIGHTS_PROBE", "probe-value-in-environ")
    root, outside = tmp_path / "repo", tree(tmp_path / "outside", {"catalog-info.yaml": SECRET.format(n=2)})
    plant_links(root, outside)
    if kind == "git":
        make_repo(root, {})
        source = Source("git", f"file://{root}", globs=("**/catalog-info.yaml", "dirlink/catalog-info.yaml"))
    else:
        source = Source("folder", str(root), globs=("**/catalog-info.yaml", "dirlink/catalog-info.yaml"))
    catalog = crawl([source], settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["ok"]
    outside_root = sorted(f.path for f in catalog.findings if f.code == "file-outside-root")
    assert outside_root == ["abs/catalog-info.yaml", "proc/catalog-info.yaml", "rel/deeper/catalog-info.yaml"]
    text = " ".join(f"{f.path} {f.message}" for f in catalog.findings)
    assert "stolen" not in text and "probe-value" not in text and "root:" not in text and str(outside) not in text


def test_globs_match_paths_below_the_root_and_never_look_inside_git_folders(tmp_path, tree):
    root = tree(tmp_path / "repo", {
        "services/a/backstage.yaml": GROUP.format(name="a"), "services/a/deeper/backstage.yaml": GROUP.format(name="no"),
        "x/y/catalog-info.yml": GROUP.format(name="y"), "catalog-info.yml": GROUP.format(name="top"),
        ".git/catalog-info.yml": GROUP.format(name="in-git"), "other/[a].yaml": GROUP.format(name="bracket"),
    })
    globs = ("services/*/backstage.yaml", "./**/catalog-info.yml", "other/[[]a].yaml")
    catalog = crawl([Source("folder", str(root), globs=globs)], settings(tmp_path))
    assert sorted(e.name for e in catalog.entities) == ["a", "bracket", "top", "y"]


def test_placeholders_of_a_fetched_file_resolve_against_its_url(tmp_path, server):
    from insights.catalog.fetch import FetchError
    from insights.catalog.locations import url_reader

    server.routes["/o/r/-/raw/main/sub/spec.yaml"] = (200, "beside the file")
    server.routes["/o/r/-/raw/main/top.md"] = (200, "at the root")
    read = url_reader(f"{server.url}/o/r/-/blob/main/sub/catalog-info.yaml",
                      CrawlSettings(cache_dir=tmp_path, allowed_hosts=("127.0.0.1",)))
    assert read("./spec.yaml") == "beside the file" and read("spec.yaml") == "beside the file"
    assert read("/top.md") == "at the root"
    with pytest.raises(FetchError, match="outside the repository of the file"):
        read("../../../elsewhere.yaml")
    with pytest.raises(FetchError) as refused:
        read("https://other.example/x.yaml")
    assert refused.value.kind == "host-not-allowed"
