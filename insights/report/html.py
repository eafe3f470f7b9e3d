"""The self-contained HTML report for the platform team. Jinja2 with autoescaping: every string from a
catalog or from PagerDuty is rendered as text, without the control characters HTML and XML forbid, and
only http(s) URLs become links (`escape.safe_url`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from insights.report.escape import clean, safe_url
from insights.report.view import RunView
from insights.report.view import records as _records


def _finalize(value):
    """Applied to every `{{ }}` value: escaped markup (joins, JSON) is cleaned as well as plain text."""
    if isinstance(value, Markup):
        return Markup(clean(value))
    return clean(value) if isinstance(value, str) else value


_environment = Environment(loader=PackageLoader("insights.report", "templates"), finalize=_finalize,
                           autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
_environment.filters["safe_url"] = safe_url
_environment.filters["when"] = lambda value: f"{value:%Y-%m-%d %H:%M} UTC" if hasattr(value, "strftime") else value


# Chart.js (MIT, see vendor/chart.js-LICENSE.md), inlined so the report needs no network to view.
CHART_JS = (Path(__file__).parent / "vendor" / "chart.umd.min.js").read_text()


def render(view: RunView) -> str:
    entities = [{"ref": e["ref"], "team": e["team"], "description": e["description"], "checks": view.todo(e["ref"])}
                for e in _records(view.entities.sort_values("ref")) if view.todo(e["ref"])]
    organisation = view.organisation.assign(detail=view.organisation["detail"].map(
        lambda d: json.loads(d) if isinstance(d, str) else {}))
    scores = view.scores
    cards = []
    levels = view.levels()
    for card in view.scorecards:
        own = scores[scores["scorecard_id"] == card["id"]]
        counts = levels.loc[card["id"]] if card["id"] in levels.index else pd.Series(dtype=int)
        names = [lvl["name"] for lvl in card["levels"]]
        distribution = [(n, int(counts.get(n, 0)), f"level-{i}") for i, n in enumerate(names, 1)]
        cards.append({**card, "mean": round(float(own["score"].mean()), 1) if len(own) else None, "count": len(own),
                      "distribution": distribution + [("none", int(counts.get("none", 0)), "level-none")]})
    return _environment.get_template("report.html.j2").render(
        run=view.run, summary=view.summary(), changes=view.changes, cards=cards,
        teams=_records(view.teams().reset_index()), checks=_records(view.check_stats().reset_index()),
        orphans=_records(organisation[organisation["kind"] == "orphan-service"]),
        shared=_records(organisation[organisation["kind"] == "shared-service"]),
        findings=_records(view.findings.sort_values(["severity", "path"])), entities=entities,
        trend=_records(view.trend), chart_js=CHART_JS, charts=_chart_data(view, cards))


def _chart_data(view: RunView, cards: list[dict]) -> dict:
    """What the page's charts draw, as JSON (Jinja's tojson escapes it for a <script> block; JSON would
    carry control characters as escapes, past the template's own cleaning, so names are cleaned here)."""
    trend = view.trend
    return {
        "trend": {"labels": [f"run {r}" for r in trend["run_id"]], "mean_score": list(trend["mean_score"]),
                  "pass_rate": list(trend["pass_rate"])},
        "levels": [{"name": clean(c["name"]), "labels": [clean(n) for n, _, _ in c["distribution"]],
                    "counts": [count for _, count, _ in c["distribution"]]} for c in cards],
    }
