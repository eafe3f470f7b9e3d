from pathlib import Path

import pytest

from insights.config import load_config
from insights.errors import ConfigError
from insights.pipeline import crawl_settings
from insights.resources import default_config

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "config"


def test_default_config_is_valid():
    config = load_config(default_config())
    assert {s.id for s in config.scorecards} == {"pagerduty-readiness", "catalog-consistency"}
    assert all(c in config.check_ids for s in config.scorecards for c in s.checks)


def test_config_problems_are_all_reported_with_lines():
    with pytest.raises(ConfigError) as error:
        load_config(FIXTURES / "bad-scorecards.yaml")
    path = FIXTURES / "bad-scorecards.yaml"
    assert error.value.problems == [
        f"{path}:2:1: checks path {FIXTURES / 'bad-checks-dir'} does not exist",
        f"{path}:3:1: unknown key `scorecard` (did you mean 'scorecards'?)",
        f"{path}:6:3: gate names unknown check 'nope'",
    ]


def test_scorecard_naming_an_unknown_check(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "a.yaml").write_text(
        "- {id: has-owner, name: Owner, rule: {fact: catalog.has_owner, operator: equal, value: true}}\n")
    (tmp_path / "scorecards.yaml").write_text(
        "scorecards:\n  - id: s\n    name: S\n    levels:\n      - name: Bronze\n        checks: [has-ownr]\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "scorecards.yaml")
    assert error.value.problems == [
        f"{tmp_path / 'scorecards.yaml'}:6:9: scorecard s names unknown check 'has-ownr' (did you mean 'has-owner'?)"]


def test_every_setting_is_read_with_its_type_and_defaults_fill_the_rest(tmp_path):
    (tmp_path / "services").mkdir()
    path = tmp_path / "scorecards.yaml"
    path.write_text(
        "version: 1\n"
        "catalog:\n"
        "  sources: [{folder: services, globs: ['*.yaml']}, {git: 'https://git.example.com/a.git', ref: main}]\n"
        "  max_file_bytes: 5000\n  allowed_hosts: [GitHub.example.com, 10.0.0.1]\n"
        "  severity: {placeholder-annotation: error}\n  url_tokens: {github.example.com: GH_TOKEN}\n"
        "  fetch_timeout_s: 1e1\n  git_concurrency: 2\n  git_timeout_s: 60\n  source_deadline_s: 600.5\n"
        "  git_max_bytes: 5000000\n"
        "pagerduty: {region: eu, requests_per_minute: 100, concurrency: 2, request_timeout_s: 5, max_wait_s: 9,\n"
        "            deadline_s: 99, tags: false, schedule_coverage: true, standards: true, subdomain: acme}\n"
        "store: {url: 'postgresql+psycopg://u@db/x', keep_runs: 30, keep_days: 90}\n"
        "gates: {fail_under: 55.5, fail_on: [has-owner], allow_unknown: true, fail_on_new_failures: true,\n"
        "        fail_on_new_entity_failures: true, max_shrink_percent: null}\n"
        "waivers: {max_days: 30}\n")
    config = load_config(path)
    catalog = config.catalog
    assert [(s.kind, s.location, s.globs, s.ref) for s in config.sources] == [
        ("folder", str(tmp_path / "services"), ("*.yaml",), None),
        ("git", "https://git.example.com/a.git", ("**/catalog-info.yaml", "**/catalog-info.yml"), "main")]
    assert (catalog.max_file_bytes, catalog.allowed_hosts) == (5000, ("github.example.com", "10.0.0.1"))
    assert catalog.severity == {"placeholder-annotation": "error"} and catalog.url_tokens == {"github.example.com": "GH_TOKEN"}
    assert (catalog.fetch_timeout_s, catalog.git_concurrency, catalog.git_timeout_s, catalog.source_deadline_s) == \
        (10.0, 2, 60.0, 600.5)
    assert catalog.git_max_bytes == crawl_settings(config).git_max_bytes == 5_000_000
    pd = config.pagerduty
    assert pd.url == "https://api.eu.pagerduty.com" and pd.region == "eu" and pd.subdomain == "acme"
    assert (pd.requests_per_minute, pd.concurrency, pd.request_timeout_s, pd.max_wait_s, pd.deadline_s) == (100, 2, 5, 9, 99)
    assert (pd.tags, pd.schedule_coverage, pd.standards) == (False, True, True)
    assert (config.store_url, config.keep_runs, config.keep_days) == ("postgresql+psycopg://u@db/x", 30, 90)
    gates = config.gates
    assert (gates.fail_under, gates.fail_on, gates.allow_unknown, gates.fail_on_new_failures,
            gates.fail_on_new_entity_failures, gates.max_shrink_percent) == (55.5, ("has-owner",), True, True, True, None)
    assert config.waiver_max_days == 30 and config.version == 1


def test_an_empty_configuration_takes_every_default(tmp_path):
    (tmp_path / "scorecards.yaml").write_text("")
    config = load_config(tmp_path / "scorecards.yaml")
    assert config.pagerduty.url == "https://api.pagerduty.com" and config.pagerduty.requests_per_minute == 900
    assert config.pagerduty.concurrency == 4 and config.pagerduty.deadline_s == 1800
    assert config.max_file_bytes == 1_000_000 and config.catalog.git_concurrency == 16
    assert config.catalog.fetch_timeout_s == 30 and config.catalog.source_deadline_s == 900
    assert config.gates.max_shrink_percent == 20 and not config.gates.allow_unknown
    assert config.waiver_max_days == 180 and config.sources == () and config.scorecards == ()
    assert len(config.checks) >= 15  # builtin


def test_a_configured_pagerduty_url_wins_over_the_region(tmp_path):
    (tmp_path / "scorecards.yaml").write_text("pagerduty: {region: eu, url: 'http://127.0.0.1:8080/'}\n")
    assert load_config(tmp_path / "scorecards.yaml").pagerduty.url == "http://127.0.0.1:8080"


def test_what_the_yaml_library_cannot_build_is_a_config_error(tmp_path):
    path = tmp_path / "scorecards.yaml"
    for text in ("version: " + "9" * 5000 + "\n", "checks:\n" + "".join("  " * i + "- \n" for i in range(1, 400))):
        path.write_text(text)
        with pytest.raises(ConfigError) as error:
            load_config(path)
        assert len(error.value.problems) == 1 and error.value.problems[0].startswith(f"{path}:")


def test_pagerduty_depth_and_accounts_are_read_with_defaults(tmp_path):
    path = tmp_path / "scorecards.yaml"
    path.write_text("pagerduty:\n  analytics: {enabled: true, window_days: 7, time_zone: Europe/Berlin}\n"
                    "  change_events: {enabled: true}\n  standards_required: [minimum_escalation_policy_rule_depth]\n"
                    "  accounts: [{id: eu, region: eu, token_env: PD_EU, requests_per_minute: 300},"
                    " {id: us, token_env: PD_US}]\n  default_account: us\n")
    settings = load_config(path).pagerduty
    assert settings.analytics == {"enabled": True, "window_days": 7, "api": True, "time_zone": "Europe/Berlin"}
    assert settings.change_events == {"enabled": True, "window_days": 30}
    assert settings.standards_required == ("minimum_escalation_policy_rule_depth",)
    assert [(a["id"], a["region"], a["token_env"], a["requests_per_minute"]) for a in settings.accounts] == \
        [("eu", "eu", "PD_EU", 300), ("us", "us", "PD_US", 900)]
    assert settings.default_account == "us"


def test_the_readme_settings_table_and_the_configuration_name_the_same_settings():
    import re

    from insights import configsections as sections

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    documented = set(re.findall(r"^\| `((?:catalog|pagerduty|store|gates|waivers)\.[a-z_.]+)` \|", readme, re.M))
    tables = {"catalog": sections.CATALOG, "pagerduty": sections.PAGERDUTY, "store": sections.STORE,
              "gates": sections.GATES, "waivers": sections.WAIVERS, "pagerduty.analytics": sections.ANALYTICS,
              "pagerduty.change_events": sections.CHANGE_EVENTS}
    known = {f"{section}.{key}" for section, table in tables.items() for key in table}
    known |= {"catalog.sources", "pagerduty.accounts"}  # lists read by their own code
    assert documented == known


def test_retries_breaker_and_body_limit_reach_the_client_of_each_account(tmp_path):
    from insights.pipeline import account_settings, client_settings

    path = tmp_path / "scorecards.yaml"
    path.write_text("pagerduty:\n  max_retries: 2\n  breaker_failures: 3\n  max_body_bytes: 2000000\n"
                    "  accounts: [{id: eu, token_env: PD_EU, max_retries: 0}]\n")
    config = load_config(path)
    client = client_settings(config)
    assert (client.max_retries, client.breaker_failures, client.max_body_bytes) == (2, 3, 2_000_000)
    account = account_settings(config)[0].client
    assert (account.max_retries, account.breaker_failures, account.max_body_bytes) == (0, 10, 64_000_000)
