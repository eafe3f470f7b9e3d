"""Look-up tables over a PagerDutyState, built once per run for the fact families."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from insights.pagerduty.state import PagerDutyState


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
    standards: dict[str, dict] = field(default_factory=dict)

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
                   schedule_coverage=state.schedule_coverage, standards=state.standards)

    def policy_of(self, service_id: str | None) -> dict | None:
        service = self.services.get(service_id) if service_id else None
        reference = (service or {}).get("escalation_policy") or {}
        return self.policies.get(reference.get("id")) or (reference if "escalation_rules" in reference else None)
