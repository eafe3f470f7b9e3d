"""A realistic synthetic PagerDuty account and a catalog that points at it, for benchmarks and load tests.

Policies of 1-4 levels (some repeating a target), gaps in on-call, incidents of every status and urgency,
tags on policies and teams, integrations with keys; ids in both forms PagerDuty issues (one in five services,
policies, schedules, users and teams has a long one) and one schedule in four shift-based (v3); a catalog
where most components annotate a service, some share one, some carry an integration key, a placeholder or
nothing.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from insights.catalog.model import Entity
from insights.catalog.parse import parse_file
from insights.pagerduty.state import PagerDutyState, iso

API, WEB = "https://api.pagerduty.com", "https://generated.pagerduty.com"


@dataclass(frozen=True)
class Generated:
    state: PagerDutyState
    catalog: list[str]  # one YAML document per component

    def entities(self) -> list[Entity]:
        """The catalog's entities, parsed as a crawl of the written files would parse them."""
        return [entity for i, text in enumerate(self.catalog)
                for entity in parse_file(text, source="generated", repository="generated", path=f"{i}.yaml")[0]]


def _id(prefix: str, number: int) -> str:
    """The classic 7-character form, or for one number in five (and past 99,999) the long form: 14 characters
    starting with Q, as in the API reference's own examples (Q1R2DLCB21K7NP)."""
    if number % 5 == 4 or number > 99_999:
        return "Q" + hashlib.sha1(f"{prefix}{number}".encode()).hexdigest().upper()[:13]
    return f"P{prefix}{number:05d}"


def _ref(kind: str, object_id: str, summary: str, path: str) -> dict:
    return {"id": object_id, "type": f"{kind}_reference", "summary": summary, "self": f"{API}/{path}/{object_id}",
            "html_url": f"{WEB}/{path}/{object_id}"}


def _schedule(number: int) -> dict:
    """One schedule in four is shift-based: a v3 reference, read at /v3/schedules/{id}."""
    ref = _ref("schedule", _id("S", number), f"schedule {number}", "schedules")
    if number % 4 == 3:
        ref.update(type="schedule_v3_reference", self=f"{API}/v3/schedules/{ref['id']}")
    return ref


