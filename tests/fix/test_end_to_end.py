"""From a failing check to a passing one on real git repositories: `insights fix` writes patches (or edits
in place, or adds a waiver), git applies them, and the next `insights run` passes the check, every
comment of the files intact."""

from __future__ import annotations

import difflib
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from insights.pagerduty.generate import generate
from insights.pagerduty.state import save_snapshot
from insights.resources import demo_data

from .conftest import git, make_repository

PAYMENTS = {
    "catalog-info.yaml": """\
# Payments: the public API.
# Owned by the payments team; ask in #payments.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
    name: service-0    # the API
    description: Public payments API
    annotations:
        # where the code lives
        github.com/project-slug: acme/service-0
    tags:
    - java
spec:
    type: service
    lifecycle: production
    owner: team-0   # the team
""",
    "services/catalog-info.yaml": """\
# Several entities in one file.
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-0
spec:
  type: team
  children: []
---
# The worker.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-1
  tags: [worker]      # flow sequence

spec: {type: service, lifecycle: production, owner: team-0}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-2
  annotations:
    pagerduty.com/service-id: ${{ values.pagerdutyId }}   # from the template
spec:
  type: service
  lifecycle: production
  owner: team-0
""",
    "flow/catalog-info.yaml": """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: service-3, description: "Flow style, one line"}   # compact
spec: {type: service, lifecycle: production, owner: team-0}
""",
    "wired/catalog-info.yaml": """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-4
  annotations:
    pagerduty.com/service-id: PV00004
spec:
  type: service
  lifecycle: production
  owner: team-0
""",
    "mystery/catalog-info.yaml": """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: mystery
spec:
  type: service
  lifecycle: production
  owner: team-0
""",
}
SEARCH = {"catalog-info.yaml": (
    "# Search, written on Windows.\r\napiVersion: backstage.io/v1alpha1\r\nkind: Component\r\nmetadata:\r\n"
    "  name: service-5\r\n  title: Service 5\r\nspec:\r\n  type: service\r\n  lifecycle: production\r\n"
    "  owner: team-0").encode()}
# The account's service ids by number (the generator issues both the short P and the long Q form).
IDS = {int(re.search(r"\d+", s["name"]).group()): s["id"] for s in generate(6, 6, seed=4).state.services}
PAYMENTS["wired/catalog-info.yaml"] = PAYMENTS["wired/catalog-info.yaml"].replace("PV00004", IDS[4])
FIXED = ["component:default/service-0", "component:default/service-1", "component:default/service-2",
         "component:default/service-3", "component:default/service-5"]


@pytest.fixture()
def world(tmp_path):
    """Two repositories and a snapshot of the account their services live in."""
    payments = make_repository(tmp_path / "payments", PAYMENTS)
    search = make_repository(tmp_path / "search", SEARCH)
    save_snapshot(generate(6, 6, seed=4, now=datetime.now(timezone.utc).replace(microsecond=0)).state,
                  tmp_path / "snap.json")
    return payments, search


def outcomes(insights, payments, search, name: str) -> dict:
    result = insights("run", "--catalog", str(payments), "--catalog", str(search), "--pagerduty-snapshot",
                      "snap.json", "--db", f"sqlite:///{name}.db", "--out", name)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in (Path(name) / "entities.jsonl").read_text().splitlines()]
    return {(e["ref"], check): outcome for e in rows if e["record"] == "entity" for check, outcome in e["checks"].items()}


def originals(files: dict) -> dict[str, str]:
    return {p: (t.decode() if isinstance(t, bytes) else t) for p, t in files.items()}


def inserted(before: str, after: str) -> str:
    """What was added to `before` to make `after`, asserting that nothing of it was changed or removed:
    every comment, space and line end stays byte for byte (the placeholder aside, replaced by its id)."""
    before = before.replace("${{ values.pagerdutyId }}", IDS[2])
    operations = [op for op in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
                  if op[0] != "equal"]
    assert all(op[0] == "insert" for op in operations), operations
    return "".join(after[j1:j2] for _, _, _, j1, j2 in operations)


def test_patches_apply_and_the_next_run_passes(insights, world):
    payments, search = world
    before = outcomes(insights, payments, search, "before")
    assert {before[(ref, "pagerduty-service-exists")] for ref in FIXED} <= {"unknown", "fail"}
    fixed = insights("fix", "--catalog", str(payments), "--catalog", str(search), "--pagerduty-snapshot",
                     "snap.json", "--patch", "patches")
    assert fixed.code == 0, fixed.err
    assert f"apply it with: git -C {payments} apply {Path('patches/payments.patch').resolve()}" in fixed.out
    patch = Path("patches/payments.patch").read_text()
    assert patch.count("diff --git") == 3 and "a/services/catalog-info.yaml" in patch and "mystery" not in patch
    for repository, files in ((payments, PAYMENTS), (search, SEARCH)):
        patch_file = str(Path(f"patches/{repository.name}.patch").resolve())
        git(repository, "apply", "--check", patch_file)
        git(repository, "apply", patch_file)
        for path, text in originals(files).items():
            added = inserted(text, (repository / path).read_bytes().decode())
            assert "#" not in added and added.count("pagerduty.com/service-id: ") == added.count(":") - \
                added.count("annotations:")
    edited = (search / "catalog-info.yaml").read_bytes()
    assert edited.count(b"\r\n") == edited.count(b"\n") == 9 + 2  # CRLF kept, and used by the two new lines
    after = outcomes(insights, payments, search, "after")
    for ref in FIXED:
        for check in ("pagerduty-annotation", "pagerduty-annotation-valid", "pagerduty-service-exists"):
            assert after[(ref, check)] == "pass", (ref, check)
    assert after[("component:default/mystery", "pagerduty-annotation")] == "fail"


