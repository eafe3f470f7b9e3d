"""Web addresses of descriptor files and entity pages, for every remote form of every known host
(hypothesis), and `git_origin` on real git checkouts."""

from __future__ import annotations

import subprocess
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insights.catalog.model import Entity
from insights.facts.registry import compute_facts
from insights.links import (descriptor_url, entity_page, file_url, from_template, git_origin, line_anchor,
                            parse_remote, without_credentials)
from insights.report.escape import safe_url

NAME = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=20).filter(
    lambda s: s not in (".", "..") and not s.endswith(".git") and not s.startswith("."))
HOST_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)  # an Azure organisation
SEGMENT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="/\\"),
                  min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))
PATH = st.lists(SEGMENT, min_size=1, max_size=4).map("/".join)
REVISION = st.one_of(st.just(""), st.text("0123456789abcdef", min_size=40, max_size=40),
                     st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=15))
LINE = st.one_of(st.none(), st.integers(1, 100_000))
SECRET = "s3cr3t-t0ken"


def forms(host: str, path: str) -> list[str]:
    """Every way git writes a remote for `host` and `path` (owner/repo...)."""
    return [f"https://{host}/{path}.git", f"https://{host}/{path}", f"https://user:{SECRET}@{host}/{path}.git",
            f"https://{SECRET}@{host}/{path}", f"http://{host}/{path}.git", f"ssh://git@{host}/{path}.git",
            f"ssh://git@{host}:2222/{path}.git", f"git@{host}:{path}.git", f"git@{host}:{path}"]


HOSTS = {"github": ["github.com", "github.acme.example"], "gitlab": ["gitlab.com", "gitlab.acme.example"],
         "bitbucket": ["bitbucket.org"]}
MIDDLE = {"github": "blob", "gitlab": "-/blob", "bitbucket": "src"}
ANCHOR = {"github": "#L{}", "gitlab": "#L{}", "bitbucket": "#lines-{}"}


def check_file_link(url: str, base: str, path: str, line) -> None:
    assert safe_url(url) == url, url
    assert url.startswith(base)
    assert SECRET not in url
    assert unquote(urlsplit(url).path).endswith("/" + path) or unquote(urlsplit(url).query).startswith(f"path=/{path}")


@given(kind=st.sampled_from(sorted(HOSTS)), host_index=st.integers(0, 1), owner=NAME, repo=NAME,
       groups=st.lists(NAME, max_size=2), revision=REVISION, path=PATH, line=LINE)
def test_github_gitlab_and_bitbucket_remotes_link_to_the_file_at_its_line(kind, host_index, owner, repo, groups,
                                                                         revision, path, line):
    host = HOSTS[kind][host_index % len(HOSTS[kind])]
    repo_path = "/".join([owner, *(groups if kind == "gitlab" else []), repo])
    for remote in forms(host, repo_path):
        url = file_url(remote, revision, path, line)
        base = f"https://{host}/{repo_path}/{MIDDLE[kind]}/{revision or 'HEAD'}/"
        check_file_link(url, base, path, line)
        if line:
            assert url.endswith(ANCHOR[kind].format(line))
        else:
            assert "#" not in url


@given(org=HOST_LABEL, project=NAME, repo=NAME, revision=REVISION, path=PATH, line=LINE)
def test_azure_devops_remotes_link_to_the_file_at_its_line(org, project, repo, revision, path, line):
    remotes = [f"https://dev.azure.com/{org}/{project}/_git/{repo}", f"https://{org}@dev.azure.com/{org}/{project}/_git/{repo}",
               f"https://{SECRET}@dev.azure.com/{org}/{project}/_git/{repo}",
               f"git@ssh.dev.azure.com:v3/{org}/{project}/{repo}",
               f"https://{org}.visualstudio.com/{project}/_git/{repo}",
               f"https://{org}.visualstudio.com/DefaultCollection/{project}/_git/{repo}",
               f"{org}@vs-ssh.visualstudio.com:v3/{org}/{project}/{repo}"]
    for remote in remotes:
        url = file_url(remote, revision, path, line)
        check_file_link(url, f"https://dev.azure.com/{org}/{project}/_git/{repo}?path=/", path, line)
        query = urlsplit(url).query
        if revision:
            assert f"&version={'GC' if len(revision) == 40 and set(revision) <= set('0123456789abcdef') else 'GB'}{revision}" in query
        assert (f"&line={line}&lineEnd={(line or 0) + 1}" in query) == bool(line)


@given(st.text(max_size=60))
def test_any_text_as_a_remote_gives_a_safe_link_or_none(text):
    url = file_url(text, "main", "catalog-info.yaml", 3)
    assert url is None or safe_url(url) == url


@pytest.mark.parametrize("remote", ["https://example.com/o/r.git", "file:///srv/git/r.git", "/srv/git/r",
                                    "https://github.com/only-owner", "https://github.com/o/r/extra",
                                    "javascript:alert(1)//github.com/o/r", "https://github.com/o/../r"])
def test_unknown_hosts_and_odd_paths_give_no_link(remote):
    assert file_url(remote, "main", "catalog-info.yaml", 1) is None


