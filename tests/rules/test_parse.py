from pathlib import Path

import pytest

from insights.errors import ConfigError
from insights.rules.parse import load_checks
from insights.resources import default_config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "config"


def test_every_problem_of_a_file_is_reported_with_file_line_and_a_suggestion():
    with pytest.raises(ConfigError) as error:
        load_checks([FIXTURES / "bad-checks.yaml"])
    path = FIXTURES / "bad-checks.yaml"
    assert error.value.problems == [
        f"{path}:5:10: unknown fact 'pagerduty.escalation_level' (did you mean 'pagerduty.escalation_levels', "
        "'pagerduty.escalation_unique_levels', 'pagerduty.escalation_loops'?)",
        f"{path}:6:38: unknown operator 'equals' (did you mean 'equal'?)",
        f"{path}:7:3: duplicate check id 'escalation-levels', first defined at {path}:1:3",
        f"{path}:9:62: `lessThan` compares numbers, not a text: 'three'",
        f"{path}:12:59: '(unclosed' is not a regular expression RE2 can run: missing ): (unclosed",
        f"{path}:15:3: unknown key `aplies_to` (did you mean 'applies_to'?)",
        f"{path}:16:52: `equal` compares a boolean fact with true or false, not with a text: 'yes'",
    ]


def test_duplicate_ids_name_both_places(tmp_path):
    text = "- {id: same, name: A, rule: {fact: catalog.has_owner, operator: equal, value: true}}\n"
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    with pytest.raises(ConfigError) as error:
        load_checks([tmp_path])
    assert error.value.problems == [
        f"{tmp_path}/b.yaml:1:4: duplicate check id 'same', first defined at {tmp_path}/a.yaml:1:4"]


def test_built_in_checks_load_and_keep_their_location():
    checks = load_checks([default_config().parent / "checks"])
    assert len(checks) >= 15
    escalation = next(c for c in checks if c.id == "escalation-two-levels")
    assert escalation.where.endswith("escalation.yaml:2")
    assert escalation.rule.conditions()[0].fact == "pagerduty.escalation_unique_levels"


def test_applies_to_takes_a_mapping_or_a_list_of_mappings_with_known_keys(tmp_path):
    path = tmp_path / "checks.yaml"
    path.write_text(
        "- id: a\n  name: A\n  rule: {fact: catalog.has_owner, operator: equal, value: true}\n"
        "  applies_to: [{kind: component, type: service}, {annotations: [pagerduty.com/service-id]}]\n"
        "- id: b\n  name: B\n  rule: {fact: catalog.has_owner, operator: equal, value: true}\n"
        "  applies_to: {namespace: ops}\n")
    first, second = load_checks([path])
    assert first.applies_to == ({"kind": "component", "type": "service"},
                                {"annotations": ["pagerduty.com/service-id"]})
    assert second.applies_to == {"namespace": "ops"}
    path.write_text("- id: a\n  name: A\n  rule: {fact: catalog.has_owner, operator: equal, value: true}\n"
                    "  applies_to: [{kind: component}, {annotation: x}]\n"
                    "- id: b\n  name: B\n  rule: {fact: catalog.has_owner, operator: equal, value: true}\n"
                    "  applies_to: [kind]\n")
    with pytest.raises(ConfigError) as error:
        load_checks([path])
    assert error.value.problems == [
        f"{path}:4:36: unknown key `applies_to.annotation` (did you mean 'annotations'?)",
        f"{path}:8:3: `applies_to` must be a mapping such as {{kind: component, type: service}}, or a list of such "
        "mappings (any one of them matches)",
    ]
