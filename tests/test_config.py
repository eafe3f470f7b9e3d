from pathlib import Path

import pytest

from insights.config import load_config
from insights.errors import ConfigError
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
