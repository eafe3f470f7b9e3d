"""`notify_run` and `insights notify` against a local receiver: who is told, a webhook that is down, dry
runs, first runs, and webhook URLs that never show."""

import dataclasses
import json
import logging
from pathlib import Path

import jsonschema
import pytest

from insights.cli import main
from insights.errors import ConfigError, NotifyError
from insights.notify import NotifySettings, notify_run
from insights.notify.formats import generic

PAYMENTS = "/services/T0PAYMENTS/B0PAYMENTS/paymentsSecretToken1234"
DATA = "/services/T0DATA0000/B0DATA0000/dataSecretToken56789012"
SECRETS = (PAYMENTS, DATA, "paymentsSecretToken1234", "dataSecretToken56789012")


@pytest.fixture()
def routed(quick, receiver):
    """Settings sending payments and data to their own webhooks, and the environment holding them."""
    settings = dataclasses.replace(quick, teams={"Payments": "HOOK_PAYMENTS", "data": "HOOK_DATA"}, default=None)
    return settings, {"HOOK_PAYMENTS": receiver.url(PAYMENTS), "HOOK_DATA": receiver.url(DATA)}


def test_each_team_gets_its_message_at_its_own_webhook(store, runs, routed, receiver, block_kit):
    settings, environ = routed
    outcome = notify_run(store, None, settings, environ=environ)
    [payments], [data] = receiver.bodies(PAYMENTS), receiver.bodies(DATA)
    assert block_kit(payments) == [] and block_kit(data) == []
    assert payments["text"] == "payments: 1 check newly failing" and "payments-api" in json.dumps(payments)
    assert "metrics-gateway" in json.dumps(data) and "payments-api" not in json.dumps(data)
    assert [d.team for d in outcome.deliveries if d.delivered] == ["data", "payments"]
    assert set(outcome.quiet) == {"(no owner)", "identity", "platform", "search"}
    assert outcome.lines()[:2] == ["notified data (webhook in HOOK_DATA)", "notified payments (webhook in HOOK_PAYMENTS)"]


def test_a_team_whose_webhook_is_down_is_reported_after_the_others_were_sent(
        store, runs, routed, receiver, caplog, sqlite_url):
    settings, environ = routed
    receiver.plan(DATA, (500, {}, "Internal Server Error"))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(NotifyError) as raised:
        notify_run(store, None, dataclasses.replace(settings, max_attempts=3), environ=environ)
    assert raised.value.exit_code == 3
    assert str(raised.value) == ("could not notify team data: HTTP 500 after 3 attempts (webhook in HOOK_DATA); "
                                 "notified payments")
    assert len(receiver.bodies(DATA)) == 3 and len(receiver.bodies(PAYMENTS)) == 1
    outcome = raised.value.outcome
    database = Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
    for text in (str(raised.value), caplog.text, repr(outcome), outcome.as_json(), "\n".join(outcome.lines())):
        for secret in SECRETS:
            assert secret not in text
    assert not any(secret.encode() in database for secret in SECRETS)


def test_nothing_is_sent_when_nothing_newly_fails(store, runs, routed, receiver, demo_catalog, demo_state, demo_now,
                                                  save, disabled):
    save(store, demo_catalog, disabled(demo_state, "PPAYAPI", "PMETRIC"), demo_now)
    settings, environ = routed
    outcome = notify_run(store, None, settings, environ=environ)
    assert receiver.received == [] and outcome.messages == ()
    assert outcome.lines() == ["nothing newly failing for (no owner), data, identity, payments, platform, search: "
                               "nothing sent"]
    assert notify_run(store, runs[1], settings, environ=environ).deliveries  # the earlier run still has news


def test_a_dry_run_prints_the_messages_and_sends_nothing(store, runs, routed, receiver):
    settings, environ = routed
    outcome = notify_run(store, None, dataclasses.replace(settings, format="json"), dry_run=True, environ=environ)
    printed = json.loads(outcome.as_json())
    assert receiver.received == []
    assert [(m["team"], m["webhook_env"], m["format"]) for m in printed] == [
        ("data", "HOOK_DATA", "json"), ("payments", "HOOK_PAYMENTS", "json")]
    for message in printed:
        jsonschema.validate(message["body"], generic.json_schema())
    assert not any(secret in outcome.as_json() for secret in SECRETS)


def test_a_first_run_sends_nothing_unless_asked(store, routed, receiver, demo_catalog, demo_state, demo_now, save):
    save(store, demo_catalog, demo_state, demo_now)
    settings, environ = routed
    outcome = notify_run(store, None, settings, environ=environ)
    assert receiver.received == [] and outcome.first_run
    assert "first in this database" in outcome.lines()[0]
    outcome = notify_run(store, None, dataclasses.replace(settings, initial=True), environ=environ)
    [payments] = receiver.bodies(PAYMENTS)
    assert payments["text"].startswith("payments: ") and payments["text"].endswith("failing (first run)")
    assert "no webhook for (no owner), identity, platform, search" in "\n".join(outcome.lines())


def test_missing_webhook_variables_are_reported_before_anything_is_sent(store, runs, routed, receiver):
    settings, environ = routed
    with pytest.raises(ConfigError) as raised:
        notify_run(store, None, settings, environ={"HOOK_DATA": "hooks.example/no-scheme"})
    assert raised.value.problems == ["HOOK_DATA does not hold an http(s) URL",
                                     "HOOK_PAYMENTS is not set: it should hold the team's webhook URL"]
    assert receiver.received == []