def test_write_edits_in_place_and_the_next_run_passes(insights, world):
    payments, search = world
    written = insights("fix", "--catalog", str(payments), "--catalog", str(search), "--pagerduty-snapshot",
                       "snap.json", "--write")
    assert written.code == 0, written.err
    assert written.out.count("edited ") == 4
    assert git(payments, "status", "--porcelain").split() == ["M", "catalog-info.yaml", "M", "flow/catalog-info.yaml",
                                                            "M", "services/catalog-info.yaml"]
    for repository, files in ((payments, PAYMENTS), (search, SEARCH)):
        for path, text in originals(files).items():
            assert "#" not in inserted(text, (repository / path).read_bytes().decode())
    after = outcomes(insights, payments, search, "after")
    assert all(after[(ref, "pagerduty-annotation")] == "pass" for ref in FIXED)
    again = insights("fix", "--catalog", str(payments), "--catalog", str(search), "--pagerduty-snapshot",
                     "snap.json", "--write")
    assert again.code == 2
    assert again.err.strip() == ("error: no suggestion reaches confidence 0.75 (none matched, 0 ambiguous, 1 entities "
                                 "need a service); see them with `insights fix`, or lower --min-confidence")


def test_a_git_url_source_gets_a_patch_for_its_repository_and_refuses_write(insights, world):
    payments, _ = world
    url = f"file://{payments}"
    fixed = insights("fix", "--catalog", url, "--pagerduty-snapshot", "snap.json", "--patch", "patches")
    assert fixed.code == 0, fixed.err
    assert f"in a checkout of {url}" in fixed.out
    git(payments, "apply", "--check", str(Path("patches/payments.patch").resolve()))
    refused = insights("fix", "--catalog", url, "--pagerduty-snapshot", "snap.json", "--write")
    assert refused.code == 2
    assert refused.err.strip() == (f"error: --write edits files in a local checkout, and {url} is not one: use "
                                   "--patch DIR and apply the patch in a checkout, or pass the checkout's folder "
                                   "with --catalog")


def test_a_waiver_written_in_place_counts_in_the_next_run(insights, world):
    payments, search = world
    until = (datetime.now(timezone.utc).date() + timedelta(days=30)).isoformat()
    preview = insights("fix", "--catalog", str(payments), "--waive", "has-runbook-link", "--until", until,
                       "--reason", "runbook moves to the wiki", "--entity", "service-0", "--entity",
                       "component:default/service-1")
    assert preview.code == 0, preview.err
    assert f'+        insights.dev/waive.has-runbook-link: "{until}: runbook moves to the wiki"' in preview.out
    assert git(payments, "status", "--porcelain") == ""  # a preview writes nothing
    written = insights("fix", "--catalog", str(payments), "--waive", "has-runbook-link", "--until", until,
                       "--reason", "runbook moves to the wiki", "--entity", "service-0", "--entity",
                       "component:default/service-1", "--write")
    assert written.code == 0, written.err
    waiver = f'insights.dev/waive.has-runbook-link: "{until}: runbook moves to the wiki"'
    slug = "github.com/project-slug: acme/service-0\n"
    assert (payments / "catalog-info.yaml").read_text() == \
        PAYMENTS["catalog-info.yaml"].replace(slug, f"{slug}        {waiver}\n")
    flow_tags = "  tags: [worker]      # flow sequence\n\n"  # ruamel keeps the blank line with the tags
    assert (payments / "services/catalog-info.yaml").read_text() == PAYMENTS["services/catalog-info.yaml"].replace(
        flow_tags, f"{flow_tags}  annotations:\n    {waiver}\n")
    after = outcomes(insights, payments, search, "after")
    assert after[("component:default/service-0", "has-runbook-link")] == "waived"
    assert after[("component:default/service-1", "has-runbook-link")] == "waived"
    assert after[("component:default/service-2", "has-runbook-link")] == "fail"


