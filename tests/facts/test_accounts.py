"""Several PagerDuty accounts over real HTTP: one simulator per account, each collected in parallel with its own
credential; entities judged in the account `pagerduty.com/account` names; a snapshot holding both."""

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from insights.errors import ConfigError, PagerDutyError
from insights.facts import causes as why
from insights.facts.accounts import unknown_account
from insights.facts.organisation import organisation_results
from insights.facts.registry import compute_fact_table
from insights.pagerduty.accounts import AccountSettings, collect_accounts, wanted_by_account
from insights.pagerduty.client import ClientSettings
from insights.pagerduty.collect import CollectOptions
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import AccountsState, load_snapshot, load_state, save_snapshot, shift_times

ENVIRON = {"PD_US_TOKEN": "us-key", "PD_EU_TOKEN": "eu-key"}
OPTIONS = CollectOptions(tags=False)


@pytest.fixture()
def catalog(descriptor, entities):
    return entities(
        descriptor("Component", "payments-api", {"pagerduty.com/service-id": "PPAYAPI"}, type="service",
                   lifecycle="production", owner="payments"),
        descriptor("Component", "payments-eu", {"pagerduty.com/service-id": "PPAYAPI", "pagerduty.com/account": "eu"},
                   type="service", lifecycle="production", owner="payments"),
        descriptor("Component", "search-eu", {"pagerduty.com/service-id": "PSEARCH, PINDEXR",
                                              "pagerduty.com/account": "eu"}, type="service", lifecycle="production",
                   owner="search"),
        descriptor("Component", "stray", {"pagerduty.com/service-id": "PPAYAPI", "pagerduty.com/account": "apac"},
                   type="service", lifecycle="production", owner="payments"))


@pytest.fixture()
def two_accounts(demo_state):
    now = datetime.now(timezone.utc)
    us = shift_times(demo_state, now)
    eu = dataclasses.replace(us, services=[{**s, "name": f"{s['name']} EU"} for s in us.services
                                           if s["id"] in ("PPAYAPI", "PSEARCH", "PINDEXR")])
    with Simulator(us, SimulatorSettings(token="us-key")) as us_sim, \
            Simulator(eu, SimulatorSettings(token="eu-key")) as eu_sim:
        yield us_sim, eu_sim


def settings(us_sim, eu_sim, eu_token="PD_EU_TOKEN"):
    fast = ClientSettings(requests_per_minute=100_000, backoff_s=0.01, max_retries=1)
    return [AccountSettings("us", url=us_sim.url, token_env="PD_US_TOKEN", client=fast),
            AccountSettings("eu", url=eu_sim.url, token_env=eu_token, client=dataclasses.replace(fast, concurrency=2))]


def test_each_account_is_collected_with_its_own_credential_and_judges_its_entities(two_accounts, catalog,
                                                                                    demo_now):
    us_sim, eu_sim = two_accounts
    state = collect_accounts(settings(us_sim, eu_sim), catalog, OPTIONS, "us", environ=ENVIRON)
    assert list(state.accounts) == ["us", "eu"] and state.default == "us"
    assert len(state.accounts["eu"].services) == 3 and len(state.accounts["us"].services) == 14
    # Each simulator saw only its own account's requests, all of them counted.
    assert sum(state.accounts["us"].requests.values()) == len(us_sim.requests)
    assert sum(state.accounts["eu"].requests.values()) == len(eu_sim.requests)
    assert [r["account"] for r in state.runs()] == ["us", "eu"]
    assert state.runs()[1]["api_url"] == eu_sim.url and state.requests["eu GET /services"] == 1
    table = compute_fact_table(catalog, state, datetime.now(timezone.utc))
    facts = table.values
    assert facts.loc["component:default/payments-api", "pagerduty.service_name"] == "payments-api"
    assert facts.loc["component:default/payments-eu", "pagerduty.service_name"] == "payments-api EU"
    assert facts.loc["component:default/payments-eu", "pagerduty.account"] == "eu"
    assert facts.loc["component:default/search-eu", "pagerduty.service_ids"] == ["PSEARCH", "PINDEXR"]
    # Sharing is per account: the same id in two accounts is two services.
    assert facts.loc["component:default/payments-api", "pagerduty.service_shared"] is False
    # An account that is not configured: the entity's PagerDuty facts are unknown, and say why.
    stray = "component:default/stray"
    assert facts.loc[stray, "pagerduty.service_found"] is None and facts.loc[stray, "pagerduty.account"] == "apac"
    assert table.causes.loc[stray, "service"] == unknown_account("apac", ["us", "eu"])
    assert facts.loc[stray, "pagerduty.annotation_valid"] is True  # the descriptor's own facts stay known
    # Orphans are per account: PPAYAPI is used in both, the rest of the US account is orphaned there only.
    organisation = organisation_results(facts, state)
    orphans = {(o["detail"]["account"], o["service_id"]) for o in organisation if o["kind"] == "orphan-service"}
    assert ("eu", "PPAYAPI") not in orphans and ("us", "PPAYAPI") not in orphans and ("us", "PBILLWK") in orphans
    assert not any(account == "eu" for account, _ in orphans)


