"""Evidence that a catalog entity and a PagerDuty service are one thing, signal by signal. Pure.

Each signal adds points; their sum ranks candidates and, capped to 0..1, is the confidence. The weights
say how far each signal alone can be trusted: an integration key from the service found in the entity's
descriptor is proof; the same normalised name is strong; a `service:<name>` tag and a PagerDuty team
named like the owner support a name and cannot carry a match alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from insights.catalog.model import Entity
from insights.catalog.refs import display_name
from insights.facts.consistency import normalise
from insights.pagerduty.state import PagerDutyState

HIGH, MEDIUM, LOW = 0.75, 0.5, 0.3
LEVELS = {"high": HIGH, "medium": MEDIUM, "low": LOW}
# Two candidates closer than this are a coin toss: listed as ambiguous, never picked.
MARGIN = 0.1
# A service another entity already uses stays below `high`: sharing one fails pagerduty-service-not-shared.
SHARED_CAP = 0.7

EXACT_NAME = 0.75
FUZZY_NAME = 0.6  # at similarity 1.0; falls to 0 at NAME_FLOOR
NAME_FLOOR = 0.6
SERVICE_TAG = 0.3
TEAM = 0.2
INTEGRATION_KEY = 1.0

KEY_PATTERN = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
NUMBERS = re.compile(r"\d+")
MAX_DEPTH = 6


def numbers(name: str) -> tuple[str, ...]:
    return tuple(NUMBERS.findall(name))


def level(confidence: float) -> str | None:
    return next((name for name, floor in LEVELS.items() if confidence >= floor), None)


@dataclass(frozen=True)
class Signal:
    kind: str  # name, title, service-tag, team, integration-key, shared
    points: float
    text: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """What matching needs of one PagerDuty service."""

    id: str
    name: str
    normalised: str
    html_url: str | None
    teams: dict[str, str]  # normalised team name -> team name as PagerDuty shows it
    service_tags: dict[str, str]  # normalised name in `service:<name>` -> where the tag is
    team_tags: dict[str, str]  # normalised name in `team:<name>` -> where the tag is
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Subject:
    """What matching needs of one entity."""

    entity: Entity
    name: str
    title: str
    owner_team: str | None  # None when the owner is a user or missing: no team is named like it
    keys: dict[str, str]  # integration-key-shaped strings in the descriptor -> where


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _tagged(labels: list, prefix: str, where: str, into: dict[str, str]) -> None:
    for label in labels if isinstance(labels, list) else []:
        if isinstance(label, str) and label.lower().startswith(prefix):
            into.setdefault(normalise(label[len(prefix):]), where)


def profiles(state: PagerDutyState) -> list[Profile]:
    """One profile per service with an id; answers of any shape are read defensively."""
    result = []
    tags = state.tags if isinstance(state.tags, dict) else {}
    for service in state.services if isinstance(state.services, list) else []:
        if not isinstance(service, dict) or not isinstance(service.get("id"), str):
            continue
        policy = service.get("escalation_policy") if isinstance(service.get("escalation_policy"), dict) else {}
        teams = [t for t in service.get("teams") or [] if isinstance(t, dict)]
        service_tags: dict[str, str] = {}
        team_tags: dict[str, str] = {}
        places = [(f"escalation_policies/{policy.get('id')}",
                   f"escalation policy {_text(policy.get('summary') or policy.get('name')) or policy.get('id')}")]
        places += [(f"teams/{t.get('id')}", f"team {_text(t.get('summary') or t.get('name'))}") for t in teams]
        for key, where in places:
            _tagged(tags.get(key), "service:", where, service_tags)
            _tagged(tags.get(key), "team:", where, team_tags)
        name = _text(service.get("name") or service.get("summary"))
        keys = tuple(i["integration_key"] for i in service.get("integrations") or []
                     if isinstance(i, dict) and isinstance(i.get("integration_key"), str))
        result.append(Profile(
            id=service["id"], name=name, normalised=normalise(name), html_url=_text(service.get("html_url")) or None,
            teams={normalise(_text(t.get("summary") or t.get("name"))): _text(t.get("summary") or t.get("name"))
                   for t in teams},
            service_tags=service_tags, team_tags=team_tags, keys=keys))
    return result


def _strings(value, where: str, depth: int = 0):
    """Every string in a descriptor value, with a dotted path saying where it is."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            yield from _strings(item, f"{where}[{position}]", depth + 1)


def subject(entity: Entity) -> Subject:
    owner = entity.owner or ""
    team = None if not owner or owner.startswith("user:") else normalise(display_name(owner).split("/")[-1])
    keys: dict[str, str] = {}
    places = [(f"annotation `{k}`", v) for k, v in entity.annotations.items()]
    places += list(_strings(entity.spec, "spec")) + list(_strings(list(entity.links), "metadata.links"))
    places += [("metadata.description", entity.description or "")]
    for where, text in places:
        for key in KEY_PATTERN.findall(text):
            keys.setdefault(key, where)
    return Subject(entity, normalise(entity.name), normalise(entity.title), team, keys)


def name_signal(who: Subject, service: Profile, similarity: float, on: str) -> Signal | None:
    """`similarity` (0..1) of the entity's name or title (`on`) to the service name, both normalised."""
    mine = who.name if on == "name" else who.title
    values = {"entity": mine, "service": service.name, "similarity": round(similarity, 2)}
    if mine and mine == service.normalised:
        return Signal(on, EXACT_NAME, f"{on} {mine!r} is the service name {service.name!r} (normalised)", values)
    # service-3 and service-30 look alike to an edit distance and are different services.
    if similarity < NAME_FLOOR or numbers(mine) != numbers(service.normalised):
        return None
    points = FUZZY_NAME * (similarity - NAME_FLOOR) / (1 - NAME_FLOOR)
    return Signal(on, round(points, 3), f"{on} {mine!r} is {similarity:.0%} like the service name "
                  f"{service.name!r}", values)


def other_signals(who: Subject, service: Profile) -> list[Signal]:
    """The signals beside the name: `service:` tags, team against owner, integration keys."""
    signals = []
    for name in dict.fromkeys(n for n in (who.name, who.title) if n):
        if name in service.service_tags:
            signals.append(Signal("service-tag", SERVICE_TAG, f"tag service:{name} on the "
                                  f"{service.service_tags[name]}", {"tag": f"service:{name}",
                                                                    "on": service.service_tags[name]}))
            break
    team = who.owner_team
    if team and (team in service.teams or team in service.team_tags):
        on = f"PagerDuty team {service.teams[team]!r}" if team in service.teams else \
            f"tag team:{team} on the {service.team_tags[team]}"
        signals.append(Signal("team", TEAM, f"owner {team!r} matches the {on}", {"owner": team, "matched": on}))
    elif team and service.teams:
        signals.append(Signal("team", -TEAM, f"owner {team!r} is not among the service's teams "
                              f"({', '.join(sorted(service.teams.values()))})",
                              {"owner": team, "teams": sorted(service.teams.values())}))
    for key in service.keys:
        if key in who.keys:
            signals.append(Signal("integration-key", INTEGRATION_KEY, f"an integration key of the service "
                                  f"(…{key[-4:]}) is in the descriptor's {who.keys[key]}",
                                  {"key_ends": key[-4:], "where": who.keys[key]}))
            break
    return signals
