"""`insights pagerduty simulate` as a user runs it: a process that serves until interrupted, whose banner says
where, with which token, and that the bundled shifts were moved to now."""

import signal
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import requests

from insights.pagerduty.simulator import Simulator
from insights.pagerduty.state import parse_time, within


def level1_now(oncalls) -> set[str]:
    now = datetime.now(timezone.utc)
    return {o["escalation_policy"]["id"] for o in oncalls
            if o["escalation_level"] == 1 and within(o.get("start"), o.get("end"), now)}


def test_simulate_serves_the_bundled_account_moved_to_now_and_says_how_to_use_it(demo_state):
    script = Path(sys.executable).parent / "insights"
    process = subprocess.Popen([str(script), "pagerduty", "simulate", "--token", "tok-123"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    watchdog = threading.Timer(120, process.kill)  # a hung process fails the test instead of hanging it
    watchdog.start()
    try:
        banner = [process.stderr.readline() for _ in range(5)]
        url = banner[0].split("PagerDuty simulator on ")[1].split()[0]
        assert banner[1] == f"On-call shifts and incidents moved to now (captured {demo_state.collected_at}), " \
                            "as `insights demo` does.\n"
        assert banner[3] == "  export PAGERDUTY_TOKEN=tok-123\n"
        assert banner[4].startswith(f"  insights run --pagerduty-url {url} --catalog ")
        assert Path(banner[4].split("--catalog ")[1].strip(), "payments", "catalog-info.yaml").is_file()
        response = requests.get(url + "/oncalls", params={"limit": 100}, timeout=10,
                                headers={"Authorization": "Token token=tok-123"})
        served = level1_now(response.json()["oncalls"])
        # As captured, most shifts ended before today; moved to now, the policies are covered as in the demo.
        assert len(served) >= len(level1_now(demo_state.oncalls)) + 5
        assert served == {o["escalation_policy"]["id"] for o in demo_state.oncalls if o["escalation_level"] == 1
                          and within(o.get("start"), o.get("end"), parse_time(demo_state.collected_at))}
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=60)
        watchdog.cancel()
    assert returncode == 0


def test_the_banner_says_when_times_are_served_as_captured(demo_state):
    with Simulator(demo_state) as simulator:
        text = simulator.banner("catalog/", None)
    assert "Times served as captured." in text and "export PAGERDUTY_TOKEN=simulator-token" in text
