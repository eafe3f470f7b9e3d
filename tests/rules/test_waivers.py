from datetime import date

from insights.catalog.model import Entity
from insights.rules.waivers import collect_waivers

TODAY = date(2026, 11, 23)


def entity(**annotations):
    return Entity(ref="component:default/a", kind="component", namespace="default", name="a",
                  annotations={f"insights.dev/waive.{k.replace('_', '-')}": v for k, v in annotations.items()},
                  path="catalog-info.yaml", line=1)


def test_valid_waiver_counts():
    waivers, findings = collect_waivers([entity(oncall_now="2026-12-31: team forms in January")], {"oncall-now"}, TODAY)
    assert findings == []
    waiver = waivers[("component:default/a", "oncall-now")]
    assert (waiver.until, waiver.reason) == (date(2026, 12, 31), "team forms in January")


def test_expired_missing_reason_too_long_unknown_check_and_bad_date_are_findings():
    cases = {
        "2026-11-01: old": "waiver-expired",
        "2026-12-31": "waiver-invalid",
        "2028-01-01: far": "waiver-too-long",
        "soon: maybe": "waiver-invalid",
        "2026-13-45: bad date": "waiver-invalid",
    }
    for value, code in cases.items():
        waivers, findings = collect_waivers([entity(oncall_now=value)], {"oncall-now"}, TODAY)
        assert waivers == {} and [f.code for f in findings] == [code], value
    waivers, findings = collect_waivers([entity(no_such_check="2026-12-31: x")], {"oncall-now"}, TODAY)
    assert [f.code for f in findings] == ["waiver-unknown-check"]


def test_waived_outcome_replaces_fail(demo_catalog, demo_state, demo_now):
    from insights.facts.registry import compute_facts
    from insights.rules.evaluate import evaluate_check
    from insights.rules.model import Check, Condition, Rule
    from insights.rules.waivers import Waiver

    facts = compute_facts(demo_catalog.entities, demo_state, demo_now)
    check = Check("oncall-now", "x", Rule("condition", condition=Condition("pagerduty.has_oncall", "equal", True)))
    ref = "component:default/indexer"
    waivers = {(ref, "oncall-now"): Waiver(ref, "oncall-now", date(2026, 12, 1), "rota starts Monday")}
    result = evaluate_check(check, facts, waivers).set_index("entity_ref")
    assert result.loc[ref, "outcome"] == "waived"
    assert result.loc[ref, "reason"] == "waived until 2026-12-01: rota starts Monday"
