"""`insights explain` for an owner: links, the next level and what stands in its way, each cause once."""

from insights.explain import explain_entity
from tests.report.conftest import store_run
from tests.report.test_site import COMMIT, with_origins


def test_explain_names_the_next_level_the_first_cause_and_the_links(store, demo_catalog, demo_state, demo_now):
    store_run(store, with_origins(demo_catalog), demo_state, demo_now)
    checkout = explain_entity(store, "checkout")
    assert "scorecard pagerduty-readiness: level Bronze, score " in checkout
    assert "; next level Silver needs escalation-two-levels" in checkout
    assert f"  file: https://github.com/acme/payments/blob/{COMMIT}/services/checkout/catalog-info.yaml#L1" in checkout
    assert "  escalation policy: https://acme.pagerduty.com/escalation_policies/PEPCHK1" in checkout
    refunds = explain_entity(store, "refunds").split("\nchecks:\n")
    first = [line for line in refunds[0].splitlines() if "checks wait on it" in line]
    assert len(first) == 1 and "is malformed or a placeholder" in first[0]
    waiting = int(first[0].split("(")[-1].split()[0])
    assert refunds[1].count("(waits on a cause above)") == waiting
    assert "is malformed or a placeholder" not in refunds[1]