def test_json_lists_suggestions_with_evidence_and_orphans(insights, world):
    payments, search = world
    result = insights("fix", "--catalog", str(payments), "--catalog", str(search), "--pagerduty-snapshot",
                      "snap.json", "--format", "json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["format"] == "insights.fix/1"
    entities = {e["ref"]: e for e in document["entities"]}
    assert sorted(entities) == sorted(FIXED + ["component:default/mystery"])
    assert entities["component:default/mystery"]["status"] == "none"
    best = entities["component:default/service-5"]["candidates"][0]
    assert (best["service_id"], best["level"]) == (IDS[5], "high")
    assert {e["signal"] for e in best["evidence"]} == {"name", "service-tag", "team"}
    assert {o["service_id"]: o["entities"] for o in document["orphans"]}[IDS[3]] == ["component:default/service-3"]


def test_pagerduty_is_read_over_http_with_the_credential_run_uses(insights, simulator, monkeypatch):
    catalog = str(demo_data() / "catalog")
    offline = insights("fix", "--catalog", catalog, "--pagerduty-snapshot", str(demo_data() / "pagerduty.json"))
    monkeypatch.setenv("PAGERDUTY_TOKEN", "test-token")
    online = insights("fix", "--catalog", catalog, "--pagerduty-url", simulator.url)
    assert (online.code, online.out) == (0, offline.out)
    monkeypatch.setenv("PAGERDUTY_TOKEN", "not-the-token")
    refused = insights("fix", "--catalog", catalog, "--pagerduty-url", simulator.url)
    assert refused.code == 3 and "PAGERDUTY_TOKEN" in refused.err and "not-the-token" not in refused.err


def test_medium_suggestions_are_left_out_unless_asked_for(insights, tmp_path):
    repository = make_repository(tmp_path / "repo", {"catalog-info.yaml": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bookkeeper\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: team-0\n")})
    state = generate(1, 1).state
    state.services[0]["name"] = "book-keeper"
    save_snapshot(state, tmp_path / "snap.json")
    high = insights("fix", "--catalog", str(repository), "--pagerduty-snapshot", "snap.json", "--patch", "p")
    assert high.code == 2 and "(1 at medium, 0 ambiguous, 1 entities need a service)" in high.err
    medium = insights("fix", "--catalog", str(repository), "--pagerduty-snapshot", "snap.json", "--write",
                      "--min-confidence", "medium")
    assert medium.code == 0, medium.err
    assert f"pagerduty.com/service-id: {IDS[0]}" in (repository / "catalog-info.yaml").read_text()


def test_a_waiver_as_a_patch_applies_with_git(insights, world):
    payments, _ = world
    until = (datetime.now(timezone.utc).date() + timedelta(days=7)).isoformat()
    result = insights("fix", "--catalog", str(payments), "--waive", "oncall-now", "--until", until, "--reason",
                      "rota starts next week", "--entity", "component:default/service-3", "--patch", "patches")
    assert result.code == 0, result.err
    git(payments, "apply", str(Path("patches/payments.patch").resolve()))
    assert (payments / "flow/catalog-info.yaml").read_text() == PAYMENTS["flow/catalog-info.yaml"].replace(
        '"Flow style, one line"}', f'"Flow style, one line", annotations: {{insights.dev/waive.oncall-now: '
        f'"{until}: rota starts next week"}}}}')


def test_several_accounts_each_entity_is_matched_in_its_own_account(insights, tmp_path):
    """A service of the same name in two accounts: the entity naming `eu` gets the EU one, the others the
    default account's; orphans are listed per account. The next run finds each in its account."""
    from insights.pagerduty.state import AccountsState

    from .conftest import account, service

    files = {"catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing\n"
             "spec: {type: service, lifecycle: production, owner: payments}\n---\n"
             "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing-eu\n  title: Billing\n"
             "  annotations:\n    pagerduty.com/account: eu\n"
             "spec: {type: service, lifecycle: production, owner: payments}\n"}
    repository = make_repository(tmp_path / "repo", files)
    us = account(service("PBILLUS", "billing"), service("PLEDGER", "ledger"))
    eu = account(service("PBILLEU", "Billing"), service("PREFUND", "refunds"))
    save_snapshot(AccountsState({"us": us, "eu": eu}, "us"), tmp_path / "two.json")
    shown = insights("fix", "--catalog", str(repository), "--pagerduty-snapshot", "two.json", "--format", "json")
    assert shown.code == 0, shown.err
    document = json.loads(shown.out)
    best = {e["ref"]: (e.get("account"), e["candidates"][0]["service_id"] if e["candidates"] else None)
            for e in document["entities"]}
    assert best == {"component:default/billing": ("us", "PBILLUS"), "component:default/billing-eu": ("eu", "PBILLEU")}
    assert {(o["account"], o["service_id"], o["status"]) for o in document["orphans"]} == {
        ("eu", "PBILLEU", "match"), ("eu", "PREFUND", "none"), ("us", "PBILLUS", "match"), ("us", "PLEDGER", "none")}
    text = insights("fix", "--catalog", str(repository), "--pagerduty-snapshot", "two.json").out
    assert "component:default/billing-eu  (repo/catalog-info.yaml:7)  [account eu]" in text
    assert "  [account eu] refunds (PREFUND): no entity in the catalog matches" in text
    assert insights("fix", "--catalog", str(repository), "--pagerduty-snapshot", "two.json", "--write").code == 0
    edited = (repository / "catalog-info.yaml").read_text()
    assert "pagerduty.com/service-id: PBILLEU" in edited and "pagerduty.com/service-id: PBILLUS" in edited
