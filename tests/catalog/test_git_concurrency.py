"""Many git sources at once: fetched concurrently, each within its deadline; one that fails is a finding and
the others are read; the cache is reused when nothing changed."""

import subprocess
import time

import pytest

from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.errors import SourceError

GROUP = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n"


@pytest.fixture()
def repositories(tmp_path, make_repo):
    return [make_repo(tmp_path / f"repo-{i}", {"catalog-info.yaml": GROUP.format(name=f"team-{i}")}) for i in range(6)]


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def settings(tmp_path, **more):
    return CrawlSettings(**{"cache_dir": tmp_path / "cache", "git_concurrency": 4, **more})


def test_repositories_are_read_concurrently_and_a_failing_one_is_a_finding(tmp_path, repositories):
    listing = tmp_path / "repos.txt"
    urls = [f"file://{r}" for r in repositories]
    broken = "https://robot:hunter2@127.0.0.1:9/gone.git"
    listing.write_text("\n".join(urls[:3] + [broken] + urls[3:]) + "\n")
    catalog = crawl([Source("list", str(listing))], settings(tmp_path))
    assert [(e.name, e.repository) for e in catalog.entities] == [(f"team-{i}", urls[i]) for i in range(6)]
    [finding] = catalog.findings
    assert finding.code == "source-unreadable" and finding.source == "https://***@127.0.0.1:9/gone.git"
    assert "git clone of https://***@127.0.0.1:9/gone.git failed" in finding.message
    assert "hunter2" not in finding.message


def test_every_source_failing_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="none of the 2 catalog sources could be read; the first: git clone of"):
        crawl([Source("git", "file:///nonexistent/a"), Source("git", "file:///nonexistent/b")], settings(tmp_path))


def test_a_repository_that_hangs_ends_at_its_deadline(tmp_path, repositories, server):
    server.routes["/slow.git/info/refs"] = lambda handler, query: time.sleep(30)
    sources = [Source("git", f"file://{repositories[0]}"), Source("git", f"{server.url}/slow.git")]
    catalog = crawl(sources, settings(tmp_path, repository_timeout=4))
    assert [e.name for e in catalog.entities] == ["team-0"]
    [finding] = catalog.findings
    assert finding.source == f"{server.url}/slow.git" and "took longer than" in finding.message


def test_unchanged_repositories_are_not_fetched_again(tmp_path, repositories, commit):
    """Default branch, a branch, and a commit id: only the repository that moved is fetched and checked out."""
    sha = git(repositories[4], "rev-parse", "HEAD").strip()
    sources = [Source("git", f"file://{r}") for r in repositories[:3]] + [
        Source("git", f"file://{repositories[3]}", ref="main"), Source("git", f"file://{repositories[4]}", ref=sha)]

    def checked_out():
        return {p.parent.parent.name: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "git").glob("*/.git/index")}

    assert [e.name for e in crawl(sources, settings(tmp_path)).entities] == [f"team-{i}" for i in range(5)]
    before = checked_out()
    time.sleep(0.05)
    commit(repositories[1], {"catalog-info.yaml": GROUP.format(name="renamed")})
    commit(repositories[4], {"catalog-info.yaml": GROUP.format(name="after-the-pinned-commit")})
    catalog = crawl(sources, settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["team-0", "renamed", "team-2", "team-3", "team-4"]
    after = checked_out()
    assert len(before) == 5 and sum(after[k] != before[k] for k in before) == 1  # repository 1 alone


@pytest.mark.parametrize("git_filter", ["blob:none", "blob:limit=10", "blob:limit=1m", ""])
def test_every_clone_filter_checks_out_the_yaml_files_only(tmp_path, make_repo, git_filter):
    repo = make_repo(tmp_path / "repo", {"catalog-info.yaml": GROUP.format(name="a"), "src/main.py": "print(1)\n"})
    catalog = crawl([Source("git", f"file://{repo}")], settings(tmp_path, git_filter=git_filter))
    assert [e.name for e in catalog.entities] == ["a"]
    [checkout] = (tmp_path / "cache" / "git").iterdir()
    assert not (checkout / "src").exists()


def test_an_unknown_clone_filter_is_refused(tmp_path, make_repo):
    repo = make_repo(tmp_path / "repo", {"catalog-info.yaml": GROUP.format(name="a")})
    with pytest.raises(SourceError, match="is not `blob:none`, `blob:limit=SIZE` or empty"):
        crawl([Source("git", f"file://{repo}")], settings(tmp_path, git_filter="tree:0 --upload-pack=x"))


def test_a_repository_listed_twice_is_cloned_once(tmp_path, repositories):
    url = f"file://{repositories[0]}"
    sources = [Source("git", url), Source("git", f"file://{repositories[1]}"), Source("git", url)]
    catalog = crawl(sources, settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["team-0", "team-1", "team-0"]
    assert [f.code for f in catalog.findings] == ["duplicate-entity"]
    assert len(list((tmp_path / "cache" / "git").iterdir())) == 2
