"""Crawling real folders and real git repositories made with `git init`."""

import os
import subprocess
from pathlib import Path

import pytest

from insights.catalog.sources import CrawlSettings, Source, crawl, source_from_argument
from insights.errors import SourceError

GROUP = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n"


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def location(*targets, presence=None):
    lines = ["apiVersion: backstage.io/v1alpha1", "kind: Location", "metadata:", "  name: loc", "spec:", "  targets:"]
    lines += [f"    - {t}" for t in targets] + ([f"  presence: {presence}"] if presence else [])
    return "\n".join(lines) + "\n"


def settings(tmp_path):
    return CrawlSettings(cache_dir=tmp_path / "cache", max_file_bytes=10_000)


def test_folder_globs_skip_ignored_directories(tmp_path):
    write(tmp_path, "a/catalog-info.yaml", GROUP.format(name="a"))
    write(tmp_path, "b/catalog-info.yml", GROUP.format(name="b"))
    write(tmp_path, "node_modules/x/catalog-info.yaml", GROUP.format(name="hidden"))
    write(tmp_path, "c/other.yaml", GROUP.format(name="other"))
    catalog = crawl([Source("folder", str(tmp_path))], settings(tmp_path))
    assert sorted(e.name for e in catalog.entities) == ["a", "b"]


def test_locations_are_followed_with_globs_and_relative_targets(tmp_path):
    write(tmp_path, "catalog-info.yaml", location("./teams/*.yaml", "./missing.yaml"))
    write(tmp_path, "teams/one.yaml", GROUP.format(name="one"))
    write(tmp_path, "teams/two.yaml", GROUP.format(name="two"))
    catalog = crawl([Source("folder", str(tmp_path))], settings(tmp_path))
    assert sorted(e.name for e in catalog.entities) == ["loc", "one", "two"]
    [missing] = [f for f in catalog.findings if f.code == "location-target-missing"]
    assert "./missing.yaml" in missing.message and missing.path == "catalog-info.yaml"


def test_optional_targets_may_be_missing(tmp_path):
    write(tmp_path, "catalog-info.yaml", location("./nothing.yaml", presence="optional"))
    assert crawl([Source("folder", str(tmp_path))], settings(tmp_path)).findings == ()


