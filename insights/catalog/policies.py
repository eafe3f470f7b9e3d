"""This tool's own rules on one entity, beyond what Backstage validates: PagerDuty annotations (on any
kind, as PagerDuty's plugin reads them) and Locations that read nothing. Pure."""

from __future__ import annotations

import difflib
import re

from insights.catalog.model import ERROR, WARNING, Unresolved, line_of, show

SERVICE_ID = "pagerduty.com/service-id"
INTEGRATION_KEY = "pagerduty.com/integration-key"
WAIVER_PREFIX = "insights.dev/waive."

# PagerDuty ids are upper-case letters and digits: the classic 7-character `P…` form and the longer forms
# (14 characters starting with Q, as in the API reference's own examples; PagerDuty documents P, Q and R).
SERVICE_ID_FORMAT = re.compile(r"^[PQR][A-Z0-9]{6,19}$")
INTEGRATION_KEY_FORMAT = re.compile(r"^[0-9a-f]{32}$")
PLACEHOLDER = re.compile(r"\$\{\{.*\}\}|\{\{.*\}\}|^<.*>$|^\[.*\]$|^P?X{5,}$|CHANGEME|TODO|REPLACE", re.IGNORECASE)
# Keys people mistype for the PagerDuty annotations; anything else under pagerduty.com/ is left alone.
PAGERDUTY_KEYS = (SERVICE_ID, INTEGRATION_KEY)


def annotations(metadata) -> dict[str, str]:
    """The annotations an entity carries: the string ones (Backstage refuses any other, see validate), less
    those a placeholder should have filled but could not."""
    raw = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(raw, dict):
        return {}
    return {key: value for key, value in raw.items() if isinstance(value, str) and not isinstance(value, Unresolved)}


def pagerduty(values: dict[str, str], raw, problems: list) -> None:
    """PagerDuty annotation problems: what would make the plugin, or our checks, miss the service."""
    def add(code, message, key, severity=ERROR):
        problems.append((code, message, line_of(raw, key), severity))

    for key in values:
        near = _near_pagerduty_key(key)
        if near:
            add("annotation-key-misspelled", f"annotation {show(key)} looks like a misspelling of `{near}`; rename "
                "it or PagerDuty checks will not see it", key)
    present = [key for key in PAGERDUTY_KEYS if key in values]
    if len(present) == 2:
        add("annotation-both-set", f"both `{SERVICE_ID}` and `{INTEGRATION_KEY}` are set; keep `{SERVICE_ID}` "
            "and remove the integration key", INTEGRATION_KEY, WARNING)
    for key, pattern, example in ((SERVICE_ID, SERVICE_ID_FORMAT, "an id such as P1A2B3C or Q1R2DLCB21K7NP"),
                                  (INTEGRATION_KEY, INTEGRATION_KEY_FORMAT, "32 hexadecimal characters")):
        value = values.get(key)
        if value is None:
            continue
        if not value.strip():
            add("annotation-empty", f"annotation `{key}` is empty; set it or remove it", key)
            continue
        if PLACEHOLDER.search(value[:200]):
            add("placeholder-annotation", f"annotation `{key}` holds the template placeholder {show(value)}; "
                "replace it with the real value", key)
            continue
        items = split_values(value)
        several = len(items) > 1
        # A mistyped integration key is still most of a secret: only its end is ever shown.
        shown = show if key == SERVICE_ID else (lambda text: f"ending in {show(text.strip()[-4:])}")
        for number, item in enumerate(dict.fromkeys(items), 1):
            where = ((f" (item {show(item)} of {show(value)})" if key == SERVICE_ID else f" (item {number} of "
                      f"{len(items)})") if several else "")
            if not item:
                add("annotation-malformed", f"annotation `{key}` value {shown(value)} has an empty item; separate "
                    "several values with single commas", key)
            elif several and PLACEHOLDER.search(item[:200]):
                add("placeholder-annotation", f"annotation `{key}` holds the template placeholder {show(item)}"
                    f"{where}; replace it with the real value", key)
            elif not pattern.match(item):
                add("annotation-malformed", f"annotation `{key}` value {shown(item if several else value)} is not "
                    f"well formed (expected {example}, several separated by commas){where}", key)
        repeated = sorted({item for item in items if item and items.count(item) > 1})
        if repeated:
            add("annotation-duplicate", f"annotation `{key}` names {', '.join(repeated)} more than once; name each "
                "service once", key, WARNING)
        if key == INTEGRATION_KEY and any(pattern.match(item) for item in items):
            add("integration-key-exposed", f"`{INTEGRATION_KEY}` is an integration key in plain text: anyone who "
                f"reads the repository can trigger incidents on the service. PagerDuty's Backstage plugin accepts "
                f"it, but `{SERVICE_ID}` needs no secret", key, WARNING)


def split_values(value: str) -> list[str]:
    """The items of a PagerDuty annotation: one id or key, or several separated by commas (a component that
    pages through several services), each stripped of spaces."""
    return [item.strip() for item in value.split(",")]


def _near_pagerduty_key(key: str) -> str | None:
    lowered = key.lower()
    if not lowered.startswith("pagerduty") or key in PAGERDUTY_KEYS or len(key) > 80:
        return None
    match = difflib.get_close_matches(lowered, PAGERDUTY_KEYS, n=1, cutoff=0.75)
    return match[0] if match else None


def location(spec, problems: list) -> None:
    if isinstance(spec, dict) and "target" not in spec and "targets" not in spec:
        problems.append(("location-no-target", "this Location has neither `spec.target` nor `spec.targets`, so "
                         "it reads nothing", line_of(spec), WARNING))
