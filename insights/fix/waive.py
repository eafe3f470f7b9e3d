"""`--waive CHECK --until DATE --reason TEXT --entity REF`: the waiver annotations to add, checked by the
same rules that judge waivers in a run, so that a waiver written here always counts. Pure.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from insights.catalog.model import Entity
from insights.catalog.refs import parse_ref
from insights.catalog.validate import WAIVER_PREFIX
from insights.errors import ConfigError
from insights.fix.plan import Change
from insights.rules.waivers import collect_waivers

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_REASON = 300


@dataclass(frozen=True)
class WaiverRequest:
    check_id: str | None
    until: str | None
    reason: str | None
    entity_refs: tuple[str, ...] = ()


def _did_you_mean(word: str, choices, cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=3, cutoff=cutoff)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def resolve_entity(text: str, entities: dict[str, Entity]) -> Entity:
    """`kind:namespace/name`, `namespace/name` or a component's `name`, as `insights explain` reads them."""
    ref = parse_ref(text, default_kind="component", default_namespace="default")
    if ref in entities:
        return entities[ref]
    raise ConfigError(f"--entity {text!r}: the catalog has no entity {ref or text}"
                      f"{_did_you_mean(ref or text, entities, 0.9)}; refs look like component:default/name")


def waiver_changes(request: WaiverRequest, entities: list[Entity], check_ids: set[str], today: date,
                   max_days: int) -> list[Change]:
    """One change per named entity; a ConfigError naming every option that is wrong."""
    missing = [flag for flag, value in (("--waive CHECK", request.check_id), ("--until YYYY-MM-DD", request.until),
                                        ("--reason TEXT", request.reason)) if not value]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}; a waiver is written with --waive CHECK --until YYYY-MM-DD "
                          "--reason TEXT --entity REF")
    if not request.entity_refs:
        raise ConfigError("name the entities to waive the check for with --entity REF (repeatable)")
    if request.check_id not in check_ids:
        raise ConfigError(f"--waive {request.check_id!r}: no such check{_did_you_mean(request.check_id, check_ids)}; "
                          "`insights validate` lists the configuration's checks")
    reason = request.reason.strip()
    if not DATE.match(request.until.strip()):
        raise ConfigError(f"--until {request.until!r}: write the date as YYYY-MM-DD, such as 2026-12-31")
    if not reason:
        raise ConfigError("--reason is empty; say why the check does not apply yet")
    if any(ord(c) < 32 or ord(c) == 127 for c in reason) or len(reason) > MAX_REASON:
        raise ConfigError(f"--reason: one line of at most {MAX_REASON} characters, without control characters")
    value = f"{request.until.strip()}: {reason}"
    by_ref = {e.ref: e for e in entities}
    changes = [Change(resolve_entity(text, by_ref), WAIVER_PREFIX + request.check_id, value)
               for text in dict.fromkeys(request.entity_refs)]
    # The rules a run applies, on the annotation as it will be written.
    _, findings = collect_waivers([replace(c.entity, annotations={c.key: c.value}) for c in changes[:1]],
                                  check_ids, today, max_days)
    if findings:
        until = request.until.strip()
        raise ConfigError({
            "waiver-expired": f"--until {until} is in the past (today is {today})",
            "waiver-too-long": f"--until {until} is more than {max_days} days ahead (waivers.max_days); choose "
                               f"{today + timedelta(days=max_days)} or earlier",
        }.get(findings[0].code, f"--until {until} is not a date in the calendar"))
    return changes
