"""Every bad input to `insights fix` is exit 2 with the exact message a user reads; nothing is written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from insights.resources import demo_data

from .conftest import git, make_repository

DEMO = demo_data()
CATALOG = str(DEMO / "catalog")
SNAPSHOT = str(DEMO / "pagerduty.json")
TODAY = datetime.now(timezone.utc).date()
SOON = (TODAY + timedelta(days=10)).isoformat()
WAIVE = ("--waive", "oncall-now", "--until", SOON, "--reason", "team forms in January", "--entity", "checkout")


def replaced(arguments: tuple, **changes) -> list[str]:
    out = list(arguments)
    for flag, value in changes.items():
        out[out.index(f"--{flag}") + 1] = value
    return out


CASES = {
    "unknown check": (replaced(WAIVE, waive="oncall-nwo"),
                      "--waive 'oncall-nwo': no such check (did you mean oncall-now?); `insights validate` lists the "
                      "configuration's checks"),
    "date in the past": (replaced(WAIVE, until="2020-01-01"), f"--until 2020-01-01 is in the past (today is {TODAY})"),
    "no such day": (replaced(WAIVE, until="2026-02-30"), "--until 2026-02-30 is not a date in the calendar"),
    "not a date": (replaced(WAIVE, until="tomorrow"),
                   "--until 'tomorrow': write the date as YYYY-MM-DD, such as 2026-12-31"),
    "too far ahead": (replaced(WAIVE, until=(TODAY + timedelta(days=400)).isoformat()),
                      f"--until {(TODAY + timedelta(days=400)).isoformat()} is more than 180 days ahead "
                      f"(waivers.max_days); choose {TODAY + timedelta(days=180)} or earlier"),
    "empty reason": (replaced(WAIVE, reason="  "), "--reason is empty; say why the check does not apply yet"),
    "reason on two lines": (replaced(WAIVE, reason="one\ntwo"),
                            "--reason: one line of at most 300 characters, without control characters"),
    "unknown entity": (replaced(WAIVE, entity="component:default/chekout"),
                       "--entity 'component:default/chekout': the catalog has no entity component:default/chekout "
                       "(did you mean component:default/checkout?); refs look like component:default/name"),
    "no entity": (list(WAIVE[:-2]), "name the entities to waive the check for with --entity REF (repeatable)"),
    "until without waive": (["--until", SOON], "missing --waive CHECK, --reason TEXT; a waiver is written with "
                            "--waive CHECK --until YYYY-MM-DD --reason TEXT --entity REF"),
    "bad threshold": (["--pagerduty-snapshot", SNAPSHOT, "--min-confidence", "sure"],
                      "--min-confidence 'sure': use high, medium, low or a number from 0 to 1"),
    "threshold out of range": (["--pagerduty-snapshot", SNAPSHOT, "--min-confidence", "1.5"],
                               "--min-confidence '1.5': use high, medium, low or a number from 0 to 1"),
    "no credential": ([], "fix reads PagerDuty as `insights run` does: set PAGERDUTY_TOKEN (or PD_CLIENT_ID and "
                          "PD_CLIENT_SECRET), or pass --pagerduty-snapshot FILE"),
    "patch and write": (["--pagerduty-snapshot", SNAPSHOT, "--patch", "p", "--write"],
                        "--write edits the files and --patch DIR writes patches: choose one"),
    "nothing confident to patch": (["--pagerduty-snapshot", SNAPSHOT, "--patch", "p"],
                                   "no suggestion reaches confidence 0.75 (none matched, 0 ambiguous, 4 entities need "
                                   "a service); see them with `insights fix`, or lower --min-confidence"),
}


@pytest.mark.parametrize("arguments, message", CASES.values(), ids=CASES.keys())
def test_bad_input_is_a_usage_error_with_a_clear_message(insights, tmp_path, arguments, message):
    result = insights("fix", "--catalog", CATALOG, *arguments)
    assert (result.code, result.err.strip()) == (2, f"error: {message}")
    assert not (tmp_path / "p").exists()


def test_a_broken_snapshot_is_a_usage_error(insights, tmp_path):
    (tmp_path / "snap.json").write_text("{not json")
    result = insights("fix", "--catalog", CATALOG, "--pagerduty-snapshot", "snap.json")
    assert (result.code, result.err.strip()) == (2, "error: snap.json:1:2: the PagerDuty snapshot is not valid JSON: "
                                                    "Expecting property name enclosed in double quotes")


def test_patches_cannot_go_where_a_file_is(insights, tmp_path):
    (tmp_path / "taken").write_text("a file")
    result = insights("fix", "--catalog", CATALOG, *WAIVE, "--patch", "taken/patches")
    assert (result.code, result.err.strip()) == (2, "error: cannot write patches into taken/patches: Not a directory")


def test_a_file_leading_outside_its_root_is_never_touched(insights, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n"
                       "spec:\n  type: service\n  lifecycle: production\n  owner: payments\n")
    repository = make_repository(tmp_path / "repo", {"README": "x"})
    (repository / "catalog-info.yaml").symlink_to(outside)
    result = insights("fix", "--catalog", str(repository), *WAIVE, "--write")
    assert result.code == 2  # the crawl never reads a file through a link out of its root (file-outside-root)
    assert result.err.strip() == ("error: --entity 'checkout': the catalog has no entity component:default/checkout; "
                                  "refs look like component:default/name")
    assert "annotations" not in outside.read_text()


def test_a_file_changed_between_reading_and_writing_is_not_overwritten(tmp_path):
    from insights.catalog.sources import Source
    from insights.fix.plan import Change, make_plan, write_files
    from insights.fix.roots import crawl_roots
    from insights.catalog.sources import CrawlSettings

    repository = make_repository(tmp_path / "repo", {"catalog-info.yaml": (
        "kind: Component\napiVersion: backstage.io/v1alpha1\nmetadata:\n  name: a\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: payments\n")})
    entities, roots = crawl_roots([Source("folder", str(repository))], CrawlSettings(), tmp_path / "scratch")
    plan = make_plan([Change(entities[0], "pagerduty.com/service-id", "PABC123")], roots, 10_000)
    (repository / "catalog-info.yaml").write_text("# someone else's edit\n")
    written, problems = write_files(plan)
    assert written == [] and problems == [f"{repository / 'catalog-info.yaml'} changed while it was being edited; "
                                          "run again"]
    assert (repository / "catalog-info.yaml").read_text() == "# someone else's edit\n"
    assert git(repository, "status", "--porcelain").strip() == "M catalog-info.yaml"


def test_the_demo_lists_what_it_cannot_match_and_its_orphan_service(insights):
    result = insights("fix", "--catalog", CATALOG, "--pagerduty-snapshot", SNAPSHOT)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == ("4 entities need a PagerDuty service: 0 matched (0 at confidence 0.75 or more), 0 ambiguous, "
                        "4 without a candidate.")
    assert "component:default/refunds  (catalog/payments/services/refunds/catalog-info.yaml:2)" in lines
    assert ("  legacy-cron (PLEGACY): no entity in the catalog matches; add one, or retire the service  "
            "https://acme.pagerduty.com/service-directory/PLEGACY") in lines


def test_a_file_source_that_is_a_link_out_of_its_folder_is_not_edited(insights, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    real = tmp_path / "elsewhere" / "catalog-info.yaml"
    real.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n"
                    "spec:\n  type: service\n  lifecycle: production\n  owner: payments\n")
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "catalog-info.yaml").symlink_to(real)
    result = insights("fix", "--catalog", "here/catalog-info.yaml", *WAIVE, "--write")
    assert result.code == 2 and "has no entity component:default/checkout" in result.err  # never read
    assert "annotations" not in real.read_text()
