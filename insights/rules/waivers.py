"""Waivers written by owners in their own descriptor, reviewed in the same pull request as the code:

    metadata:
      annotations:
        insights.dev/waive.escalation-two-levels: "2026-12-31: second level arrives with the Q1 re-org"

`collect_waivers` is the one judge of them: a run counts the valid ones and stores findings for the rest,
`insights catalog lint` reports the same findings before the descriptor merges, and `insights fix --waive`
writes only waivers it accepts. Each finding points at the annotation's own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from insights.catalog import severity as severities
from insights.catalog.model import ERROR, WARNING, Entity, Finding, show
from insights.catalog.validate import WAIVER_PREFIX
from insights.configread import did_you_mean

VALUE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*[:\-–]?\s*(.*)$")


@dataclass(frozen=True)
class Waiver:
    entity_ref: str
    check_id: str
    until: date
    reason: str


def collect_waivers(entities, check_ids: set[str], today: date, max_days: int = 180, severity: dict | None = None):
    """Valid waivers keyed by (entity ref, check id), and findings for the ones that do not count, with the
    severities `catalog.severity` gives their codes."""
    waivers: dict[tuple[str, str], Waiver] = {}
    findings: list[Finding] = []
    for entity in entities:
        for key, value in entity.annotations.items():
            if key.startswith(WAIVER_PREFIX):
                waiver, finding = _read(entity, key, value, check_ids, today, max_days)
                if waiver:
                    waivers[(entity.ref, waiver.check_id)] = waiver
                if finding:
                    findings.append(finding)
    return waivers, severities.apply(findings, severity)


def _read(entity: Entity, key: str, value: str, check_ids, today, max_days):
    check_id = key[len(WAIVER_PREFIX):]
    line, column = entity.annotation_positions.get(key, (entity.line, None))

    def finding(code, message, severity=ERROR):
        return None, Finding(code, severity, message, entity.source, entity.path, line, entity.ref, column)

    if check_id not in check_ids:
        return finding("waiver-unknown-check", f"waiver names unknown check {show(check_id)}; fix the annotation "
                       f"key{did_you_mean(check_id, sorted(check_ids))}")
    match = VALUE.match(value or "")
    if not match:
        return finding("waiver-invalid", f"waiver for {check_id} must read \"YYYY-MM-DD: reason\", got {show(value)}")
    try:
        until = date.fromisoformat(match.group(1))
    except ValueError:
        return finding("waiver-invalid", f"waiver for {check_id} has an invalid date {match.group(1)!r}")
    reason = match.group(2).strip()
    if not reason:
        return finding("waiver-invalid", f"waiver for {check_id} gives no reason; say why after the date")
    if until < today:
        return finding("waiver-expired", f"waiver for {check_id} expired on {until}; fix the check or renew the "
                       "waiver", WARNING)
    if until > today + timedelta(days=max_days):
        return finding("waiver-too-long", f"waiver for {check_id} runs to {until}, more than {max_days} days "
                       "ahead; choose an earlier date")
    return Waiver(entity.ref, check_id, until, reason), None
