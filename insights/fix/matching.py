"""Which PagerDuty service each unwired entity should point at, and which entity each orphan service
belongs to. Pure: (entities, PagerDutyState) -> Suggestions.

An entity needs a service when the `pagerduty-annotation` check asks it for one (a component service)
or when it carries a service id that resolves to nothing (placeholder, malformed, unknown id). Every
such entity is scored against every service; a pair is a match only when it beats every other pair of
its row and of its column by a margin, so a service is suggested for at most one entity, and a coin
toss is reported as ambiguous instead of guessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz, process

from insights.catalog.model import Entity
from insights.catalog.validate import INTEGRATION_KEY, PLACEHOLDER, SERVICE_ID, SERVICE_ID_FORMAT
from insights.facts import causes
from insights.fix.signals import LOW, MARGIN, NAME_FLOOR, SHARED_CAP, Profile, Signal, Subject, level, \
    name_signal, numbers, other_signals, profiles, subject
from insights.pagerduty.accounts import account_of
from insights.pagerduty.state import AccountsState, PagerDutyState

MATCH, AMBIGUOUS, NONE = "match", "ambiguous", "none"
NO_CANDIDATE = ("no PagerDuty service has a similar name, a service: tag naming it, or an integration key "
                "found in its descriptor")


@dataclass(frozen=True)
class Candidate:
    service_id: str
    service_name: str
    html_url: str | None
    score: float  # the sum of the signals' points: ranks candidates
    confidence: float  # 0..1, what thresholds compare
    signals: tuple[Signal, ...]

    @property
    def level(self) -> str | None:
        return level(self.confidence)


@dataclass(frozen=True)
class Suggestion:
    entity: Entity
    needs: str  # why the entity needs a service, in the words the checks use
    status: str  # match, ambiguous or none
    candidates: tuple[Candidate, ...] = ()  # best first; a match's service is the first
    rivals: tuple[str, ...] = ()  # other entities as close to this one's best service
    note: str = ""
    account: str | None = None  # the PagerDuty account its candidates are in, when several are read

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class Orphan:
    """A PagerDuty service no entity points at, and what became of it."""

    service_id: str
    service_name: str
    html_url: str | None
    status: str
    entity_refs: tuple[str, ...] = ()
    account: str | None = None  # the PagerDuty account it is in, when several are read


@dataclass(frozen=True)
class Suggestions:
    entities: tuple[Suggestion, ...]
    orphans: tuple[Orphan, ...]

    def at_least(self, confidence: float) -> list[Suggestion]:
        return [s for s in self.entities if s.status == MATCH and s.best.confidence >= confidence]


def needs_service(entity: Entity, services: set[str], keys: dict[str, str], hidden: set[str]) -> tuple[str | None, str | None]:
    """(the service the entity resolves to, why it needs one); both None when it is not ours to fix."""
    key = (entity.annotations.get(INTEGRATION_KEY) or "").strip()
    if key:
        # The key decides which service the Backstage card shows; a wrong key is fixed by hand, not by us.
        return keys.get(key), None
    service_id = (entity.annotations.get(SERVICE_ID) or "").strip()
    if service_id:
        if not SERVICE_ID_FORMAT.match(service_id) or PLACEHOLDER.search(service_id):
            return None, causes.ID_MALFORMED
        if service_id in services:
            return service_id, None
        return None, None if service_id in hidden else causes.ID_NOT_FOUND
    wanted = entity.kind == "component" and (entity.type or "").lower() == "service"
    return None, causes.NO_ANNOTATION if wanted else None


def _candidates(subjects: list[Subject], services: list[Profile], used_by: dict[str, list[str]]) -> list[list[Candidate]]:
    """Each subject's candidates scoring at least LOW, best first. Names are compared all at once; only the
    services a name, a tag or a key points at are scored one by one."""
    similarity = {on: process.cdist([getattr(s, on) for s in subjects], [s.normalised for s in services],
                                    scorer=fuzz.ratio, score_cutoff=round(NAME_FLOOR * 100), dtype=np.uint8)
                  if subjects and services else np.zeros((len(subjects), len(services)), dtype=np.uint8)
                  for on in ("name", "title")}
    by_numbers: dict[tuple, list[int]] = defaultdict(list)
    by_tag: dict[str, set[int]] = defaultdict(set)
    by_key: dict[str, int] = {}
    for column, service in enumerate(services):
        by_numbers[numbers(service.normalised)].append(column)
        for tagged in service.service_tags:
            by_tag[tagged].add(column)
        for key in service.keys:
            by_key.setdefault(key, column)
    by_numbers = {signature: np.array(columns) for signature, columns in by_numbers.items()}
    result = []
    for row, who in enumerate(subjects):
        columns = by_tag.get(who.name, set()) | by_tag.get(who.title, set()) | {by_key[k] for k in who.keys if k in by_key}
        for on in ("name", "title"):
            alike = by_numbers.get(numbers(getattr(who, on)), np.array([], dtype=int))
            columns |= set(alike[similarity[on][row][alike] > 0].tolist())
        found = [_candidate(who, services[c], similarity["name"][row][c] / 100, similarity["title"][row][c] / 100,
                            used_by.get(services[c].id, [])) for c in sorted(columns)]
        result.append(sorted((c for c in found if c.score >= LOW), key=lambda c: (-c.score, c.service_id)))
    return result


def _candidate(who: Subject, service: Profile, by_name: float, by_title: float, used_by: list[str]) -> Candidate:
    names = [s for s in (name_signal(who, service, by_name, "name"),
                         name_signal(who, service, by_title, "title") if who.title else None) if s]
    signals = ([max(names, key=lambda s: s.points)] if names else []) + other_signals(who, service)
    score = round(sum(s.points for s in signals), 3)
    confidence = min(1.0, max(0.0, score))
    if used_by:
        signals.append(Signal("shared", 0.0, f"already wired to {', '.join(used_by)}; two entities on one service "
                              "fail pagerduty-service-not-shared", {"entities": used_by}))
        confidence = min(confidence, SHARED_CAP)
    return Candidate(service.id, service.name, service.html_url, score, round(confidence, 2), tuple(signals))


def _clear(score: float, scores: list[float]) -> bool:
    """`score` is the best of `scores` (which hold it once) by at least MARGIN."""
    ordered = sorted(scores, reverse=True)
    return score == ordered[0] and (len(ordered) == 1 or score - ordered[1] >= MARGIN)


def _assign(pairs: dict[tuple[int, str], Candidate]) -> dict[int, Candidate]:
    """Pairs that beat every other pair of their entity and of their service by MARGIN, taken round by
    round: once a pair is taken, its entity and service leave, and the pairs left may become clear."""
    matched: dict[int, Candidate] = {}
    while True:
        rows: dict[int, list[float]] = defaultdict(list)
        columns: dict[str, list[float]] = defaultdict(list)
        for (row, column), candidate in pairs.items():
            rows[row].append(candidate.score)
            columns[column].append(candidate.score)
        clear = {row: candidate for (row, column), candidate in pairs.items()
                 if _clear(candidate.score, rows[row]) and _clear(candidate.score, columns[column])}
        if not clear:
            return matched
        matched.update(clear)
        taken = {c.service_id for c in clear.values()}
        pairs = {k: v for k, v in pairs.items() if k[0] not in clear and k[1] not in taken}


def suggest_by_account(entities: list[Entity], state: PagerDutyState | AccountsState, name: str) -> Suggestions:
    """Suggestions for each entity among the services of the account it is judged in (`pagerduty.com/account`,
    else the default; one account read is called `name`), and each account's orphans; with several accounts,
    each labelled with its account. An entity naming an account not read gets no suggestion: no service
    there is known."""
    several = isinstance(state, AccountsState)
    accounts = state if several else AccountsState({name: state}, name)
    groups: dict[str, list[Entity]] = {account: [] for account in accounts.accounts}
    for entity in entities:
        groups.get(account_of(entity.annotations, accounts.default), []).append(entity)
    found, orphans = [], []
    for account, members in groups.items():
        one = suggest(members, accounts.accounts[account])
        label = account if several else None
        found += [replace(s, account=label) for s in one.entities]
        orphans += [replace(o, account=label) for o in one.orphans]
    return Suggestions(tuple(sorted(found, key=lambda s: s.entity.ref)),
                       tuple(sorted(orphans, key=lambda o: (o.account or "", o.service_name.lower(), o.service_id))))


def suggest(entities: list[Entity], state: PagerDutyState) -> Suggestions:
    services = profiles(state)
    ids = {s.id for s in services}
    keys = {k: s.id for s in services for k in s.keys}
    hidden = {i for i in state.not_visible if isinstance(i, str)} if isinstance(state.not_visible, list) else set()
    used_by: dict[str, list[str]] = {}
    needy: list[tuple[Entity, str]] = []
    for entity in entities:
        resolved, need = needs_service(entity, ids, keys, hidden)
        if resolved:
            used_by.setdefault(resolved, []).append(entity.ref)
        elif need:
            needy.append((entity, need))
    subjects = [subject(e) for e, _ in needy]
    candidates = _candidates(subjects, services, used_by)
    pairs = {(row, c.service_id): c for row, found in enumerate(candidates) for c in found}
    matched = _assign(dict(pairs))
    taken = {c.service_id: needy[row][0].ref for row, c in matched.items()}
    by_service: dict[str, list[tuple[int, Candidate]]] = defaultdict(list)
    for (row, column), candidate in pairs.items():
        if row not in matched:
            by_service[column].append((row, candidate))
    suggestions = []
    for row, (entity, need) in enumerate(needy):
        if row in matched:
            suggestions.append(Suggestion(entity, need, MATCH, (matched[row],)))
            continue
        left = [c for c in candidates[row] if c.service_id not in taken]
        if not left:
            note = NO_CANDIDATE if not candidates[row] else "its candidates fit other entities better: " + ", ".join(
                f"{c.service_name} ({c.service_id}) -> {taken[c.service_id]}" for c in candidates[row])
            suggestions.append(Suggestion(entity, need, NONE, note=note))
            continue
        # Not clear: another candidate of this entity, or another entity of its best service, is as close.
        close = tuple(c for c in left if left[0].score - c.score < MARGIN)
        rivals = tuple(sorted(needy[other][0].ref for other, c in by_service[left[0].service_id]
                              if other != row and left[0].score - c.score < MARGIN))
        suggestions.append(Suggestion(entity, need, AMBIGUOUS, close, rivals,
                                      note="choose by hand: the candidates are too close to call"))
    suggestions.sort(key=lambda s: s.entity.ref)
    return Suggestions(tuple(suggestions), _orphans(services, used_by, suggestions))


def _orphans(services: list[Profile], used_by: dict[str, list[str]], suggestions: list[Suggestion]) -> tuple[Orphan, ...]:
    """Every service no entity points at, with the entities suggested for it (or ambiguous about it)."""
    named: dict[tuple[str, str], list[str]] = defaultdict(list)
    for suggestion in suggestions:
        for candidate in suggestion.candidates:
            named[(candidate.service_id, suggestion.status)].append(suggestion.entity.ref)
    orphans = []
    for service in services:
        if service.id in used_by:
            continue
        status = next((s for s in (MATCH, AMBIGUOUS) if named.get((service.id, s))), NONE)
        orphans.append(Orphan(service.id, service.name, service.html_url, status,
                              tuple(sorted(named.get((service.id, status), [])))))
    return tuple(sorted(orphans, key=lambda o: (o.service_name.lower(), o.service_id)))
