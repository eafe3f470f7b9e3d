"""`insights validate` and `insights run` load the configuration the same way: a configuration one refuses,
the other refuses with the same words and exit code, before a run is begun; one mistake is one message."""

import shutil
import textwrap

import pytest

from insights.cli import main
from insights.resources import builtin_checks, default_config, demo_data

SNAPSHOT = demo_data() / "pagerduty.json"
CATALOG = demo_data() / "catalog"

BAD = {
    "fail-under-text": "gates:\n  fail_under: abc\n",
    "keep-runs-text": "store:\n  keep_runs: abc\n",
    "keep-days-huge": "store:\n  keep_days: 1000000000000000000000000000000\n",
    "max-file-bytes-negative": "catalog:\n  max_file_bytes: -1\n",
    "allowed-hosts-string": "catalog:\n  allowed_hosts: github.com\n",
    "sources-string": "catalog:\n  sources: abc\n",
    "requests-per-minute-zero": "pagerduty:\n  requests_per_minute: 0\n",
    "version-99": "version: 99\n",
    "waiver-days-null": "waivers:\n  max_days: null\n",
    "weight-overflow": "scorecards:\n  - {id: s, levels: [{name: B, checks: [has-owner]}], weights: {has-owner: 1e400}}\n",
    "applies-to-unknown-key": "scorecards:\n  - {id: s, levels: [{name: B, checks: [has-owner]}], applies_to: {knd: x}}\n",
    "gates-not-a-mapping": "gates: [fail_under]\n",
    "bad-regex": None,  # a check file: see below
}


def invoke(capsys, *args) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    return exit_.value.code, capsys.readouterr().err


def write_config(folder, name, text):
    if text is None:
        (folder / "checks").mkdir()
        (folder / "checks" / "c.yaml").write_text(
            "- {id: a, name: A, rule: {fact: pagerduty.service_name, operator: matches, value: '(a)\\1'}}\n")
        text = "checks: [checks]\n"
    path = folder / "scorecards.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", list(BAD))
def test_validate_and_run_refuse_the_same_configuration_with_the_same_errors(tmp_path, capsys, name):
    config = write_config(tmp_path, name, BAD[name])
    validated = invoke(capsys, "validate", "--config", str(config))
    ran = invoke(capsys, "-q", "run", "--config", str(config), "--catalog", str(CATALOG / "payments"),
                 "--pagerduty-snapshot", str(SNAPSHOT), "--db", f"sqlite:///{tmp_path / 'i.db'}",
                 "--out", str(tmp_path / "reports"))
    assert validated[0] == ran[0] == 2
    assert validated[1] == ran[1]
    assert validated[1].startswith(f"error: {config.parent}/")
    assert not (tmp_path / "i.db").exists() and not (tmp_path / "reports").exists()


def test_validate_accepts_what_run_runs(tmp_path, capsys):
    code, _ = invoke(capsys, "validate", "--config", str(default_config()))
    assert code == 0
    code, _ = invoke(capsys, "-q", "run", "--config", str(default_config()), "--catalog", str(CATALOG / "payments"),
                     "--pagerduty-snapshot", str(SNAPSHOT), "--db", f"sqlite:///{tmp_path / 'i.db'}",
                     "--out", str(tmp_path / "reports"))
    assert code == 0


def test_validate_says_when_run_needs_catalog_sources(tmp_path, capsys):
    config = tmp_path / "scorecards.yaml"
    config.write_text("version: 1\n")
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "--config", str(config)])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert out.splitlines()[-1] == "note: no catalog sources are configured; `insights run` needs --catalog"


def test_one_bad_fact_gives_one_problem_not_one_per_reference(tmp_path):
    """Scorecards and gates naming a check that has a mistake are not reported again."""
    from insights.config import load_config
    from insights.errors import ConfigError

    checks = shutil.copytree(builtin_checks(), tmp_path / "checks")
    text = (checks / "escalation.yaml").read_text()
    assert "fact: pagerduty.escalation_unique_levels" in text
    (checks / "escalation.yaml").write_text(text.replace("fact: pagerduty.escalation_unique_levels",
                                                         "fact: pagerduty.escalation_unique_level", 1))
    config = default_config().read_text().replace("checks: [builtin]", "checks: [checks]")
    config = config.replace("fail_on: []", "fail_on: [escalation-two-levels]")
    (tmp_path / "scorecards.yaml").write_text(config)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "scorecards.yaml")
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(f"{checks / 'escalation.yaml'}:")
    assert "unknown fact 'pagerduty.escalation_unique_level' (did you mean 'pagerduty.escalation_unique_levels'" \
        in error.value.problems[0]


def test_a_check_with_several_mistakes_reports_each_once_and_nothing_about_its_references(tmp_path):
    from insights.config import load_config
    from insights.errors import ConfigError

    (tmp_path / "c.yaml").write_text(textwrap.dedent("""\
        - id: a
          name: A
          weight: heavy
          rule: {fact: catalog.has_ownr, operator: equal, value: true}
        - id: b
          name: B
          rule: {fact: catalog.has_owner, operator: equal, value: true}
        """))
    (tmp_path / "scorecards.yaml").write_text(
        "checks: [c.yaml]\ngates: {fail_on: [a, b]}\nscorecards:\n  - {id: s, levels: [{name: L, checks: [a, b]}]}\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "scorecards.yaml")
    path = tmp_path / "c.yaml"
    assert error.value.problems == [
        f"{path}:3:3: check a: `weight` must be a finite number from 0 to 1000000, not 'heavy'",
        f"{path}:4:10: unknown fact 'catalog.has_ownr' (did you mean 'catalog.has_owner', 'catalog.owner', "
        "'catalog.tags'?)"]


def test_duplicate_keys_are_refused_with_both_lines(tmp_path):
    from insights.config import load_config
    from insights.errors import ConfigError

    path = tmp_path / "scorecards.yaml"
    path.write_text("version: 1\ngates:\n  fail_under: 50\n  fail_under: 90\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert error.value.problems == [f"{path}:4:3: duplicate key 'fail_under' (first at line 3)"]


def test_a_duplicate_key_is_reported_with_every_other_problem_of_the_file(tmp_path):
    from insights.config import load_config
    from insights.errors import ConfigError

    path = tmp_path / "scorecards.yaml"
    path.write_text("version: 1\nstore:\n  keep_runs: -1\ngates:\n  fail_under: 50\n  fail_under: 900\n"
                    "pagerduty:\n  concurrency: 0\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert [p.removeprefix(f"{path}:").split(": ")[0] for p in error.value.problems] == ["3:3", "6:3", "6:3", "8:3"]
    assert error.value.problems[1] == f"{path}:6:3: duplicate key 'fail_under' (first at line 5)"


def test_a_duplicate_key_in_a_check_file_is_reported_with_its_other_problems(tmp_path):
    from insights.errors import ConfigError
    from insights.rules.parse import load_checks

    path = tmp_path / "checks.yaml"
    path.write_text("- id: a\n  id: b\n  name: B\n  rule: {fact: nope, operator: equal, value: 1}\n")
    with pytest.raises(ConfigError) as error:
        load_checks([path])
    assert error.value.problems[0] == f"{path}:2:3: duplicate key 'id' (first at line 1)"
    assert len(error.value.problems) > 1  # the unknown fact is reported too