def test_a_failing_second_account_is_a_clear_error_naming_it(two_accounts, catalog):
    us_sim, eu_sim = two_accounts
    with pytest.raises(PagerDutyError) as error:
        collect_accounts(settings(us_sim, eu_sim), catalog, OPTIONS, "us",
                         environ={**ENVIRON, "PD_EU_TOKEN": "wrong"})
    assert str(error.value).startswith(f"PagerDuty account 'eu' ({eu_sim.url}): PagerDuty GET /")
    assert "the credential in PD_EU_TOKEN is refused" in str(error.value) and "wrong" not in str(error.value)
    assert error.value.exit_code == 3


@pytest.mark.parametrize("change, message", [
    ({"eu_token": "PD_NOWHERE"}, "PagerDuty account 'eu': no credential: set PD_NOWHERE"),
    ({"default": "apac"}, "the default PagerDuty account 'apac' is not one of the accounts (us, eu)"),
])
def test_configuration_problems_name_the_account(two_accounts, catalog, change, message):
    us_sim, eu_sim = two_accounts
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        collect_accounts(settings(us_sim, eu_sim, change.get("eu_token", "PD_EU_TOKEN")), catalog, OPTIONS,
                         change.get("default", "us"), environ=ENVIRON)


def test_the_catalog_selects_each_accounts_services(catalog):
    wanted = wanted_by_account(catalog, "us", OPTIONS)
    assert wanted["us"].service_ids == {"PPAYAPI"}
    assert wanted["eu"].service_ids == {"PPAYAPI", "PSEARCH", "PINDEXR"} and wanted["apac"].service_ids == {"PPAYAPI"}
    assert wanted["eu"].tags is False  # the collections asked for carry over


def test_a_snapshot_holds_several_accounts_and_the_old_format_still_reads(tmp_path, demo_state):
    state = AccountsState({"us": demo_state, "eu": dataclasses.replace(demo_state, api_url="https://api.eu.pagerduty.com")},
                          "us")
    save_snapshot(state, tmp_path / "both.json")
    assert json.loads((tmp_path / "both.json").read_text())["format"] == "insights.pagerduty-snapshot/2"
    assert load_state(tmp_path / "both.json") == state
    assert load_snapshot(tmp_path / "both.json") == demo_state  # one account: the default one
    assert load_snapshot(tmp_path / "both.json", account="eu").api_url == "https://api.eu.pagerduty.com"
    save_snapshot(demo_state, tmp_path / "one.json")
    assert load_state(tmp_path / "one.json") == demo_state


@pytest.mark.parametrize("content, message", [
    ({"format": "insights.pagerduty-snapshot/2", "default": "us", "accounts": {}}, "format 2 needs `accounts`"),
    ({"format": "insights.pagerduty-snapshot/2", "default": "us", "accounts": {"us": {"services": "x"}}},
     "accounts.us.services is the string 'x', expected a list"),
    ({"format": "insights.pagerduty-snapshot/2", "default": "../x", "accounts": {"../x": {}}},
     "account '../x' is not an account id such as eu or acme-prod"),
])
def test_a_broken_several_accounts_snapshot_is_a_clear_error(tmp_path, content, message):
    (tmp_path / "bad.json").write_text(json.dumps(content))
    with pytest.raises(ConfigError, match=message):
        load_state(tmp_path / "bad.json")


def test_each_account_has_its_own_client_settings():
    account = AccountSettings("eu", region="eu", token_env="X", client=ClientSettings(requests_per_minute=120))
    client = account.client_for(account.credential({"X": "key"}))
    assert client.base_url == "https://api.eu.pagerduty.com" and client.budget.capacity == 120
    assert client.credential.names == "X"


