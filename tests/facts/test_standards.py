"""Per-standard facts from Service Standards, and the checks a team builds from the standards it requires."""

import dataclasses
import json

import pytest

from insights.facts import causes as why
from insights.facts.registry import compute_fact_table
from insights.facts.standards import standard_checks, unknown_standards
from insights.pagerduty.state import PagerDutyState
from insights.rules.evaluate import evaluate

PAYMENTS, CHECKOUT, SEARCH = "component:default/payments-api", "component:default/checkout", "component:default/search-api"
DESCRIPTION = {"id": "01CXX38Q0U8XKHO4LNKXUJTBFG", "name": "Service has a description",
               "type": "has_technical_service_description"}
DEPTH = {"id": "01CXX38Q0Y8D9IYFAEDCH5F53L", "name": "Service has an escalation policy with 2 or more unique levels",
         "type": "minimum_escalation_policy_rule_depth"}


@pytest.fixture()
def state(demo_state):
    return dataclasses.replace(demo_state, standards={
        "PPAYAPI": {"passing": 2, "total": 2, "standards": [{**DESCRIPTION, "pass": True, "active": True},
                                                             {**DEPTH, "pass": True, "active": True}]},
        "PCHKOUT": {"passing": 1, "total": 2, "standards": [{**DESCRIPTION, "pass": True, "active": True},
                                                             {**DEPTH, "pass": False, "active": True}]},
        # A standard PagerDuty does not apply to the search service: not held to it.
        "PSEARCH": {"passing": 1, "total": 1, "standards": [{**DESCRIPTION, "pass": True, "active": True},
                                                             {**DEPTH, "pass": False, "active": False}]},
        "PINDEXR": {"passing": 1, "total": 1}})


def test_passing_and_failing_standards_per_service(demo_catalog, demo_now, state):
    table = compute_fact_table(demo_catalog.entities, state, demo_now)
    assert table.values.loc[CHECKOUT, "pagerduty.standards_failing"] == [DEPTH["name"]]
    assert table.values.loc[CHECKOUT, "pagerduty.standards_passing"] == [DESCRIPTION["name"]]
    assert table.values.loc[SEARCH, "pagerduty.standards_failing"] == []  # inactive ones count for nothing
    # A score without results (an older snapshot) says nothing about any one standard.
    assert table.values.loc["component:default/indexer", "pagerduty.standards_failing"] is None
    assert table.causes.loc["component:default/indexer", "standard_results"] == why.NO_STANDARD_RESULTS


@pytest.mark.parametrize("named", [DEPTH["type"], DEPTH["name"].upper(), DEPTH["id"]])
def test_a_required_standard_named_by_type_name_or_id_is_a_check(demo_catalog, demo_now, state, named):
    (check,) = standard_checks([named], state, "scorecards.yaml", 12)
    assert check.id == "pagerduty-standard-minimum-escalation-policy-rule-depth" and check.where == "scorecards.yaml:12"
    table = compute_fact_table(demo_catalog.entities, state, demo_now)
    results = evaluate([check], table.values, causes=table.causes).set_index("entity_ref")
    assert results.loc[PAYMENTS, "outcome"] == "pass"
    assert results.loc[CHECKOUT, "outcome"] == "fail"
    assert DEPTH["name"] in results.loc[CHECKOUT, "fix"]
    assert results.loc[SEARCH, "outcome"] == "pass"
    assert results.loc["component:default/indexer", "outcome"] == "unknown"


def test_a_standard_the_account_lacks_is_a_check_whose_outcome_is_unknown(demo_catalog, demo_now, state):
    depth, runbook = standard_checks([DEPTH["type"], "Service has a runbook"], state, "scorecards.yaml", 7)
    assert runbook.id == "pagerduty-standard-service-has-a-runbook" and runbook.where == "scorecards.yaml:7"
    cause = ("scorecards.yaml:7: no PagerDuty Service Standard is called 'Service has a runbook'; "
             f"the account's are: {DESCRIPTION['name']}, {DEPTH['name']}")
    assert runbook.unknown == cause and unknown_standards([depth, runbook]) == [cause]
    table = compute_fact_table(demo_catalog.entities, state, demo_now)
    results = evaluate([depth, runbook], table.values, causes=table.causes).set_index(["check_id", "entity_ref"])
    lacking = results.loc[runbook.id]
    assert set(lacking.loc[[PAYMENTS, CHECKOUT, SEARCH], "outcome"]) == {"unknown"}
    assert lacking.loc[CHECKOUT, "reason"] == cause and lacking.loc[CHECKOUT, "fix"] == ""
    assert lacking.loc["group:default/payments", "outcome"] == "not-applicable"
    assert results.loc[(depth.id, CHECKOUT), "outcome"] == "fail"  # the known one is still judged


