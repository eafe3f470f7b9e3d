"""Facts about how incidents went on an entity's PagerDuty service over the collection's window.

Collected when `pagerduty.analytics.enabled` is on (`insights.pagerduty.response`): PagerDuty's Analytics API
where the account has it, else the incident list, which knows counts, times to resolve and the high-urgency
incidents triggered in sleep hours, with its log entries, which know times to acknowledge and escalations.
Where the log entries cannot be read either, those stay unknown, with that cause.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key
from insights.pagerduty.state import parse_time

SOURCE = "PagerDuty incident response"
CAUSE = "response"
FACTS = [
    Fact("pagerduty.response_incidents", "integer", "Incidents triggered on the service in the window (by default "
         "the last 30 days).", SOURCE),
    Fact("pagerduty.response_high_urgency_incidents", "integer", "High-urgency incidents triggered in the window.",
         SOURCE),
    Fact("pagerduty.response_ack_mean_minutes", "number",
         "Mean time to the first acknowledgement, in minutes, of the incidents acknowledged (Analytics API, else "
         "the log entries).", SOURCE, cause="response_ack"),
    Fact("pagerduty.response_ack_p90_minutes", "number",
         "90th percentile of the time to the first acknowledgement, in minutes (Analytics API, else the log "
         "entries).", SOURCE, cause="response_ack"),
    Fact("pagerduty.response_high_urgency_ack_p90_minutes", "number",
         "90th percentile of the time to the first acknowledgement of high-urgency incidents, in minutes "
         "(Analytics API, else the log entries).", SOURCE, cause="response_high_ack"),
    Fact("pagerduty.response_resolve_mean_hours", "number", "Mean time to resolve, in hours, of the incidents "
         "resolved.", SOURCE, cause="response_resolve"),
    Fact("pagerduty.response_resolve_p90_hours", "number", "90th percentile of the time to resolve, in hours.",
         SOURCE, cause="response_resolve"),
    Fact("pagerduty.response_sleep_interruptions", "integer",
         "Interruptions between 22:00 and 08:00 in `pagerduty.analytics.time_zone`: each page of a high-urgency "
         "incident, its trigger's and each escalation's (Analytics API, else the incident list and its log "
         "entries; without the log entries, the triggers' alone).", SOURCE, cause="response_sleep"),
    Fact("pagerduty.response_sleep_interruptions_per_week", "number",
         "Sleep-hour interruptions per week of the window.", SOURCE, cause="response_sleep"),
    Fact("pagerduty.response_escalations", "integer",
         "Times an incident escalated to the next level of the policy (Analytics API, else the log entries).", SOURCE,
         cause="response_analytics"),
    Fact("pagerduty.response_window_days", "integer", "Length of the window the response facts cover, in days.",
         SOURCE),
    Fact("pagerduty.response_source", "string",
         "What served the response facts: `analytics` (PagerDuty's Analytics API), `log_entries` (the incident "
         "list and its log entries, where the account has no Analytics API) or `incidents` (the incident list "
         "alone, where the log entries could not be read either).", SOURCE),
]
NAMES = [fact.id for fact in FACTS]
SECONDS = 60.0
CAUSES = "response_causes"  # per service: the cause of each group whose facts it leaves unknown


def _round(value, unit: float) -> float | None:
    return None if value is None else round(value / unit, 1)


def describe(metrics: dict, days: float, source: str) -> dict:
    """The facts of one service from its collected metrics."""
    count = metrics.get("total_incident_count") or 0
    sleep = metrics.get("total_sleep_hour_interruptions")
    acks = metrics.get("p90_seconds_to_first_ack")
    high_acks = metrics.get("p90_seconds_to_first_ack_high_urgency")
    resolves = metrics.get("p90_seconds_to_resolve")
    # The incident list's summary leaves what it cannot tell None; an older snapshot's may hold 0 for those.
    # Its log entries tell times to acknowledge and escalations as the Analytics API does.
    analytics = source in ("analytics", "log_entries")
    escalations = metrics.get("total_escalation_count") if analytics else None
    sleep = sleep if analytics or metrics.get("sleep_hours_from_incidents") else None
    causes = {"response_ack": None if acks is not None else why.ANALYTICS_ONLY if not analytics else
              why.NO_INCIDENT_IN_WINDOW if not count else why.NONE_ACKNOWLEDGED,
              "response_high_ack": None if high_acks is not None else why.ANALYTICS_ONLY if not analytics else
              why.NO_INCIDENT_IN_WINDOW if not metrics.get("high_urgency_incident_count") else why.NONE_ACKNOWLEDGED,
              "response_resolve": None if resolves is not None else
              why.NO_INCIDENT_IN_WINDOW if not count else why.NONE_RESOLVED,
              "response_sleep": None if sleep is not None else why.ANALYTICS_ONLY,
              "response_analytics": None if escalations is not None else why.ANALYTICS_ONLY}
    return {
        "pagerduty.response_incidents": count,
        "pagerduty.response_high_urgency_incidents": metrics.get("high_urgency_incident_count"),
        "pagerduty.response_ack_mean_minutes": _round(metrics.get("mean_seconds_to_first_ack"), SECONDS),
        "pagerduty.response_ack_p90_minutes": _round(acks, SECONDS),
        "pagerduty.response_high_urgency_ack_p90_minutes": _round(high_acks, SECONDS),
        "pagerduty.response_resolve_mean_hours": _round(metrics.get("mean_seconds_to_resolve"), 3600.0),
        "pagerduty.response_resolve_p90_hours": _round(resolves, 3600.0),
        "pagerduty.response_sleep_interruptions": sleep,
        "pagerduty.response_sleep_interruptions_per_week": round(sleep / (days / 7), 2) if sleep is not None and days
        else None,
        "pagerduty.response_escalations": escalations,
        "pagerduty.response_window_days": round(days),
        "pagerduty.response_source": source,
        CAUSES: causes,
    }


NEEDS = ("pagerduty.service_id", "pagerduty.service_found")


def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    index = context.pagerduty
    collected = index.incident_response
    services = collected.get("services") or {}
    days = _days(collected)
    found = facts["pagerduty.service_found"].eq(True)
    unread = why.unavailable("incident_response", index.unavailable)
    keys = facts["pagerduty.service_id"].where(found & bool(collected) & (not unread), None)
    described = per_key(keys, lambda i: describe(services[i], days, collected.get("source", "")) if i in services
                        else None, NAMES + [CAUSES])
    missing = keys.notna() & described["pagerduty.response_source"].isna()
    cause = why.first(facts.index, causes["service"], (True, unread),
                      (not collected, why.NOT_COLLECTED["incident_response"]), (missing, why.NO_RESPONSE_FOR_SERVICE))
    groups = {"response": cause}
    per_service = described[CAUSES]
    for group in ("response_ack", "response_high_ack", "response_resolve", "response_sleep", "response_analytics"):
        texts = pd.Series([c and c[group] for c in per_service], index=facts.index, dtype=object) if services \
            else None
        groups[group] = cause if texts is None else why.first(facts.index, cause, texts)
    return described.drop(columns=CAUSES), groups


def _days(collected: dict) -> float:
    since, until = parse_time(collected.get("since")), parse_time(collected.get("until"))
    return (until - since) / timedelta(days=1) if since and until else 0.0
