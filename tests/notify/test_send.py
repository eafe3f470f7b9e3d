"""Posting to a webhook over loopback: retries on 429 (after its Retry-After) and 5xx and network errors,
bounded; other refusals are final; the URL never shows."""

import dataclasses
import logging
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from insights.notify.send import Sender, _retry_after
from insights.notify.settings import Webhook

PATH = "/services/T0SEND0000/B0SEND0000/sendSecretToken345678901"
BODY = {"text": "hello", "blocks": []}


def post(receiver, settings, path=PATH):
    return Sender(settings).post("payments", Webhook("HOOK_PAYMENTS", receiver.url(path)), BODY)


def test_a_message_is_posted_as_json(receiver, quick):
    delivery = post(receiver, quick)
    assert (delivery.delivered, delivery.status, delivery.attempts) == (True, 200, 1)
    [request] = receiver.received
    assert request["body"] == BODY and request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["User-Agent"].startswith("insights/")


def test_429_is_retried_after_its_retry_after(receiver, quick):
    receiver.plan(PATH, (429, {"Retry-After": "1"}, "rate_limited"), (200, {}, "ok"))
    delivery = post(receiver, quick)
    assert (delivery.delivered, delivery.attempts) == (True, 2)
    first, second = receiver.received
    assert second["at"] - first["at"] >= 1.0  # waited as told, not the 10 ms backoff of these settings
    assert first["body"] == second["body"] == BODY


def test_5xx_and_timeouts_are_retried(receiver, quick):
    receiver.plan(PATH, (500, {}, "oops"), (503, {}, "busy"), (200, {}, "slow", 1.5), (200, {}, "ok"))
    delivery = post(receiver, dataclasses.replace(quick, timeout=0.5))
    assert (delivery.delivered, delivery.attempts) == (True, 4)
    assert len(receiver.received) == 4


def test_a_webhook_that_keeps_failing_gives_up_after_max_attempts(receiver, quick):
    receiver.plan(PATH, (502, {}, "bad gateway"))
    delivery = post(receiver, dataclasses.replace(quick, max_attempts=3))
    assert (delivery.delivered, delivery.status, delivery.attempts) == (False, 502, 3)
    assert delivery.describe() == "team payments: HTTP 502 after 3 attempts (webhook in HOOK_PAYMENTS)"
    assert len(receiver.received) == 3


def test_a_retry_after_past_the_time_bound_is_not_waited_for(receiver, quick):
    receiver.plan(PATH, (429, {"Retry-After": "3600"}, "rate_limited"))
    delivery = post(receiver, quick)
    assert (delivery.delivered, delivery.status, delivery.attempts) == (False, 429, 1)
    assert delivery.problem == "HTTP 429 rate_limited"


def test_a_refused_message_is_not_retried_and_says_why(receiver, quick):
    receiver.plan(PATH, (400, {}, "invalid_blocks"))
    delivery = post(receiver, quick)
    assert (delivery.status, delivery.attempts, delivery.problem) == (400, 1, "HTTP 400 invalid_blocks")
    receiver.plan(PATH, (404, {}, "<html>" + "x" * 10_000))
    assert post(receiver, quick).problem == "HTTP 404"  # an answer that is not an error code is not repeated
    receiver.plan(PATH, (302, {"Location": "http://elsewhere.example/"}, ""))
    delivery = post(receiver, quick)
    assert (delivery.status, delivery.problem) == (302, "HTTP 302")  # redirects are not followed


def test_an_unreachable_webhook_is_retried_then_reported_without_its_url(quick, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}{PATH}"
    caplog.set_level(logging.DEBUG)
    delivery = Sender(dataclasses.replace(quick, max_attempts=2)).post("payments", Webhook("HOOK_PAYMENTS", url), BODY)
    assert (delivery.delivered, delivery.status, delivery.attempts) == (False, None, 2)
    assert delivery.problem == "no answer (ConnectionError)"
    assert "no answer (ConnectionError) from the webhook in HOOK_PAYMENTS; retrying" in caplog.text
    for text in (caplog.text, delivery.describe(), repr(delivery)):
        assert PATH not in text and "sendSecretToken" not in text


def test_the_http_libraries_debug_logs_never_show_the_url(receiver, quick, caplog):
    caplog.set_level(logging.DEBUG)
    receiver.plan(PATH, (500, {}, "oops"), (200, {}, "ok"))
    webhook = Webhook("HOOK_PAYMENTS", receiver.url(PATH) + "?token=querySecret123")
    assert Sender(quick).post("payments", webhook, BODY).delivered
    assert "urllib3" in caplog.text and "<webhook in HOOK_PAYMENTS>" in caplog.text  # the libraries did log
    for secret in (PATH, "sendSecretToken", "querySecret123"):
        assert secret not in caplog.text
    assert "sendSecretToken" not in repr(webhook) + str(webhook)


def test_retry_after_in_seconds_or_as_an_http_date():
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None and _retry_after("soon") is None and _retry_after("-3") is None
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert 25 < _retry_after(format_datetime(later, usegmt=True)) <= 30
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
