"""Look-up tables over a PagerDutyState, built once per run for the fact families."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from insights.pagerduty.state import PagerDutyState

# Escalation targets that are schedules: classic ones and v3 ones (`schedule_v3_reference`, served under
# /v3/schedules). The type tells them apart, so a v3 and a classic schedule are different targets.
SCHEDULE_TYPES = frozenset({"schedule", "schedule_reference", "schedule_v3_reference"})


def is_schedule(reference: dict | None) -> bool:
    return bool(reference) and reference.get("type") in SCHEDULE_TYPES


@dataclass
class PagerDutyIndex:
    services: dict[str, dict] = field(default_factory=dict)
    by_integration_key: dict[str, str] = field(default_factory=dict)
    policies: dict[str, dict] = field(default_factory=dict)
    teams: dict[str, dict] = field(default_factory=dict)
    # policy id -> escalation level -> on-call records
    oncalls: dict[str, dict[int, list[dict]]] = field(default_factory=dict)
    # service id -> open incidents
    incidents: dict[str, list[dict]] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    schedule_coverage: dict[str, float] = field(default_factory=dict)
    schedule_gaps: dict[str, list[list[str]]] = field(default_factory=dict)
    standards: dict[str, dict] = field(default_factory=dict)
    incident_response: dict = field(default_factory=dict)
    change_events: list[dict] = field(default_factory=list)
    change_events_window: dict = field(default_factory=dict)
    not_visible: frozenset[str] = frozenset()
    unavailable: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, state: PagerDutyState) -> PagerDutyIndex:
        oncalls: dict[str, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for oncall in state.oncalls:
            oncalls[oncall["escalation_policy"]["id"]][oncall.get("escalation_level", 1)].append(oncall)
        incidents: dict[str, list[dict]] = defaultdict(list)
        for incident in state.incidents:
            if incident.get("status") in ("triggered", "acknowledged"):
                incidents[incident["service"]["id"]].append(incident)
        by_key = {i["integration_key"]: s["id"] for s in state.services
                  for i in s.get("integrations", []) if i.get("integration_key")}
        return cls(services={s["id"]: s for s in state.services}, by_integration_key=by_key,
                   policies={p["id"]: p for p in state.escalation_policies},
                   teams={t["id"]: t for t in state.teams},
                   oncalls={k: dict(v) for k, v in oncalls.items()}, incidents=dict(incidents), tags=state.tags,
                   # What a collection that could not be read holds is not to be trusted.
                   schedule_coverage={} if "schedules" in state.unavailable else state.schedule_coverage,
                   schedule_gaps={} if "schedules" in state.unavailable else state.schedule_gaps,
                   standards={} if "standards" in state.unavailable else state.standards,
                   incident_response={} if "incident_response" in state.unavailable else state.incident_response,
                   change_events=state.change_events,
                   change_events_window={} if "change_events" in state.unavailable else state.change_events_window,
                   not_visible=frozenset(state.not_visible), unavailable=dict(state.unavailable))

    def policy_of(self, service_id: str | None) -> dict | None:
        service = self.services.get(service_id) if service_id else None
        reference = (service or {}).get("escalation_policy") or {}
        return self.policies.get(reference.get("id")) or (reference if "escalation_rules" in reference else None)

    def level_schedules(self, policy_id: str, level: int) -> list[str]:
        """Ids of the schedules, classic or v3, that one escalation level of a policy targets."""
        rules = (self.policies.get(policy_id) or {}).get("escalation_rules") or []
        targets = rules[level - 1].get("targets", []) if len(rules) >= level else []
        return list(dict.fromkeys(t["id"] for t in targets if is_schedule(t) and t.get("id")))