def test_the_generic_json_webhook_gets_a_body_that_follows_the_schema(store, runs, routed, receiver):
    settings, environ = routed
    notify_run(store, None, dataclasses.replace(settings, format="json", base_url="https://ci.example/r"),
               environ=environ)
    [body] = receiver.bodies(PAYMENTS)
    jsonschema.validate(body, generic.json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert body["links"]["team"] == "https://ci.example/r/teams/payments.md"


def test_settings_refuse_a_url_where_a_variable_name_belongs():
    with pytest.raises(ConfigError) as raised:
        NotifySettings(teams={"payments": "https://hooks.slack.com/services/T/B/secret"}, format="teams",
                       max_attempts=0)
    assert raised.value.problems == [
        "`notify.format` must be one of slack, json, not 'teams'",
        "`notify.teams.payments` must name an environment variable (such as SLACK_WEBHOOK_PAYMENTS), not hold the "
        "URL itself",
        "`notify.max_attempts` must be at least 1"]
    assert "secret" not in str(raised.value)


def insights(capsys, *args) -> tuple[int, str, str]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        main(list(args))
    except SystemExit as exit:
        code = exit.code
    finally:
        root.handlers[:], root.level = handlers, level
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sends_reports_and_exits_3_naming_the_teams(store, runs, sqlite_url, receiver, monkeypatch, capsys,
                                                        tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSIGHTS_NOTIFY_WEBHOOK", receiver.url(PAYMENTS))
    code, out, err = insights(capsys, "notify", "--dry-run", "--db", sqlite_url)
    assert code == 0 and receiver.received == []
    assert [m["team"] for m in json.loads(out)] == ["data", "payments"]

    code, out, err = insights(capsys, "notify", "--db", sqlite_url)
    assert code == 0 and len(receiver.received) == 2
    assert receiver.received[1]["at"] - receiver.received[0]["at"] >= 1.0  # one webhook: a message a second
    assert out.splitlines()[:2] == ["notified data (webhook in INSIGHTS_NOTIFY_WEBHOOK)",
                                    "notified payments (webhook in INSIGHTS_NOTIFY_WEBHOOK)"]

    receiver.plan(PAYMENTS, (429, {"Retry-After": "3600"}, "rate_limited"))
    code, out, err = insights(capsys, "--log-level", "debug", "notify", "--db", sqlite_url)
    assert code == 3
    assert err.strip().splitlines()[-1] == (
        "error: could not notify team data: HTTP 429 rate_limited after 1 attempt (webhook in "
        "INSIGHTS_NOTIFY_WEBHOOK); team payments: HTTP 429 rate_limited after 1 attempt (webhook in "
        "INSIGHTS_NOTIFY_WEBHOOK)")
    assert not any(secret in out + err for secret in SECRETS)


def test_cli_without_the_webhook_variable_is_a_usage_error(store, runs, sqlite_url, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INSIGHTS_NOTIFY_WEBHOOK", raising=False)
    code, out, err = insights(capsys, "notify", "--db", sqlite_url)
    assert code == 2
    assert err.strip() == "error: INSIGHTS_NOTIFY_WEBHOOK is not set: it should hold the team's webhook URL"


def test_cli_naming_a_run_the_database_lacks_says_which_runs_it_has(store, runs, sqlite_url, monkeypatch, capsys,
                                                                    tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSIGHTS_NOTIFY_WEBHOOK", "https://hooks.example/x")
    code, out, err = insights(capsys, "notify", "--run", "999", "--dry-run", "--db", sqlite_url)
    assert code == 2 and out == ""
    latest = ", ".join(str(i) for i in sorted(runs, reverse=True))
    assert err.strip() == f"error: database {sqlite_url} has no run 999; the latest successful runs are {latest}"


def test_run_with_notify_tells_the_teams_the_configuration_routes(insights, tmp_path, snapshot, receiver):
    """`insights run --notify`, configured in scorecards.yaml: a first run told (`initial`), in the JSON format."""
    (tmp_path / "scorecards.yaml").write_text(
        "notify:\n  teams: {payments: HOOK_PAYMENTS}\n  default: null\n  format: json\n  initial: true\n"
        "  backoff: 0\n  interval: 0\n")
    environ = {"HOOK_PAYMENTS": receiver.url(PAYMENTS)}
    result = insights("run", "--catalog", demo_catalog_folder("payments"), "--pagerduty-snapshot", snapshot,
                      "--notify", env=environ)
    assert result.exit_code == 0, result.stderr
    [body] = receiver.bodies(PAYMENTS)
    jsonschema.validate(body, generic.json_schema())
    assert body["team"] == "payments" and "notified payments (webhook in HOOK_PAYMENTS)" in result.stdout
    assert not any(secret in result.stdout + result.stderr for secret in SECRETS)


def test_a_notify_setting_of_the_wrong_kind_is_refused_with_its_place(insights, tmp_path, snapshot):
    (tmp_path / "scorecards.yaml").write_text("notify:\n  teams: {payments: https://hooks.slack.com/x}\n")
    result = insights("run", "--catalog", demo_catalog_folder("payments"), "--pagerduty-snapshot", snapshot,
                      "--notify")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: scorecards.yaml:2:3: `notify.teams`")


def demo_catalog_folder(name: str) -> Path:
    from insights.resources import demo_data

    return demo_data() / "catalog" / name
