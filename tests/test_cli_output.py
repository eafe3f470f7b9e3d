"""What `explain`, `history`, `facts` and `validate` print, for people (tables, names, percentages; never a
Python repr or `nan`) and for scripts (`--format json`, stable keys), run in-process on two stored offline
runs of the demo's payments catalog."""

from __future__ import annotations

import json
import re

import pytest

from insights.facts.registry import FACTS
from insights.resources import demo_data

PAYMENTS = str(demo_data() / "catalog" / "payments")
FORMS = ["checkout", "component:checkout", "default/checkout", "component:default/checkout",
         "Component:Default/Checkout"]
REPR = re.compile(r"\[|\]|\{|\}|'|\bnan\b|\bNaN\b|\bNone\b")


def run(insights):
    """`run(insights)(*args) -> (exit code, stdout, stderr)`"""
    def invoke(*args):
        result = insights("--quiet", *args)
        return result.exit_code, result.stdout, result.stderr
    return invoke


@pytest.fixture()
def stored(insights, snapshot):
    for _ in range(2):
        result = insights("--quiet", "run", "--catalog", PAYMENTS, "--pagerduty-snapshot", snapshot)
        assert result.exit_code == 0, result.stderr
    return run(insights)


def explained(insights, ref: str) -> dict:
    code, out, err = insights("explain", ref, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_explain_json_has_stable_keys_and_names_no_level_as_null(stored):
    document = explained(stored, "component:default/checkout")
    assert list(document) == ["schema", "run", "entity", "links", "scorecards", "checks", "facts", "findings"]
    assert document["schema"] == "insights.explain/1" and document["run"]["id"] == 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", document["run"]["started_at"])
    assert document["entity"] == {"ref": "component:default/checkout", "kind": "component", "name": "checkout",
                                  "title": None, "owner": "group:default/payments", "team": "payments",
                                  "repository": "payments", "file": "services/checkout/catalog-info.yaml", "line": 1}
    outcomes = [c["outcome"] for c in document["checks"]]
    assert outcomes == sorted(outcomes, key=["fail", "unknown", "waived", "pass", "not-applicable"].index)
    assert set(document["facts"]) <= set(FACTS) and document["facts"]["pagerduty.name_similarity"] == 1.0
    assert {c["id"] for c in document["scorecards"]} == {"catalog-consistency", "pagerduty-readiness"}
    for card in document["scorecards"]:  # what stands between the entity and its next level
        assert set(card) == {"id", "level", "score", "next_level", "blocking"}
        assert (card["next_level"] is None) == (card["blocking"] == [])


def test_explain_reads_every_form_of_an_entity_ref(stored):
    documents = [explained(stored, form) for form in FORMS]
    assert all(d == documents[0] for d in documents)


def test_an_entity_without_a_level_says_none_never_nan(stored):
    refs = [e for e in ("component:default/billing-worker", "component:default/checkout", "component:default/refunds",
                        "group:default/payments")]
    without = [(ref, card) for ref in refs for card in explained(stored, ref)["scorecards"] if card["level"] is None]
    assert without, "the demo's payments catalog has an entity below the first level"
    ref, card = without[0]
    code, out, _ = stored("explain", ref)
    assert code == 0
    assert any(line.startswith(f"scorecard {card['id']}: level none, score {card['score']}; next level ")
               for line in out.splitlines())
    assert not re.search(r"\bnan\b", out, re.IGNORECASE)


def test_explain_shows_name_similarity_as_a_percentage(stored):
    _, out, _ = stored("explain", "checkout")
    assert "  pagerduty.name_similarity = 100%" in out.splitlines()


def test_history_is_a_table_of_names_and_numbers(stored):
    code, out, _ = stored("history", "checkout")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split("  ")[0] == "run" and "failing checks" in header
    assert [row.split()[0] for row in rows] == ["2", "2", "1", "1"]
    assert not any(REPR.search(row) for row in rows), out
    assert any("pagerduty-readiness" in row and "Bronze" in row and "escalation-two-levels, pagerduty-standards, pagerduty-tags" in row
               for row in rows)


def test_history_accepts_the_same_entity_forms_as_explain(stored):
    outputs = {form: stored("history", form) for form in FORMS}
    assert all(result == outputs["checkout"] for result in outputs.values())
    assert outputs["checkout"][0] == 0


def test_team_history_counts_levels_by_name_in_the_scorecards_order(stored):
    code, out, _ = stored("history", "--team", "payments")
    assert code == 0 and not REPR.search(out), out
    readiness = next(row for row in out.splitlines() if "pagerduty-readiness" in row)
    levels = re.search(r"((?:(?:Bronze|Silver|Gold|none) \d+(?:, )?)+)", readiness).group(1)
    names = [part.split()[0] for part in levels.split(", ")]
    assert names == [n for n in ("Bronze", "Silver", "Gold", "none") if n in names]
    code, out, _ = stored("history", "--team", "payments", "--format", "json")
    document = json.loads(out)
    assert (document["schema"], document["entity"], document["team"]) == ("insights.history/1", None, "payments")
    first = document["runs"][0]
    assert list(first) == ["run_id", "started_at", "scorecard_id", "entities", "mean_score", "levels",
                           "failing_checks"]
    assert sum(first["levels"].values()) == first["entities"] == 4


def test_entity_history_json(stored):
    code, out, _ = stored("history", "component:checkout", "--runs", "1", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["entity"] == "component:default/checkout" and document["team"] is None
    assert {r["run_id"] for r in document["runs"]} == {2}
    run = next(r for r in document["runs"] if r["scorecard_id"] == "pagerduty-readiness")
    assert list(run) == ["run_id", "started_at", "scorecard_id", "level", "score", "failing"]
    assert run["failing"] == ["escalation-two-levels", "pagerduty-standards", "pagerduty-tags"] and isinstance(run["score"], float)


def test_history_of_an_entity_no_run_mentions_is_a_usage_error(stored):
    code, out, err = stored("history", "component:nope")
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == "Error: no stored run mentions component:default/nope"
    code, _, err = stored("history", "component:")
    assert code == 2 and "is not an entity ref such as component:default/checkout" in err


def test_facts_json_lists_the_catalogue(insights):
    code, out, _ = run(insights)("facts", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["schema"] == "insights.facts/1"
    assert [f["id"] for f in document["facts"]] == list(FACTS)
    assert all(list(f) == ["id", "type", "source", "description"] for f in document["facts"])


def test_validate_json_when_the_configuration_loads(insights):
    code, out, _ = run(insights)("validate", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["valid"] is True and document["problems"] == []
    assert "escalation-two-levels" in document["checks"] and "pagerduty-readiness" in document["scorecards"]
    assert document["notes"] == ["no catalog sources are configured; `insights run` needs --catalog"]


def test_validate_json_lists_every_problem_with_its_place_and_exits_2(insights, tmp_path):
    (tmp_path / "scorecards.yaml").write_text("catalog:\n  sorces: []\nwaivers: {max_days: 0}\n")
    code, out, err = run(insights)("validate", "--format", "json")
    document = json.loads(out)
    assert code == 2 and err == "" and document["valid"] is False and document["config"] is None
    assert document["problems"] == [
        {"file": "scorecards.yaml", "line": 2, "column": 3, "message": "unknown key `catalog.sorces` (did you mean "
                                                                       "'sources'?)"},
        {"file": "scorecards.yaml", "line": 3, "column": 11,
         "message": "`waivers.max_days` must be an integer from 1 to 36500, not 0"}]


def test_a_local_catalog_that_does_not_exist_is_a_usage_error(insights, tmp_path):
    """Before any work: no run is recorded, nothing is crawled (it was exit 3, "unreachable")."""
    (tmp_path / "repos.txt").write_text("")
    for command in (["run", "--pagerduty-snapshot", str(demo_data() / "pagerduty.json")], ["fix"],
                    ["catalog", "lint"]):
        for value, message in (("./nope", "'./nope' is neither a folder nor a file that exists"),
                               ("list:missing.txt", "repository list 'missing.txt' does not exist")):
            arguments = [*command, "--catalog", value] if command[0] != "catalog" else [*command, value]
            code, out, err = run(insights)(*arguments)
            assert code == 2, (arguments, err)
            assert message in err and out == ""
    assert not (tmp_path / "insights.db").exists()


def test_json_logs_make_every_stderr_line_json_progress_included(insights, snapshot):
    result = insights("--log-level", "info", "--log-format", "json", "run", "--catalog", PAYMENTS,
                      "--pagerduty-snapshot", snapshot)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # each line parses
    progress = [line["message"] for line in lines if line["logger"] == "insights.progress"]
    assert progress[0] == "crawl: started" and re.fullmatch(r"crawl: 4 files in \d+\.\d s", progress[1])
    assert any(line["logger"] == "insights.pipeline" for line in lines)
    assert all(set(line) == {"time", "level", "logger", "message"} for line in lines)
