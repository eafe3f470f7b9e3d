"""Facts about each PagerDuty Service Standard applied to an entity's service (collected when
`pagerduty.standards` is on), and the checks for the standards a team requires.

PagerDuty applies its standards per service (`GET /standards/scores/technical_services` lists, per service,
each active or inactive standard with `pass`). The facts name the active ones the service passes and fails;
a required standard's check fails only where PagerDuty applies it and it fails, so a service a standard
excludes is not held to it.
"""

from __future__ import annotations

import re

import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key
from insights.pagerduty.state import AccountsState, PagerDutyState
from insights.rules.model import Check, Condition, Rule

SOURCE = "PagerDuty Service Standards"
CAUSE = "standard_results"
FACTS = [
    Fact("pagerduty.standards_passing", "list",
         "Names of the active Service Standards the service passes (collected when `pagerduty.standards` is on).",
         SOURCE),
    Fact("pagerduty.standards_failing", "list", "Names of the active Service Standards the service fails.", SOURCE),
]
NAMES = [fact.id for fact in FACTS]
APPLIES_TO = ({"kind": "component", "type": "service"},
              {"annotations": ["pagerduty.com/service-id", "pagerduty.com/integration-key"]})


def _describe(score: dict | None) -> dict | None:
    applied = (score or {}).get("standards")
    if not applied:
        return None
    active = [s for s in applied if s.get("active", True)]
    return {"pagerduty.standards_passing": sorted(s.get("name") or s["id"] for s in active if s.get("pass")),
            "pagerduty.standards_failing": sorted(s.get("name") or s["id"] for s in active if s.get("pass") is False)}


NEEDS = ("pagerduty.service_id", "pagerduty.service_found")


def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    standards = context.pagerduty.standards
    found = facts["pagerduty.service_found"].eq(True)
    described = per_key(facts["pagerduty.service_id"].where(found, None), lambda i: _describe(standards.get(i)),
                        NAMES)
    listed = described["pagerduty.standards_passing"].notna()
    return described, {CAUSE: why.first(facts.index, causes["standards"], (~listed, why.NO_STANDARD_RESULTS))}


def known_standards(state: PagerDutyState | AccountsState) -> dict[str, dict]:
    """Every standard the collection saw (in any account), by id."""
    states = state.accounts.values() if isinstance(state, AccountsState) else [state]
    return {s["id"]: s for one in states for score in one.standards.values() for s in score.get("standards") or []}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "standard"


def unknown_standard(wanted: str, known: dict[str, dict], where: str) -> str:
    return (f"{where}: no PagerDuty Service Standard is called {wanted!r}; the account's are: "
            + ", ".join(sorted(s.get("name") or s["id"] for s in known.values())))


def standard_checks(required: list[str], state: PagerDutyState | AccountsState, file: str = "",
                    line: int = 0) -> list[Check]:
    """One check per standard a team requires, each named by its id, name or type (case aside). When the
    collection saw none (it is off, or PagerDuty refused it), the checks are built as written and their outcome
    is unknown. A name that matches none of the standards it did see still makes a check, whose outcome is
    unknown with a reason naming those it saw (`Check.unknown`): the account, not the file, lacks it, and the
    run goes on (`unknown_standards` words the warning)."""
    known = known_standards(state)
    checks = []
    for wanted in required:
        key = wanted.strip().lower()
        match = next((s for s in known.values() if key in {s["id"].lower(), (s.get("name") or "").lower(),
                                                          (s.get("type") or "").lower()}), None)
        missing = unknown_standard(wanted, known, f"{file or 'pagerduty.standards_required'}:{line}") \
            if match is None and known else ""
        name = (match or {}).get("name") or wanted
        checks.append(Check(
            id=f"pagerduty-standard-{_slug((match or {}).get('type') or wanted)}",
            name=f"PagerDuty standard: {name}",
            description=f"The service passes PagerDuty's Service Standard \"{name}\", which the team requires.",
            rule=Rule("condition", condition=Condition("pagerduty.standards_failing", "doesNotContain", name)),
            applies_to=APPLIES_TO, weight=1.0, file=file, line=line, unknown=missing,
            remediation="" if missing else
            f"{{pagerduty.service_name}} fails PagerDuty's Service Standard \"{name}\" (failing now: "
            "{pagerduty.standards_failing}). Open the service at {pagerduty.service_url} and see "
            "Service Standards for what it needs."))
    return checks


def unknown_standards(checks: list[Check]) -> list[str]:
    """What to warn of: each required standard the account lacks."""
    return [c.unknown for c in checks if c.id.startswith("pagerduty-standard-") and c.unknown]
