"""A broken answer is the source's fault, not a bug: each one, served through a real proxy in front of the
simulator, ends the collection with a PagerDutyError (exit 3) naming the endpoint and what was wrong."""

import json

import pytest

from insights.cli import main
from insights.errors import PagerDutyError
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.resources import demo_data

QUICK = dict(backoff_s=0.01, max_retries=1, requests_per_minute=1_000_000, deadline_s=20, max_body_bytes=200_000)


def replace(fault, path, body: bytes | None = None, edit=None):
    """A rule answering `path` with `body`, or with the upstream answer changed by `edit(json) -> json`."""
    answer = fault(body=body) if body is not None else fault(rewrite=lambda raw: json.dumps(edit(json.loads(raw))).encode())
    return lambda n, method, target: answer if target.split("?")[0] == path else None


def first_item(key, **changes):
    return lambda data: {**data, key: [{**data[key][0], **changes}] + data[key][1:]}


CASES = [
    ("/services", b'{"services": null}', None, "GET /services answered something broken: services is null, expected a list"),
    ("/services", b'{"services": [{"name": "no id"}], "more": false}', None,
     "GET /services answered something broken: services[0] has no `id`"),
    ("/services", None, first_item("services", teams="abc"),
     "GET /services answered something broken: services[0].teams is the string 'abc', expected a list"),
    ("/services", None, first_item("services", escalation_policy="PEPPAY1"),
     "GET /services answered something broken: services[0].escalation_policy is the string 'PEPPAY1', expected an object"),
    ("/services", None, first_item("services", id=7),
     "GET /services answered something broken: services[0].id is a number, expected a non-empty string id"),
    ("/teams", b"[1, 2]", None, "GET /teams answered something broken: the answer is a list, expected an object"),
    ("/teams", b'{"teams": [], "more": "yes"}', None,
     "GET /teams answered something broken: more is the string 'yes', expected true or false"),
    ("/teams", b'{"teams": [], "more": true}', None, "GET /teams answered an empty page at offset 0 that says there is more"),
    ("/teams", b"{not json", None, "GET /teams answered with malformed JSON (HTTP 200)"),
    ("/teams", b"[" * 100_000 + b"]" * 100_000, None, "GET /teams answered with malformed JSON (HTTP 200)"),
    ("/teams", b" " * 300_000 + b"{}", None, "GET /teams answered more than 200,000 bytes"),
    ("/oncalls", None, first_item("oncalls", start="yesterday"),
     "GET /oncalls answered something broken: oncalls[0].start is the string 'yesterday', expected an ISO 8601 time"),
    ("/oncalls", None, first_item("oncalls", escalation_level="1"),
     "GET /oncalls answered something broken: oncalls[0].escalation_level is the string '1', expected an integer"),
    ("/incidents", None, first_item("incidents", service=None),
     "GET /incidents answered something broken: incidents[0].service is null, expected an object"),
    ("/tags", None, lambda data: {**data, "tags": [{"id": "PT1", "label": 5}]},
     "GET /tags answered something broken: tags[0].label is a number, expected a string"),
    ("/standards/scores/technical_services", b'{"resources": [{"resource_id": "PPAYAPI", "score": "good"}]}', None,
     "GET /standards/scores/{resource_type} answered something broken: resources[0].score is the string 'good', "
     "expected an object"),
]


@pytest.mark.parametrize("path, body, edit, message", CASES, ids=[c[3][:60] for c in CASES])
def test_a_broken_answer_is_a_clear_pagerduty_error(simulator, fault_proxy, fault, path, body, edit, message):
    proxy = fault_proxy(simulator.url, replace(fault, path, body, edit))
    client = PagerDutyClient("test-token", ClientSettings(base_url=proxy.url, **QUICK))
    with pytest.raises(PagerDutyError) as error:
        collect(client, CollectOptions(standards=True))
    assert str(error.value) == f"PagerDuty {message}"
    assert error.value.exit_code == 3 and error.value.endpoint in message


def test_a_run_against_a_broken_answer_exits_3_with_the_message(simulator, fault_proxy, fault, tmp_path, monkeypatch,
                                                                capsys):
    proxy = fault_proxy(simulator.url, replace(fault, "/services", b'{"services": null}'))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PAGERDUTY_TOKEN", "test-token")
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--catalog", str(demo_data() / "catalog"), "--pagerduty-url", proxy.url])
    assert exit_.value.code == 3
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: PagerDuty GET /services answered something broken: services is null, expected a list")
