"""What an owner does first: the causes that hold checks unknown, each named once, and the checks that stand
between an entity and its next level. Pure functions over results and scorecard definitions."""

from __future__ import annotations

from collections import Counter

from insights.facts.causes import for_platform
from insights.rules.model import NOT_APPLICABLE, PASS, UNKNOWN, WAIVED

PASSING = (PASS, WAIVED, NOT_APPLICABLE)  # as scorecards count them


def next_level(levels: list[dict], outcomes: dict[str, str]) -> tuple[str, list[str]] | None:
    """The first level of a scorecard (levels as stored: `[{name, checks}]`, lowest first) that the entity
    has not reached, and the checks of that level that do not pass yet; None when it has every level.
    A level needs all of its own checks and those of every level below, so once the levels below are
    reached only the next level's own checks stand in the way."""
    for level in levels:
        blocking = [check for check in level.get("checks", []) if outcomes.get(check) not in PASSING]
        if blocking:
            return level["name"], blocking
    return None


def causes(rows: list[dict]) -> list[tuple[str, list[str]]]:
    """The unknown results among `rows` grouped by their reason (one cause has one text across checks):
    (reason, check ids), the cause that blocks most checks first."""
    grouped: dict[str, list[str]] = {}
    for row in rows:
        if row["outcome"] == UNKNOWN:
            grouped.setdefault(row["reason"] or "unknown", []).append(row["check_id"])
    return sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0]))


def owners_and_platform(causes: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """`causes` ((reason, ...) pairs) split in two, each in its order: those the owners can remove, to do
    first, and those only the platform team can (`facts.causes.for_platform`), which owners wait on."""
    return [c for c in causes if not for_platform(c[0])], [c for c in causes if for_platform(c[0])]


def waiting_note(causes: list[tuple[str, int | list]]) -> str:
    """"Waiting on the platform team: <cause> (3 checks); <cause> (1 check)", each with its number of checks
    (or their list)."""
    def checks(n) -> str:
        n = n if isinstance(n, int) else len(n)
        return f"{n} check{'s' if n != 1 else ''}"
    return "Waiting on the platform team: " + "; ".join(f"{reason} ({checks(n)})" for reason, n in causes)


def unknown_summary(reasons: Counter | dict, shown: int = 3) -> str:
    """"52 unknown: 40 wait on “no PagerDuty annotation: …”, 12 on “…”" from counts per reason."""
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    total = sum(count for _, count in ordered)
    if not total:
        return "0 unknown"
    parts = [f"{count} {'wait on' if index == 0 else 'on'} “{reason}”" for index, (reason, count) in enumerate(ordered[:shown])]
    rest = sum(count for _, count in ordered[shown:])
    if rest:
        parts.append(f"{rest} on {len(ordered) - shown} other causes")
    return f"{total} unknown: " + ", ".join(parts)


def cause_line(reason: str, checks: list[str]) -> str:
    """One cause as an owner's to-do item."""
    waiting = f"{len(checks)} checks wait on it" if len(checks) > 1 else f"{checks[0]} waits on it"
    return f"{reason} ({waiting})"