@pytest.mark.parametrize("remote, clean", [
    (f"https://user:{SECRET}@github.com/o/r.git", "https://github.com/o/r.git"),
    (f"https://{SECRET}@gitlab.com/g/r.git", "https://gitlab.com/g/r.git"),
    (f"ssh://git:{SECRET}@example.com:2222/r.git", "ssh://git@example.com:2222/r.git"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ("https://github.com/o/r.git", "https://github.com/o/r.git"),
])
def test_remotes_lose_their_credentials(remote, clean):
    assert without_credentials(remote) == clean


def test_annotations_come_first_then_the_template_then_the_remote():
    remote = {"origin_url": "git@github.com:acme/payments.git", "revision": "abc123", "path": "svc/catalog-info.yaml",
              "line": 7}
    view = "https://gitlab.com/acme/x/-/blob/main/catalog-info.yaml"
    assert descriptor_url({"backstage.io/view-url": view}, **remote) == view + "#L7"
    assert descriptor_url({"backstage.io/edit-url": "https://e.example/edit"}, **remote) == "https://e.example/edit"
    assert descriptor_url({"backstage.io/source-location": "url:https://github.com/acme/payments/tree/main/svc/"},
                          **remote) == "https://github.com/acme/payments/tree/main/svc/"
    assert descriptor_url({}, **remote, template="https://git.acme.example/{revision}/{path}?l={line}") == \
        "https://git.acme.example/abc123/svc/catalog-info.yaml?l=7"
    assert descriptor_url({}, **remote) == "https://github.com/acme/payments/blob/abc123/svc/catalog-info.yaml#L7"
    assert descriptor_url({}, **remote, origin_dir="services") == \
        "https://github.com/acme/payments/blob/abc123/services/svc/catalog-info.yaml#L7"
    assert descriptor_url({}, path="x.yaml", line=1) is None


def test_templates_replace_only_their_three_names():
    assert from_template("https://h.example/{path}#{line}@{revision}{name.__class__}", "", "a b/c#d.yaml", None) == \
        "https://h.example/a%20b/c%23d.yaml#1@HEAD{name.__class__}"


def test_line_anchors_follow_the_host_and_keep_an_existing_one():
    assert line_anchor("https://bitbucket.org/w/r/src/main/c.yaml", 4) == "https://bitbucket.org/w/r/src/main/c.yaml#lines-4"
    assert line_anchor("https://github.com/o/r/blob/main/c.yaml#L2", 4) == "https://github.com/o/r/blob/main/c.yaml#L2"
    assert line_anchor("https://wiki.example/c.yaml", 4) == "https://wiki.example/c.yaml"


@given(base=st.sampled_from(["https://backstage.acme.example", "https://acme.example/backstage/"]),
       namespace=NAME, kind=st.sampled_from(["Component", "API", "System"]), name=SEGMENT)
def test_backstage_entities_link_to_their_entity_page(base, namespace, kind, name):
    url = entity_page(base, namespace, kind, name)
    assert safe_url(url) == url
    assert unquote(url) == f"{base.rstrip('/')}/catalog/{namespace.lower()}/{kind.lower()}/{name}"


def test_the_file_url_fact_is_computed_from_the_entity(demo_state, demo_now):
    entities = [Entity(ref="component:default/a", kind="component", namespace="default", name="a", path="a/catalog-info.yaml",
                       line=3, origin_url="https://github.com/acme/a.git", revision="0" * 40),
                Entity(ref="component:default/b", kind="component", namespace="default", name="b", path="b.yaml",
                       line=1, backstage_url="https://backstage.acme.example"),
                Entity(ref="component:default/c", kind="component", namespace="default", name="c", path="c.yaml")]
    facts = compute_facts(entities, demo_state, demo_now)
    assert facts.loc["component:default/a", "catalog.file_url"] == \
        f"https://github.com/acme/a/blob/{'0' * 40}/a/catalog-info.yaml#L3"
    assert facts.loc["component:default/b", "catalog.entity_url"] == \
        "https://backstage.acme.example/catalog/default/component/b"
    assert facts.loc["component:default/c", "catalog.file_url"] is None
    assert facts.loc["component:default/a", "catalog.entity_url"] is None


def git(folder, *args):
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(folder)})


def test_git_origin_names_the_remote_without_credentials_the_commit_and_the_folder(tmp_path):
    repo = tmp_path / "repo"
    (repo / "services" / "a").mkdir(parents=True)
    (repo / "services" / "a" / "catalog-info.yaml").write_text("kind: Component\n")
    git(repo, "init", "-q")
    assert git_origin(repo) is None  # no commit yet
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    assert git_origin(repo) is None  # no remote
    git(repo, "remote", "add", "origin", f"https://ci:{SECRET}@github.com/acme/payments.git")
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_origin(repo) == ("https://github.com/acme/payments.git", commit, "")
    origin = git_origin(repo / "services")
    assert origin.subdir == "services" and origin.commit == commit
    assert git_origin(tmp_path) is None  # not a checkout
    url = descriptor_url({}, origin_url=origin.remote, revision=origin.commit, origin_dir=origin.subdir,
                         path="a/catalog-info.yaml", line=1)
    assert url == f"https://github.com/acme/payments/blob/{commit}/services/a/catalog-info.yaml#L1"


def test_parse_remote_knows_the_web_home_of_each_host():
    assert parse_remote("git@gitlab.com:g/sub/r.git").web == "https://gitlab.com/g/sub/r"
    assert parse_remote("https://org.visualstudio.com/p/_git/r").web == "https://dev.azure.com/org/p/_git/r"