def test_location_cannot_escape_the_root_by_path_or_symlink(tmp_path):
    root = tmp_path / "repo"
    write(tmp_path, "secret.yaml", GROUP.format(name="outside"))
    write(root, "catalog-info.yaml", location("../secret.yaml", "./link.yaml"))
    os.symlink(tmp_path / "secret.yaml", root / "link.yaml")
    catalog = crawl([Source("folder", str(root))], settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["loc"]
    assert [f.code for f in catalog.findings] == ["location-escapes-root", "location-escapes-root"]


def test_location_cycles_terminate(tmp_path):
    write(tmp_path, "catalog-info.yaml", location("./b.yaml", "./catalog-info.yaml"))
    write(tmp_path, "b.yaml", location("./catalog-info.yaml"))
    catalog = crawl([Source("folder", str(tmp_path))], settings(tmp_path))
    assert len(catalog.entities) == 2
    assert "location-cycle" in [f.code for f in catalog.findings]


def test_duplicate_entities_name_both_files(tmp_path):
    write(tmp_path, "a/catalog-info.yaml", GROUP.format(name="same"))
    write(tmp_path, "b/catalog-info.yaml", GROUP.format(name="same"))
    [finding] = crawl([Source("folder", str(tmp_path))], settings(tmp_path)).findings
    assert finding.code == "duplicate-entity" and finding.path == "b/catalog-info.yaml"
    assert "a/catalog-info.yaml" in finding.message


def test_oversized_non_utf8_and_unreadable_files_are_findings(tmp_path):
    write(tmp_path, "big/catalog-info.yaml", "# " + "x" * 20_000)
    (tmp_path / "latin").mkdir()
    (tmp_path / "latin/catalog-info.yaml").write_bytes(b"name: \xe9t\xe9\n")
    locked = write(tmp_path, "locked/catalog-info.yaml", GROUP.format(name="locked"))
    locked.chmod(0)
    try:
        codes = {f.code for f in crawl([Source("folder", str(tmp_path))], settings(tmp_path)).findings}
    finally:
        locked.chmod(0o644)
    assert {"file-too-large", "file-not-utf8"} <= codes
    if os.geteuid() != 0:  # root reads any file
        assert "file-unreadable" in codes


def test_symlink_loop_in_folder_does_not_hang(tmp_path):
    write(tmp_path, "a/catalog-info.yaml", GROUP.format(name="a"))
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
    catalog = crawl([Source("folder", str(tmp_path))], settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["a"]


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.fixture()
def repo(tmp_path):
    origin = tmp_path / "origin"
    write(origin, "catalog-info.yaml", GROUP.format(name="first"))
    write(origin, "src/big.bin", "not yaml " * 1000)
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "one")
    git(origin, "tag", "v1")
    return origin


def test_git_repository_is_cloned_then_updated(tmp_path, repo):
    source = Source("git", f"file://{repo}")
    first = crawl([source], settings(tmp_path))
    assert [e.name for e in first.entities] == ["first"] and first.entities[0].repository == f"file://{repo}"
    write(repo, "catalog-info.yaml", GROUP.format(name="second"))
    git(repo, "commit", "-qam", "two")
    assert [e.name for e in crawl([source], settings(tmp_path)).entities] == ["second"]
    clones = list((tmp_path / "cache" / "git").iterdir())
    assert len(clones) == 1 and not (clones[0] / "src" / "big.bin").exists()


def test_git_ref_is_honoured(tmp_path, repo):
    write(repo, "catalog-info.yaml", GROUP.format(name="later"))
    git(repo, "commit", "-qam", "two")
    assert [e.name for e in crawl([Source("git", f"file://{repo}", ref="v1")], settings(tmp_path)).entities] == ["first"]


@pytest.mark.parametrize("url, ref, message", [
    ("file:///nonexistent/repo", None, "git clone of file:///nonexistent/repo failed"),
    ("REPO", "no-such-ref", "failed"),
    ("--upload-pack=touch /tmp/pwned", None, "is not a plain repository URL; refused"),
    ("ext::sh -c touch% /tmp/pwned", None, "is not a plain repository URL; refused"),
    ("REPO", "--upload-pack=x", "is not a valid ref; refused"),
])
def test_bad_git_sources_are_clear_errors(tmp_path, repo, url, ref, message):
    url = url.replace("REPO", f"file://{repo}")
    with pytest.raises(SourceError) as error:
        crawl([Source("git", url, ref=ref)], settings(tmp_path))
    assert message in str(error.value)


def test_credentials_in_git_urls_are_masked(tmp_path):
    with pytest.raises(SourceError) as error:
        crawl([Source("git", "https://user:hunter2@127.0.0.1:9/repo.git")], settings(tmp_path))
    assert "hunter2" not in str(error.value) and "***@" in str(error.value)


def test_catalog_argument_kinds(tmp_path):
    write(tmp_path, "f.yaml", GROUP.format(name="x"))
    assert source_from_argument(str(tmp_path)).kind == "folder"
    assert source_from_argument(str(tmp_path / "f.yaml")).kind == "file"
    assert source_from_argument("https://example.test/a.git#main") == Source("git", "https://example.test/a.git", ref="main")
    assert source_from_argument("list:repos.txt") == Source("list", "repos.txt")
    assert source_from_argument("backstage:https://bs.example") == Source("backstage", "https://bs.example",
                                                                          token_env="BACKSTAGE_TOKEN")
    with pytest.raises(SourceError, match="neither a folder, a file nor a git URL"):
        source_from_argument(str(tmp_path / "missing"))
