"""PagerDuty values of the right shape but odd content (null where text may be null, huge or negative numbers,
markup, times at the ends of the calendar): a snapshot holding them, and the simulator serving them over HTTP,
give a run that finishes, never exit 70."""

import copy
import json
from datetime import datetime, timezone

from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import load_snapshot, shift_times
from insights.resources import demo_data
from tests.sweep.support import SECRET, invoke, secret_places

ODD = [
    (("escalation_policies", 0, "escalation_rules", 0, "targets", 0, "type"), None),
    (("escalation_policies", 1, "escalation_rules", 0, "targets", 0, "summary"), None),
    (("services", 0, "name"), None),
    (("services", 1, "description"), "<script>alert(1)</script>=cmd|' /C calc'!A0\u202e]]>"),
    (("services", 2, "html_url"), "javascript:alert(1)"),
    (("services", 3, "status"), None),
    (("teams", 0, "name"), None),
    (("escalation_policies", 2, "num_loops"), 10 ** 30),
    (("escalation_policies", 3, "num_loops"), -1),
    (("incidents", 0, "created_at"), "9999-12-31T23:59:59Z"),
    (("incidents", 1, "created_at"), "0001-01-01T00:00:00Z"),
    (("incidents", 2, "urgency"), None),
    (("oncalls", 0, "escalation_level"), -5),
    (("oncalls", 1, "end"), "0001-01-01T00:00:00Z"),
    (("oncalls", 2, "start"), None),
    (("schedule_coverage", "PSCHPAY"), 1e308),
    (("standards", "PCHKOUT", "total"), 0),
    (("standards", "PBUILDR", "passing"), -1e308),
]


def odd_snapshot() -> dict:
    data = json.loads((demo_data() / "pagerduty.json").read_text())
    for path, value in ODD:
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = copy.deepcopy(value)
    return data


def test_odd_values_in_a_snapshot_give_a_finished_run(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(odd_snapshot()))
    result = invoke(["run", "--catalog", str(demo_data() / "catalog"), "--pagerduty-snapshot", str(path),
                     "--db", f"sqlite:///{tmp_path / 'i.db'}", "--out", str(tmp_path / "out")])
    assert result.code in (0, 1), result.stderr
    pages = [p.read_text() for p in (tmp_path / "out").rglob("*.html")]
    assert pages and not any('href="javascript:' in page for page in pages)  # shown as text at most, never a link
    assert not any("<script>alert" in page for page in pages)


def test_the_same_values_served_over_http_give_a_finished_run(tmp_path):
    """The simulator moves the snapshot's times to now: one at the end of the calendar stays where it is."""
    (tmp_path / "snapshot.json").write_text(json.dumps(odd_snapshot()))
    state = shift_times(load_snapshot(tmp_path / "snapshot.json"), datetime.now(timezone.utc))
    with Simulator(state, SimulatorSettings(token=SECRET)) as served:
        result = invoke(["run", "--catalog", str(demo_data() / "catalog"), "--pagerduty-url", served.url,
                         "--db", f"sqlite:///{tmp_path / 'i.db'}", "--out", str(tmp_path / "out")])
    assert result.code in (0, 1), result.stderr
    assert secret_places(result.stdout, result.stderr, files=[tmp_path / "out"], database=tmp_path / "i.db") == []
