"""Values that try to break out of every report format, planted in every field that reaches a report, and
the same run with a placeholder in their place: what the hostile-input tests render and compare."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pandas as pd

from insights.catalog.model import Catalog, Entity, Finding
from insights.report.view import RunView
from insights.rules.evaluate import LINE_BREAKS
from insights.store.rows import UNSTORABLE

PLACEHOLDER = "placeholdervalue"

HOSTILE = {
    "script element": "<script>document.title='pwned'</script>",
    "img onerror": '<img src=x onerror="document.title=\'pwned\'">',
    "svg onload": "<svg/onload=alert(1)>",
    "anchor element": '<a href="javascript:alert(1)">click</a>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "attribute breakout, double quote": '" onmouseover="alert(1)" x="',
    "attribute breakout, single quote": "' onfocus='alert(1)' autofocus x='",
    "closing script inside JSON": "</script><script>alert(1)</script>",
    "html comment": "<!-- hidden --> <!--",
    "html block": "<div>\n<b>block</b>\n</div>",
    "javascript url": "javascript:alert(document.domain)",
    "javascript url, mixed case and tab": "JaVa\tScRiPt:alert(1)",
    "javascript url, leading space": " javascript:alert(1)",
    "data url": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript url": "vbscript:msgbox(1)",
    "protocol-relative url": "//evil.example/x",
    "https url with markup": "https://evil.example/p?a=(1)&b=<2>\"x\"",
    "entity-encoded javascript": "&#106;avascript:alert(1) &lt;script&gt;",
    "markdown link": "[click me](javascript:alert(1))",
    "markdown link to https": "[your bank](https://evil.example/login)",
    "markdown reference link": "[x][1]\n\n[1]: javascript:alert(1)",
    "markdown image": "![pixel](https://evil.example/track.png)",
    "markdown autolink": "<https://evil.example> <mailto:x@evil.example>",
    "markdown heading after newlines": "ok\n\n# Owned\n\n---",
    "markdown setext heading": "title\n=====",
    "markdown table breakout": "a | b |\n|---|---|\n| c | d",
    "markdown emphasis": "**bold** _it_ ~~gone~~ `code` $x^2$",
    "code fence": "```\n</details><script>alert(1)</script>\n```",
    "long backtick run": "``````` x ```````",
    "tilde fence": "~~~\n# heading\n~~~",
    "list, quote and task": "- item\n> quote\n1. one\n- [x] done",
    "csv formula, equals": '=HYPERLINK("https://evil.example","x")',
    "csv formula, plus": "+cmd|' /C calc'!A0",
    "csv formula, minus": "-2+3+cmd|' /C calc'!A0",
    "csv formula, at": "@SUM(1+9)*cmd|' /C calc'!A0",
    "csv formula after tab": "\t=1+1",
    "csv formula after carriage return": "\r=1+1",
    "nul and terminal escapes": "a\x00b\x1b[31mred\x1b[0m\x07",
    "every C0 control": "".join(map(chr, range(32))) + "x",
    "unicode line separators": "a\u2028# b\u2029c\x85d",
    "bidirectional override": "abc\u202etxt.exe\u2066x\u2069",
    "lone surrogates": "a\ud800b\udfffc",
    "xml cdata end and pi": "]]><?xml-stylesheet href='x'?>",
    "template syntax": "{{ 7*7 }} {% if x %} {placeholder}",
    "260-character owner": "o" * 260,
    "300 KB value": "t" * 300_000,
}
HUGE = 10_000  # values longer than this change how much fits in report.md, so they are checked on bounds alone
# NUL and lone surrogates are replaced at the store's door (`insights.store.rows.UNSTORABLE`): these values
# are stored as the placeholder and swapped into the view read back, as a store that held them would hand them.
NOT_STORABLE = {name for name, value in HOSTILE.items() if UNSTORABLE.search(value)}



def plant(catalog: Catalog, state, now, value: str):
    """The demo catalog and account with `value` in every field that reaches a report."""
    waiver = f"{(now + timedelta(days=10)).date()}: {value}"
    entities = [dataclasses.replace(e, title=value, description=value, owner=f"group:default/{value}",
                                    tags=(value,), path=value, repository=value, source=value,
                                    annotations={**e.annotations, "insights.dev/waive.has-runbook-link": waiver})
                if e.name == "checkout" else e for e in catalog.entities]
    entities.append(Entity(ref=f"component:default/{value}".lower(), kind="component", namespace="default",
                           name=value, title=value, description=value, owner=f"group:default/{value}",
                           type="service", lifecycle="production", annotations={"pagerduty.com/service-id": value},
                           path="hostile/catalog-info.yaml", line=1))
    findings = catalog.findings + (Finding("yaml-invalid", "error", value, value, value, 3, None),)
    services = [dict(s, name=value, html_url=value, teams=[{"id": "PTHOST1", "summary": value}])
                if s["id"] == "PLEGACY" else s for s in state.services]
    policies = [dict(p, name=value, html_url=value, escalation_rules=[
                    dict(r, targets=[dict(t, html_url=value) for t in r["targets"]]) for r in p["escalation_rules"]])
                if p["id"] == "PEPCHK1" else p for p in state.escalation_policies]
    incidents = [dict(i, html_url=value) if i["id"] == "PIN0101" else i for i in state.incidents]
    tags = {**state.tags, "escalation_policies/PEPCHK1": [*state.tags.get("escalation_policies/PEPCHK1", []), value]}
    return (Catalog(tuple(entities), findings),
            dataclasses.replace(state, services=services, escalation_policies=policies, incidents=incidents, tags=tags))


def swap(view: RunView, old: str, new: str) -> RunView:
    """`view` with `old` replaced by `new` in every string it holds (refs are lower-case; a fix or reason
    shows a value on one line)."""
    one_line = LINE_BREAKS.sub(" ", old)
    pairs = [(old, new), (old.lower(), new.lower()), *([(one_line, new)] if one_line != old else [])]

    def text(value, pairs=pairs):
        if isinstance(value, str):
            for a, b in pairs:
                value = value.replace(a, b)
            return value
        if isinstance(value, list):
            return [text(v) for v in value]
        if isinstance(value, dict):
            return {text(k): text(v) for k, v in value.items()}
        return value

    def frame(f: pd.DataFrame) -> pd.DataFrame:
        f = f.copy()
        for column in f.columns:
            if pd.api.types.is_object_dtype(f[column]) or pd.api.types.is_string_dtype(f[column]):
                # Plain objects: a string dtype (Arrow's, when pyarrow is installed) refuses lone surrogates.
                # A reason or a fix shows the value on one line, as the run renders them.
                use = [(a, LINE_BREAKS.sub(" ", b)) for a, b in pairs] if column in ("reason", "fix") else pairs
                f[column] = pd.Series([text(v, use) for v in f[column]], index=f.index, dtype=object)
        return f

    organisation = frame(view.organisation)
    organisation["detail"] = view.organisation["detail"].map(
        lambda d: json.dumps(text(json.loads(d))) if isinstance(d, str) else d)
    facts = frame(view.facts)
    facts.index = pd.Index([text(ref) for ref in facts.index], dtype=object)
    return dataclasses.replace(
        view, entities=frame(view.entities), results=frame(view.results), checks=frame(view.checks),
        scorecards=text(view.scorecards), scores=frame(view.scores), findings=frame(view.findings),
        organisation=organisation, changes=text(view.changes), team_trend=frame(view.team_trend),
        check_trend=frame(view.check_trend), facts_loader=lambda: facts)
