"""Git sources over smart HTTP without a git process: real repositories served by a real `git http-backend` on
loopback, every request counted at the server (git itself would start with a GET of info/refs; the direct
path only POSTs to git-upload-pack)."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from insights.catalog.git import head
from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.errors import SourceError

GROUP = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n"


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def hosted(tmp_path, make_repo, git_http_server):
    """`hosted(files, **server options)`: (server, work repository, its URL) with the files pushed to a bare
    repository `team/repo.git` that the server serves; `push()` sends further commits."""
    servers = []

    def host(files: dict, **options):
        work = make_repo(tmp_path / "work", files)
        bare = tmp_path / "srv" / "team" / "repo.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
        git(work, "remote", "add", "origin", str(bare))
        server = git_http_server(tmp_path / "srv", **options).__enter__()
        servers.append(server)
        return server, work, f"{server.url}/team/repo.git"

    yield host
    for server in servers:
        server.__exit__(None, None, None)


def push(work: Path, *refs: str) -> None:
    git(work, "push", "-q", "--force", "origin", *(refs or ["main"]))


def settings(tmp_path, **more):
    return CrawlSettings(**{"cache_dir": tmp_path / "cache", "git_concurrency": 2, **more})


def checkout_of(tmp_path) -> Path:
    [folder] = (tmp_path / "cache" / "git").iterdir()
    return folder


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if (p.is_file() or p.is_symlink()) and ".git" not in p.relative_to(folder).parts}


def posts(server, since=0):
    return [(method, path) for method, path, _ in server.requests[since:]]


FILES = {"catalog-info.yaml": GROUP.format(name="a"), "teams/b.yml": GROUP.format(name="b"),
         "deep/er/c.yaml": GROUP.format(name="c"), "src/main.py": "print(1)\n", "README.md": "# read me\n"}


@pytest.mark.parametrize("git_filter", ["blob:none", "blob:limit=1m", ""])
def test_a_cold_fetch_writes_the_yaml_files_alone_with_no_git_process(tmp_path, hosted, git_filter):
    server, work, url = hosted(FILES)
    globs = ("**/*.yaml", "**/*.yml")
    catalog = crawl([Source("git", url, globs)], settings(tmp_path, git_filter=git_filter))
    assert sorted(e.name for e in catalog.entities) == ["a", "b", "c"] and not catalog.findings
    folder = checkout_of(tmp_path)
    assert files_under(folder) == {"catalog-info.yaml", "teams/b.yml", "deep/er/c.yaml"}
    assert head(folder) == git(work, "rev-parse", "HEAD") == catalog.entities[0].revision
    assert {method for method, _ in posts(server)} == {"POST"}
    # ls-refs, the trees, the three YAML blobs; the last is not needed when the pack brought the blobs
    assert len(server.requests) == (3 if git_filter == "blob:none" else 2)
    assert stat.S_IMODE(folder.stat().st_mode) == stat.S_IMODE((folder.parent).stat().st_mode) == 0o700
    assert git(folder, "config", "remote.origin.url") == url


def test_an_unchanged_repository_costs_one_request_and_a_new_commit_is_fetched(tmp_path, hosted, commit):
    server, work, url = hosted(FILES)
    sources = [Source("git", url)]
    crawl(sources, settings(tmp_path))
    before = len(server.requests)
    assert [e.name for e in crawl(sources, settings(tmp_path)).entities] == ["a"]
    assert posts(server, before) == [("POST", "/team/repo.git/git-upload-pack")]

    commit(work, {"catalog-info.yaml": GROUP.format(name="renamed"), "teams/new.yaml": GROUP.format(name="new")})
    git(work, "rm", "-q", "deep/er/c.yaml")
    git(work, "commit", "-qm", "remove c")
    push(work)
    before = len(server.requests)
    catalog = crawl([Source("git", url, ("**/*.yaml",))], settings(tmp_path))
    assert sorted(e.name for e in catalog.entities) == ["new", "renamed"]
    folder = checkout_of(tmp_path)
    assert files_under(folder) == {"catalog-info.yaml", "teams/b.yml", "teams/new.yaml"}  # c.yaml is gone
    assert head(folder) == git(work, "rev-parse", "HEAD")
    assert len(server.requests) - before == 3
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # nothing half-written left beside it


def test_a_commit_that_changes_no_yaml_file_fetches_no_blob(tmp_path, hosted, commit):
    server, work, url = hosted(FILES)
    crawl([Source("git", url)], settings(tmp_path))
    commit(work, {"src/main.py": "print(2)\n"})
    push(work)
    before = len(server.requests)
    catalog = crawl([Source("git", url, ("**/*.yaml", "**/*.yml"))], settings(tmp_path))
    assert sorted(e.name for e in catalog.entities) == ["a", "b", "c"]
    assert len(server.requests) - before == 2  # ls-refs and the trees; the YAML files are the ones kept
    assert head(checkout_of(tmp_path)) == git(work, "rev-parse", "HEAD")


def test_a_branch_a_tag_and_a_commit_id(tmp_path, hosted, commit):
    server, work, url = hosted({"catalog-info.yaml": GROUP.format(name="first")})
    first = git(work, "rev-parse", "HEAD")
    git(work, "tag", "-a", "-m", "release", "v1")
    git(work, "checkout", "-q", "-b", "next")
    commit(work, {"catalog-info.yaml": GROUP.format(name="next")})
    push(work, "main", "next", "v1")
    sources = [Source("git", url, ref="next"), Source("git", url, ref="v1"), Source("git", url, ref=first),
               Source("git", url, ref="refs/heads/main")]
    catalog = crawl(sources, settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["next", "first", "first", "first"]
    before = len(server.requests)
    crawl(sources, settings(tmp_path))
    assert len(server.requests) - before == 3  # the commit id is not even asked for
    assert {method for method, _ in posts(server)} == {"POST"}


def test_a_missing_ref_is_an_error_naming_it(tmp_path, hosted):
    _, _, url = hosted({"catalog-info.yaml": GROUP.format(name="a")})
    with pytest.raises(SourceError) as error:
        crawl([Source("git", url, ref="no-such-branch")], settings(tmp_path))
    assert str(error.value).startswith(f"git clone of {url} failed: the remote has no 'no-such-branch'")


def test_an_update_that_fails_leaves_the_last_checkout_whole(tmp_path, hosted, commit):
    server, work, url = hosted({"catalog-info.yaml": GROUP.format(name="a")})
    crawl([Source("git", url)], settings(tmp_path))
    first = head(checkout_of(tmp_path))
    (work / "big.yaml").write_bytes(os.urandom(300_000))  # a blob that does not compress below the limit
    commit(work, {"catalog-info.yaml": GROUP.format(name="b")})
    push(work)
    with pytest.raises(SourceError) as error:
        crawl([Source("git", url)], settings(tmp_path, git_max_bytes=100_000))
    assert str(error.value).startswith(f"git fetch of {url} failed: the answer is over the limit of 100000 bytes")
    folder = checkout_of(tmp_path)  # the only folder: the new one was removed
    assert head(folder) == first and "name: a" in (folder / "catalog-info.yaml").read_text()


def test_a_server_without_protocol_v2_is_read_by_git(tmp_path, hosted):
    server, _, url = hosted(FILES, v2=False)
    catalog = crawl([Source("git", url)], settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["a"]
    assert ("GET", "/team/repo.git/info/refs?service=git-upload-pack") in posts(server)  # git's own first step
    assert files_under(checkout_of(tmp_path)) == {"catalog-info.yaml", "teams/b.yml", "deep/er/c.yaml"}


def test_a_server_that_refuses_filters_sends_the_whole_commit(tmp_path, hosted):
    server, _, url = hosted(FILES, config={"uploadpack.allowFilter": "false"})
    catalog = crawl([Source("git", url)], settings(tmp_path))
    assert [e.name for e in catalog.entities] == ["a"]
    assert {method for method, _ in posts(server)} == {"POST"}
    assert files_under(checkout_of(tmp_path)) == {"catalog-info.yaml", "teams/b.yml", "deep/er/c.yaml"}


def test_a_checkout_made_by_git_is_kept_until_the_remote_moves(tmp_path, hosted, commit):
    """A cache filled by git (a proxy, an older insights) is reused by the direct path, then replaced whole."""
    server, work, url = hosted(FILES, v2=False)
    crawl([Source("git", url)], settings(tmp_path))
    assert (checkout_of(tmp_path) / ".git" / "index").is_file()
    server.v2 = True
    before = len(server.requests)
    crawl([Source("git", url)], settings(tmp_path))
    assert posts(server, before) == [("POST", "/team/repo.git/git-upload-pack")]
    commit(work, {"catalog-info.yaml": GROUP.format(name="moved")})
    push(work)
    assert [e.name for e in crawl([Source("git", url)], settings(tmp_path)).entities] == ["moved"]
    folder = checkout_of(tmp_path)
    assert files_under(folder) == {"catalog-info.yaml", "teams/b.yml", "deep/er/c.yaml"}
    assert not (folder / ".git" / "index").exists() and not (folder / "src").exists()