def test_a_run_requiring_a_standard_the_account_lacks_goes_on_and_warns(insights, tmp_path, demo_state):
    from datetime import datetime, timezone

    from insights.pagerduty.simulator import Simulator, SimulatorSettings
    from insights.pagerduty.state import shift_times

    scores = {"PPAYAPI": {"passing": 1, "total": 1, "standards": [{**DEPTH, "pass": True, "active": True}]}}
    served = dataclasses.replace(shift_times(demo_state, datetime.now(timezone.utc)), standards=scores)
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\n  annotations:\n"
        "    pagerduty.com/service-id: PPAYAPI\nspec: {type: service, lifecycle: production, owner: payments}\n")
    with Simulator(served, SimulatorSettings(token="test-token")) as simulator:
        (tmp_path / "scorecards.yaml").write_text(
            f"pagerduty:\n  url: '{simulator.url}'\n  tags: false\n"
            f"  standards_required:\n    - {DEPTH['type']}\n    - Service has a runbook\n")
        result = insights("run", "--config", "scorecards.yaml", "--catalog", "cat", "--db", "sqlite:///r.db",
                           "--out", "out", env={"PAGERDUTY_TOKEN": "test-token"})
    assert result.exit_code == 0, result.output
    cause = (f"scorecards.yaml:4: no PagerDuty Service Standard is called 'Service has a runbook'; the account's "
             f"are: {DEPTH['name']}")
    # The warning in the log, at the line of `standards_required`.
    assert cause.replace(":4: ", ":4: warning: ") + " [standard-unknown]" in result.output
    lines = [json.loads(line) for line in (tmp_path / "out" / "entities.jsonl").read_text().splitlines()]
    (payments,) = [r for r in lines if r.get("ref") == PAYMENTS]
    assert payments["checks"]["pagerduty-standard-service-has-a-runbook"] == "unknown"
    assert payments["checks"]["pagerduty-standard-minimum-escalation-policy-rule-depth"] == "pass"
    assert next(d["reason"] for d in payments["details"]
                if d["check_id"] == "pagerduty-standard-service-has-a-runbook") == cause
    findings = json.loads((tmp_path / "out" / "report.json").read_text())["findings"]
    assert [(f["severity"], f["line"], f["message"]) for f in findings if f["code"] == "standard-unknown"] == [
        ("warning", 4, cause.split(": ", 1)[1])]


def test_without_collected_standards_the_check_is_unknown(demo_catalog, demo_now, demo_state):
    (check,) = standard_checks(["minimum_escalation_policy_rule_depth"], PagerDutyState())
    table = compute_fact_table(demo_catalog.entities, dataclasses.replace(demo_state, standards={}), demo_now)
    result = evaluate([check], table.values, causes=table.causes).set_index("entity_ref").loc[PAYMENTS]
    assert result["outcome"] == "unknown" and result["reason"] == why.NOT_COLLECTED["standards"]


def test_the_built_in_check_names_the_failing_standards(demo_catalog, demo_now, evaluated, state):
    _, results = evaluated(demo_catalog.entities, state, demo_now)
    assert results.loc[("pagerduty-standards", PAYMENTS), "outcome"] == "pass"
    failing = results.loc[("pagerduty-standards", CHECKOUT)]
    assert failing["outcome"] == "fail" and f"it fails\n[{DEPTH['name']}]" in failing["fix"]


def test_required_standards_are_found_in_any_account(state, demo_state):
    from insights.pagerduty.state import AccountsState

    accounts = AccountsState({"us": dataclasses.replace(demo_state, standards={}), "eu": state}, "us")
    (check,) = standard_checks(["minimum_escalation_policy_rule_depth"], accounts)
    assert check.rule.condition.value == DEPTH["name"]