def test_without_a_catalog_annotation_on_any_entity_every_entity_uses_the_default(descriptor, entities, demo_state,
                                                                                  demo_now):
    one = entities(descriptor("Component", "payments-api", {"pagerduty.com/service-id": "PPAYAPI"}, type="service",
                              lifecycle="production", owner="payments"))
    table = compute_fact_table(one, AccountsState({"main": demo_state}, "main"), demo_now)
    assert table.values.loc["component:default/payments-api", "pagerduty.account"] == "main"
    assert table.causes.loc["component:default/payments-api", "service"] is None
    assert why.NOT_VISIBLE not in table.causes.to_numpy()


def test_no_entities_at_all(demo_state, demo_now):
    table = compute_fact_table([], AccountsState({"us": demo_state}, "us"), demo_now)
    assert len(table.values) == 0 and "pagerduty.account" in table.values


def test_run_reads_accounts_from_the_configuration_and_stores_each_entitys_account(two_accounts, insights, tmp_path):
    us_sim, eu_sim = two_accounts
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-eu\n  annotations:\n"
        "    pagerduty.com/service-id: PPAYAPI\n    pagerduty.com/account: eu\n"
        "spec: {type: service, lifecycle: production, owner: payments}\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\n  annotations:\n"
        "    pagerduty.com/service-id: PPAYAPI\nspec: {type: service, lifecycle: production, owner: payments}\n")
    (tmp_path / "scorecards.yaml").write_text(
        f"pagerduty:\n  tags: false\n  default_account: us\n  accounts:\n"
        f"    - {{id: us, url: '{us_sim.url}', token_env: PD_US_TOKEN, requests_per_minute: 100000}}\n"
        f"    - {{id: eu, url: '{eu_sim.url}', token_env: PD_EU_TOKEN, requests_per_minute: 100000}}\n")
    result = insights("run", "--config", "scorecards.yaml", "--catalog", "cat", "--db", "sqlite:///r.db", "--out",
                      "out", env=ENVIRON)
    assert result.exit_code == 0, result.output
    assert eu_sim.requests and us_sim.requests  # no PAGERDUTY_TOKEN: each account its own credential
    rows = {r["ref"]: r for r in map(json.loads, (tmp_path / "out" / "entities.jsonl").read_text().splitlines())
            if r["record"] == "entity"}
    assert rows["component:default/payments-eu"]["facts"]["pagerduty.service_name"] == "payments-api EU"
    assert rows["component:default/payments-api"]["facts"]["pagerduty.service_name"] == "payments-api"
    assert "us-key" not in (tmp_path / "out" / "entities.jsonl").read_text()


def test_many_accounts_fit_the_run_row(demo_state, demo_now, catalog):
    from insights.config import load_config
    from insights.evaluation import evaluate_run
    from insights.resources import default_config

    accounts = {f"account-{n:02d}": dataclasses.replace(demo_state, api_url=f"https://pagerduty-{n:02d}.example.com/api")
                for n in range(12)}
    bundle = evaluate_run(load_config(default_config()), catalog_of(catalog), AccountsState(accounts, "account-00"),
                          demo_now)
    assert len(bundle.pagerduty_url) == 255 and bundle.pagerduty_url.startswith(
        "account-00: https://pagerduty-00.example.com/api, account-01: ") and bundle.pagerduty_url.endswith("…")


def catalog_of(entities):
    from insights.catalog.model import Catalog

    return Catalog(entities=tuple(entities), findings=())


EU_ENTITY = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: eu-svc\n  annotations:\n"
             "    pagerduty.com/service-id: PEU1234\n    pagerduty.com/account: eu\n"
             "spec: {type: service, lifecycle: production, owner: payments}\n---\n"
             "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\n  annotations:\n"
             "    pagerduty.com/service-id: PPAYAPI\nspec: {type: service, lifecycle: production, owner: payments}\n")


def run_one_account(insights, tmp_path, simulator, settings=""):
    (tmp_path / "cat").mkdir(exist_ok=True)
    (tmp_path / "cat" / "catalog-info.yaml").write_text(EU_ENTITY)
    (tmp_path / "scorecards.yaml").write_text(f"pagerduty:\n  tags: false\n  url: '{simulator.url}'\n{settings}")
    result = insights("run", "--config", "scorecards.yaml", "--catalog", "cat", "--db", "sqlite:///r.db", "--out",
                      "out", env={"PAGERDUTY_TOKEN": "test-token"})
    assert result.exit_code in (0, 1), result.output
    return {r["ref"]: r for r in map(json.loads, (tmp_path / "out" / "entities.jsonl").read_text().splitlines())
            if r["record"] == "entity"}


