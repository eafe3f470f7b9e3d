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


WAIVERS = {  # annotation lines 7 to 11 of the descriptor, in this order
    "oncall-now": "2026-12-31: team forms in January",
    "oncal-now": "2026-12-31: typo in the check id",
    "has-owner": "2026-11-01: expired",
    "has-description": "2026-02-30: no such day",
    "few-open-incidents": "2030-01-01: far too long",
}
DESCRIPTOR = "\n".join([
    "apiVersion: backstage.io/v1alpha1", "kind: Component", "metadata:", "  name: a", "  annotations:",
    "    pagerduty.com/service-id: P1A2B3C",
    *(f'    insights.dev/waive.{check}: "{value}"' for check, value in WAIVERS.items()),
    "spec: {type: service, lifecycle: production, owner: team-a}", ""])


def test_each_waiver_finding_points_at_its_own_annotation():
    from insights.catalog.parse import parse_file

    entities, findings = parse_file(DESCRIPTOR, source="repo", repository="repo", path="catalog-info.yaml")
    assert findings == []
    ids = {"oncall-now", "has-owner", "has-description", "few-open-incidents"}
    waivers, found = collect_waivers(entities, ids, TODAY, max_days=180)
    assert list(waivers) == [("component:default/a", "oncall-now")]
    assert {(f.code, f.line, f.column) for f in found} == {
        ("waiver-unknown-check", 8, 5), ("waiver-expired", 9, 5), ("waiver-invalid", 10, 5),
        ("waiver-too-long", 11, 5)}
    typo = next(f for f in found if f.code == "waiver-unknown-check")
    assert typo.message == ("waiver names unknown check 'oncal-now'; fix the annotation key (did you mean "
                            "'oncall-now'?)")
    assert all(f.path == "catalog-info.yaml" and f.entity_ref == "component:default/a" for f in found)


def test_a_waiver_without_a_known_position_falls_back_to_the_entity_line():
    waivers, findings = collect_waivers([entity(oncall_now="2026-11-01: old")], {"oncall-now"}, TODAY)
    assert [(f.line, f.column) for f in findings] == [(1, None)]


def test_a_huge_waiver_value_is_quoted_short():
    _, findings = collect_waivers([entity(oncall_now="x" * 100_000)], {"oncall-now"}, TODAY)
    assert [f.code for f in findings] == ["waiver-invalid"] and len(findings[0].message) < 200


def test_a_run_stores_waiver_findings_at_the_annotation_line(tmp_path, demo_state, demo_now):
    """The run judges waivers with the same function as `catalog lint`, so both name the same line."""
    from insights.catalog.sources import Source, crawl
    from insights.config import load_config
    from insights.evaluation import evaluate_run
    from insights.resources import default_config

    (tmp_path / "catalog-info.yaml").write_text(DESCRIPTOR)
    catalog = crawl([Source("folder", str(tmp_path))])
    bundle = evaluate_run(load_config(default_config()), catalog, demo_state, demo_now)
    lines = {f.code: f.line for f in bundle.findings if f.code.startswith("waiver-")}
    assert lines["waiver-unknown-check"] == 8 and lines["waiver-invalid"] == 10