def generate(services: int, entities: int | None = None, seed: int = 0,
             now: datetime | None = None) -> Generated:
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    teams_count = max(1, services // 20)
    teams = [{"id": _id("T", t), "type": "team", "name": f"team-{t}", "summary": f"team-{t}",
              "self": f"{API}/teams/{_id('T', t)}", "html_url": f"{WEB}/teams/{_id('T', t)}"} for t in range(teams_count)]
    users = [_ref("user", _id("U", u), f"user {u}", "users") for u in range(max(2, services // 4))]
    schedules = [_schedule(s) for s in range(max(1, services // 3))]
    policies, oncalls, tags = [], [], {}
    for p in range(max(1, services // 2)):
        team = teams[p % teams_count]
        levels = rng.choice([1, 2, 2, 3, 4])
        rules, previous = [], None
        for level in range(1, levels + 1):
            target = previous if previous and rng.random() < 0.1 else rng.choice(
                [rng.choice(schedules), rng.choice(users)] if level > 1 else [rng.choice(schedules)] * 4 + [rng.choice(users)])
            previous = target
            rules.append({"id": f"R{p}-{level}", "escalation_delay_in_minutes": 30, "targets": [target]})
            if rng.random() < 0.9 or level > 1:  # about one policy in ten has nobody at level 1 now
                oncall = {"escalation_policy": _ref("escalation_policy", _id("E", p), f"policy {p}", "escalation_policies"),
                          "escalation_level": level, "user": rng.choice(users)}
                if target["type"].startswith("schedule"):
                    oncall.update(schedule=target, start=iso(now - timedelta(days=1)), end=iso(now + timedelta(days=6)))
                else:
                    oncall.update(start=None, end=None)
                oncalls.append(oncall)
        policies.append({"id": _id("E", p), "type": "escalation_policy", "name": f"{team['name']} policy {p}",
                         "summary": f"policy {p}", "num_loops": rng.choice([0, 1, 2]), "escalation_rules": rules,
                         "teams": [_ref("team", team["id"], team["name"], "teams")],
                         "self": f"{API}/escalation_policies/{_id('E', p)}",
                         "html_url": f"{WEB}/escalation_policies/{_id('E', p)}"})
    service_list, incidents = [], []
    for s in range(services):
        policy = policies[s % len(policies)]
        team = teams[s % teams_count]
        service_id = _id("V", s)
        name = f"service-{s}" if rng.random() < 0.8 else f"Service {s} (Production)"
        service_list.append({
            "id": service_id, "type": "service", "name": name, "summary": name,
            "description": "" if rng.random() < 0.1 else f"generated service {s}",
            "status": rng.choice(["active"] * 8 + ["warning", "critical", "disabled", "maintenance"]),
            "escalation_policy": policy, "teams": [team],
            "integrations": [{"id": _id("I", s), "type": "events_api_v2_inbound_integration", "name": "Events API v2",
                              "summary": "Events API v2", "integration_key": f"{s:032x}",
                              "service": {"id": service_id, "type": "service_reference"}}],
            "self": f"{API}/services/{service_id}", "html_url": f"{WEB}/service-directory/{service_id}"})
        for _ in range(rng.choice([0, 0, 0, 1, 2, 5])):
            created = now - timedelta(hours=rng.randint(1, 24 * 40))
            incident = {"id": f"Q{len(incidents):06d}", "type": "incident", "title": "generated",
                        "status": rng.choice(["triggered", "acknowledged", "resolved"]),
                        "urgency": rng.choice(["high", "low"]), "created_at": iso(created),
                        "service": _ref("service", service_id, name, "service-directory")}
            if incident["status"] == "resolved":  # within the hour, by the integration
                incident["resolved_at"] = iso(created + timedelta(minutes=40))
            incidents.append(incident)
        tags[f"escalation_policies/{policy['id']}"] = sorted(set(
            tags.get(f"escalation_policies/{policy['id']}", []) + [f"service:service-{s}", f"team:{team['name']}",
                                                                   rng.choice(["env:production", "env:prod", "env:staging"])]))
    for team in teams:
        tags[f"teams/{team['id']}"] = [f"team:{team['name']}"]
    history = random.Random(seed * 7919 + 1)
    incidents += _history(history, service_list, users, now)
    changes = _deploys(history, service_list, now)
    standards = {s["id"]: _standards(history, s) for s in service_list}
    state = PagerDutyState(services=service_list, escalation_policies=policies, oncalls=oncalls, incidents=incidents,
                           teams=teams, tags=tags, standards=standards, change_events=changes, api_url=API,
                           collected_at=iso(now))
    return Generated(state, _catalog(rng, services, entities or services * 5))


def _history(rng: random.Random, services: list[dict], users: list[dict], now: datetime) -> list[dict]:
    """Resolved incidents over the last 40 days: acknowledged after minutes (high urgency) or tens of minutes
    (low), now and then past the 30-minute escalation delay or never (resolved by the integration), resolved
    within hours, now and then days."""
    incidents = []
    for service in services:
        # One reference object per service, shared by its incidents: an account of 10,000 services keeps
        # tens of thousands of them, and each object costs memory and garbage-collection time.
        refs = {"service": _ref("service", service["id"], service["name"], "service-directory"),
                "escalation_policy": _ref("escalation_policy", service["escalation_policy"]["id"],
                                          service["escalation_policy"].get("summary", ""), "escalation_policies")}
        for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 13])):
            created = now - timedelta(seconds=rng.randint(3600, 40 * 86400))
            urgency = "high" if rng.random() < 0.6 else "low"
            ack = None if rng.random() < 0.1 else _minutes(rng.lognormvariate(1.5 if urgency == "high" else 3, 1))
            resolve = _minutes(rng.lognormvariate(4.5, 1.3)) + (ack or timedelta())
            number = len(incidents)
            incidents.append({
                "id": f"QH{number:06d}", "type": "incident", "incident_number": 100_000 + number,
                "title": "generated", "status": "resolved", "urgency": urgency, "created_at": iso(created),
                "resolved_at": iso(created + resolve), "last_status_change_at": iso(created + resolve),
                "acknowledgements": [] if ack is None else [{"at": iso(created + ack), "acknowledger": rng.choice(users)}],
                **refs})
    return incidents


# Three of PagerDuty's standards, as the spec's examples give them.
STANDARDS = (("01CXX38Q0U8XKHO4LNKXUJTBFG", "Service has a description", "has_technical_service_description"),
             ("01CXX38Q0Y8D9IYFAEDCH5F53L", "Service has an escalation policy with 2 or more unique levels",
              "minimum_escalation_policy_rule_depth"),
             ("01CXX38Q11T19P0K1GFKHUZJ35", "Service has an extension or add-on (e.g. Slack, etc.)",
              "minimum_outbound_integrations"))


def _standards(rng: random.Random, service: dict) -> dict:
    """Each standard's result follows the service: its description, its policy's distinct levels, and an
    extension one service in two has."""
    levels = {tuple(sorted(t["id"] for t in r["targets"])) for r in service["escalation_policy"]["escalation_rules"]}
    passes = (bool(service["description"]), len(levels) >= 2, rng.random() < 0.5)
    applied = [{"id": i, "name": name, "type": kind, "pass": ok, "active": True}
               for (i, name, kind), ok in zip(STANDARDS, passes)]
    return {"passing": sum(passes), "total": len(passes), "standards": applied}


def _deploys(rng: random.Random, services: list[dict], now: datetime) -> list[dict]:
    """Deploy change events over the last 40 days: none for some services, a few or daily ones for others."""
    events = []
    for service in services:
        shared = {"integration": {"id": service["integrations"][0]["id"], "type": "inbound_integration_reference"},
                  "services": [{"id": service["id"], "type": "service_reference"}]}  # one object per service
        for _ in range(rng.choice([0, 0, 1, 2, 5, 20])):
            at = now - timedelta(seconds=rng.randint(60, 40 * 86400))
            events.append({"id": f"01CE{len(events):022d}", "type": "change_event",
                           "summary": f"Deploy {service['name']} build {rng.randint(1, 9999)}",
                           "timestamp": iso(at), "source": "generated-ci", **shared})
    return events


def _minutes(value: float) -> timedelta:
    return timedelta(seconds=round(value * 60))


def write_catalog(documents: list[str], root: Path) -> None:
    """One repository-like folder per 100 components, one catalog-info.yaml per component."""
    for index, text in enumerate(documents):
        folder = root / f"repo-{index // 100:04d}" / f"component-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "catalog-info.yaml").write_text(text)


def _catalog(rng: random.Random, services: int, entities: int) -> list[str]:
    documents = []
    for e in range(entities):
        target = e % services
        roll = rng.random()
        if roll < 0.6:
            annotation = f"pagerduty.com/service-id: {_id('V', target)}"
        elif roll < 0.7:
            annotation = f"pagerduty.com/integration-key: '{target:032x}'"
        elif roll < 0.75:
            annotation = "pagerduty.com/service-id: ${{ values.pagerduty }}"
        else:
            annotation = "github.com/project-slug: acme/x"
        name = f"service-{target}" if e < services else f"component-{e}"
        documents.append(
            f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n"
            f"  description: generated component {e}\n  annotations:\n    {annotation}\n"
            f"spec:\n  type: service\n  lifecycle: {rng.choice(['production', 'production', 'experimental'])}\n"
            f"  owner: team-{target % max(1, services // 20)}\n")
    return documents