def test_one_account_read_does_not_judge_an_entity_naming_another_account(insights, tmp_path, simulator):
    rows = run_one_account(insights, tmp_path, simulator)
    eu, payments = rows["component:default/eu-svc"], rows["component:default/payments-api"]
    assert payments["facts"]["pagerduty.service_name"] == "payments-api"
    assert payments["facts"]["pagerduty.account"] == "default"
    # Not looked up in the one account read, not failed there: unknown, saying why.
    assert eu["facts"]["pagerduty.account"] == "eu" and eu["facts"]["pagerduty.service_found"] is None
    assert not any("PEU1234" in request for request in simulator.requests)
    assert eu["checks"]["pagerduty-service-exists"] == "unknown" and payments["checks"]["pagerduty-service-exists"] == "pass"
    exists = next(r for r in eu["details"] if r["check_id"] == "pagerduty-service-exists")
    assert unknown_account("eu", ["default"], several=False) in exists["reason"]
    assert "pagerduty.default_account: eu" in exists["reason"]


def test_default_account_names_the_one_account_read(insights, tmp_path, simulator):
    rows = run_one_account(insights, tmp_path, simulator, "  default_account: eu\n")
    eu, payments = rows["component:default/eu-svc"], rows["component:default/payments-api"]
    # The key reads `eu`: the entity naming it is judged there, and PEU1234 is not one of its services.
    assert eu["facts"]["pagerduty.service_found"] is False and eu["facts"]["pagerduty.account"] == "eu"
    assert payments["facts"]["pagerduty.account"] == "eu" and payments["facts"]["pagerduty.service_found"] is True


def test_lint_warns_of_an_account_that_is_not_configured(insights, tmp_path):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "catalog-info.yaml").write_text(EU_ENTITY.replace("account: eu", "account: eux"))
    (tmp_path / "two.yaml").write_text("pagerduty:\n  accounts: [{id: us, token_env: PD_US}, {id: eu, token_env: PD_EU}]\n")
    result = insights("catalog", "lint", "cat", "--config", "two.yaml", "--format", "json")
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "account-unknown"]
    assert [(f["entity_ref"], f["line"], f["severity"]) for f in found] == [("component:default/eu-svc", 7, "warning")]
    assert "names 'eux', which is not one of `pagerduty.accounts` (us, eu) (did you mean 'eu'?)" in found[0]["message"]
    assert result.exit_code == 0  # a warning
    # Without `pagerduty.accounts` nothing is said: one account is read, and the facts' cause explains.
    (tmp_path / "one.yaml").write_text("pagerduty:\n  tags: false\n")
    result = insights("catalog", "lint", "cat", "--config", "one.yaml", "--format", "json")
    assert not [f for f in json.loads(result.stdout)["findings"] if f["code"] == "account-unknown"]


def test_a_snapshot_lacking_a_configured_account_is_said_and_its_entities_stay_unknown(insights, tmp_path,
                                                                                      demo_state):
    save_snapshot(AccountsState({"us": demo_state}, "us"), tmp_path / "snap.json")
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-eu\n  annotations:\n"
        "    pagerduty.com/service-id: PPAYAPI\n    pagerduty.com/account: eu\n"
        "spec: {type: service, lifecycle: production, owner: payments}\n")
    (tmp_path / "scorecards.yaml").write_text(
        "pagerduty:\n  default_account: us\n  accounts:\n    - {id: us, token_env: PD_US_TOKEN}\n"
        "    - {id: eu, region: eu, token_env: PD_EU_TOKEN}\n")
    result = insights("run", "--config", "scorecards.yaml", "--catalog", "cat", "--db", "sqlite:///r.db", "--out",
                      "out", "--pagerduty-snapshot", "snap.json", env=ENVIRON)
    assert result.exit_code == 0, result.output
    assert "the PagerDuty snapshot holds no account 'eu' of `pagerduty.accounts` (it holds us)" in result.stderr
    rows = [json.loads(line) for line in (tmp_path / "out" / "entities.jsonl").read_text().splitlines()]
    entity = next(r for r in rows if r["record"] == "entity")
    assert entity["facts"]["pagerduty.service_name"] is None
