"""Credentials in a git source URL reach the server and never the disk: a real `git http-backend` behind basic
auth on loopback, cloned and fetched, then the whole cache searched for the secret."""

import base64
import stat
import subprocess
from pathlib import Path

import pytest

from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.errors import SourceError

SECRET = "tok-3f9a1c77e2"
GROUP = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n"


@pytest.fixture()
def served(tmp_path, make_repo, git_http_server):
    """A bare repository `team/repo.git` served over HTTP with user `robot` and the secret as password."""
    work = make_repo(tmp_path / "work", {"catalog-info.yaml": GROUP.format(name="first")})
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(tmp_path / "srv" / "team" / "repo.git")], check=True)
    subprocess.run(["git", "-C", str(work), "remote", "add", "origin", str(tmp_path / "srv" / "team" / "repo.git")],
                   check=True)
    with git_http_server(tmp_path / "srv", auth=("robot", SECRET)) as server:
        yield server, work


def everything_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def test_credentials_are_used_but_never_written_to_the_cache(tmp_path, served, commit):
    server, work = served
    url = server.url.replace("http://", f"http://robot:{SECRET}@") + "/team/repo.git"
    settings = CrawlSettings(cache_dir=tmp_path / "cache")
    assert [e.name for e in crawl([Source("git", url)], settings).entities] == ["first"]
    commit(work, {"catalog-info.yaml": GROUP.format(name="second")})
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True, capture_output=True)
    second = crawl([Source("git", url)], settings)
    assert [e.name for e in second.entities] == ["second"]
    assert second.entities[0].repository == server.url.replace("http://", "http://***@") + "/team/repo.git"

    basic = base64.b64encode(f"robot:{SECRET}".encode())
    assert {auth for _, _, auth in server.requests} == {f"Basic {basic.decode()}"}
    cache = everything_under(tmp_path / "cache")
    assert SECRET.encode() not in cache and basic not in cache and b"robot" not in cache
    [checkout] = (tmp_path / "cache" / "git").iterdir()
    remote = subprocess.run(["git", "-C", str(checkout), "config", "remote.origin.url"], capture_output=True, text=True)
    assert remote.stdout.strip() == f"{server.url}/team/repo.git"
    for folder in (tmp_path / "cache" / "git", checkout):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_refused_credentials_are_a_clear_error_without_the_secret(tmp_path, served):
    server, _ = served
    url = server.url.replace("http://", "http://robot:wrong-password@") + "/team/repo.git"
    with pytest.raises(SourceError) as error:
        crawl([Source("git", url)], CrawlSettings(cache_dir=tmp_path / "cache"))
    assert "wrong-password" not in str(error.value) and "http://***@127.0.0.1" in str(error.value)
    assert "git clone" in str(error.value) and "credentials" in str(error.value)


def test_the_credential_is_not_sent_to_another_host(tmp_path, served):
    """The header is scoped to the repository's URL: a submodule-like second source on another URL gets none."""
    server, _ = served
    other = server.url.replace("127.0.0.1", "localhost") + "/team/repo.git"
    with pytest.raises(SourceError):
        crawl([Source("git", other)], CrawlSettings(cache_dir=tmp_path / "cache"))
    assert {auth for _, _, auth in server.requests} == {None}
