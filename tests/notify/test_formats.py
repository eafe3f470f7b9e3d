"""Slack Block Kit and the generic JSON body: structure, limits, and untrusted text that stays text."""

import dataclasses

import jsonschema
import pytest

from insights.catalog.model import Catalog, Entity
from insights.notify.formats import generic, slack
from insights.notify.message import notices
from insights.report.view import load_view

HOSTILE = "<!channel> <@U024BE7LH> <http://evil.example|click here> & <!subteam^S123|ops> <!date^1^{date}|x>"


def _validator():
    schema = generic.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture()
def hostile_run(store, demo_catalog, demo_state, demo_now, save, disabled):
    """payments-api titled and its PagerDuty service named with Slack control sequences, then disabled."""
    save(store, demo_catalog, demo_state, demo_now)
    entities = [dataclasses.replace(e, title=HOSTILE) if e.name == "payments-api" else e for e in demo_catalog.entities]
    run = save(store, Catalog(tuple(entities), ()), disabled(demo_state, "PPAYAPI", PPAYAPI=HOSTILE), demo_now)
    return load_view(store, run)


def test_slack_message_is_block_kit_within_limits(store, runs, block_kit):
    for notice in notices(load_view(store, runs[1]), base_url="https://ci.example/reports"):
        message = slack.render(notice)
        assert block_kit(message) == []
        assert message["blocks"][0]["text"]["text"] == f"{notice.team}: 1 check newly failing"
        texts = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
        assert "PagerDuty service is enabled" in texts and "*Fix first*" in texts
        assert f"compared with run {runs[0]}" in texts
        links = message["blocks"][-1]["elements"]
        assert links[0]["text"] == "<https://ci.example/reports/report.html|Full report>"
        assert links[1]["text"] == f"<https://ci.example/reports/teams/{notice.team}.md|The team's to-do list>"


def test_slack_text_from_the_catalog_and_pagerduty_cannot_link_or_mention(hostile_run, block_kit, mrkdwn):
    payments = next(n for n in notices(hostile_run) if n.team == "payments")
    assert HOSTILE in payments.newly_failing[0].entity  # the notice holds the text as it is ...
    message = slack.render(payments)
    assert block_kit(message) == []
    everything = "\n".join(mrkdwn(message))
    # ... every mrkdwn text holds it escaped: no `<` from the catalog survives, so nothing links or mentions.
    assert "&lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;http://evil.example|click here&gt; &amp; " in everything
    for control in ("<!", "<@", "<http://evil", "<#"):
        assert control not in everything
    assert "<" not in everything.replace("&lt;", "")  # no links at all without a configured report URL
    assert "&amp;amp;" not in everything  # escaped once


def test_a_configured_report_url_cannot_break_out_of_its_link(store, runs):
    payments = next(n for n in notices(load_view(store, runs[1]), base_url="https://ci.example/r|x>y&z")
                    if n.team == "payments")
    link = slack.render(payments)["blocks"][-1]["elements"][0]["text"]
    assert link == "<https://ci.example/r%7Cx%3Ey&amp;z/report.html|Full report>"


def test_a_long_list_stays_within_slack_limits_and_says_how_many_are_left_out(
        store, demo_catalog, demo_state, demo_now, save, block_kit):
    save(store, demo_catalog, demo_state, demo_now)
    long = "name-" + "x" * 58
    many = tuple(Entity(ref=f"component:default/{long}-{i}", kind="component", namespace="default",
                        name=f"{long}-{i}", title=f"{'&<>' * 100}", owner="group:default/payments", type="service",
                        lifecycle="production", annotations={"pagerduty.com/service-id": "PNOSUCH"}, path="x.yaml",
                        line=1) for i in range(400))
    run = save(store, Catalog(demo_catalog.entities + many, ()), demo_state, demo_now)
    payments = next(n for n in notices(load_view(store, run)) if n.team == "payments")
    message = slack.render(payments)
    assert block_kit(message) == []
    last = [b for b in message["blocks"] if b["type"] == "context"][-1]["elements"][0]["text"]
    shown = sum(b["text"]["text"].count("• ") for b in message["blocks"][4:] if b["type"] == "section"
                and not b["text"]["text"].startswith("*Fix first*"))
    assert 0 < shown <= slack.SHOWN_FAILURES
    assert last == f"… and {payments.newly_failing_total - shown} more in the team file of the reports"
    assert sum(len(t) for t in (b["text"]["text"] for b in message["blocks"] if b["type"] == "section")) < 15_000


def test_generic_json_body_follows_its_versioned_schema(store, runs):
    validator = _validator()
    told = notices(load_view(store, runs[1]), base_url="https://ci.example/reports")
    for notice in told:
        body = generic.render(notice)
        validator.validate(body)
        assert body["schema"] == "insights.notification/1" and body["team"] == notice.team
        assert body["newly_failing"][0]["check_id"] == "pagerduty-service-enabled"
        assert body["run"] == {"id": runs[1], "started_at": notice.started_at, "previous_run_id": runs[0]}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**generic.render(told[0]), "team": "x" * 121})


def test_generic_json_carries_untrusted_text_as_plain_bounded_strings(hostile_run):
    validator = _validator()
    for notice in notices(hostile_run, initial=True):
        body = generic.render(notice)
        validator.validate(body)
    payments = generic.render(next(n for n in notices(hostile_run) if n.team == "payments"))
    assert payments["newly_failing"][0]["entity"] == HOSTILE
    assert HOSTILE in payments["newly_failing"][0]["fix"]
