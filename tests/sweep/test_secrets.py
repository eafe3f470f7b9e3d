"""An API (or a proxy before it) that echoes the credential in an error or a broken answer: the run fails with
exit 3 naming the endpoint, and the token is in no message, no report and no row of the database."""

import importlib.util
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import shift_times
from insights.resources import demo_data
from tests.sweep.support import SECRET, invoke, secret_places



def _proxy_module():
    """The fault proxy of the PagerDuty tests (tests/pagerduty/conftest.py), loaded once by path."""
    if "sweep_fault_proxy" not in sys.modules:
        path = Path(__file__).resolve().parent.parent / "pagerduty" / "conftest.py"
        spec = importlib.util.spec_from_file_location("sweep_fault_proxy", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["sweep_fault_proxy"] = module
        spec.loader.exec_module(module)
    return sys.modules["sweep_fault_proxy"]


ECHOES = {
    "error message": (400, {"error": {"message": f"Token token={SECRET}", "errors": [SECRET]}}),
    "plain text": (404, f"no route; auth was {SECRET}"),
    "odd error shape": (422, {"error": SECRET}),
    "broken answer": (200, {"services": SECRET}),
}


@pytest.mark.parametrize("name", ECHOES)
def test_an_echoed_token_is_masked_everywhere(tmp_path, demo_state, name):
    proxies = _proxy_module()
    status, body = ECHOES[name]
    raw = (body if isinstance(body, str) else json.dumps(body)).encode()
    fault = proxies.Fault(status=status, body=raw)
    state = shift_times(demo_state, datetime.now(timezone.utc))
    with Simulator(state, SimulatorSettings(token=SECRET)) as served:
        proxy = proxies.FaultProxy(served.url, lambda n, method, target:
                                   fault if target.startswith("/services") else None)
        try:
            result = invoke(["run", "--catalog", str(demo_data() / "catalog"), "--pagerduty-url", proxy.url,
                             "--db", f"sqlite:///{tmp_path / 'i.db'}", "--out", str(tmp_path / "out")])
        finally:
            proxy.close()
    assert result.code == 3 and result.last.startswith("error: PagerDuty GET /services") and "***" in result.last
    assert secret_places(result.stdout, result.stderr, files=[tmp_path], database=tmp_path / "i.db") == []
