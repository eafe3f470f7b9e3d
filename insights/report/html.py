"""The HTML report: a small index (`report.html`) and one page per team and per check under `html/`,
linked both ways, each page self-contained and offline, and bounded in size whatever the catalog holds
(a team's entities are split over pages of at most PAGE_BYTES; a check lists its entities up to
LIST_BYTES and counts the rest).

Jinja2 with autoescaping: every string from a catalog or from PagerDuty is rendered as text, without the
control characters HTML and XML forbid, and only http(s) URLs become links (`escape.safe_url`)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from insights.report import sections, steps
from insights.report.escape import clean, safe_url
from insights.report.teams import file_name
from insights.report.view import RunView, account_lines
from insights.report.view import records as _records

INDEX = "report.html"
FOLDER = "html"
PAGE_BYTES = 500_000  # entity sections on one team page
LIST_BYTES = 500_000  # entity rows on one check page or on the findings page
INDEX_ROWS = 50  # changes and PagerDuty services listed on the index; the rest is counted
TREND_RUNS = 14


def _finalize(value):
    """Applied to every `{{ }}` value: escaped markup (joins, JSON) is cleaned as well as plain text."""
    if isinstance(value, Markup):
        return Markup(clean(value))
    return clean(value) if isinstance(value, str) else value


_environment = Environment(loader=PackageLoader("insights.report", "templates"), finalize=_finalize,
                           autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
_environment.filters["safe_url"] = safe_url
_environment.filters["when"] = lambda value: f"{value:%Y-%m-%d %H:%M} UTC" if hasattr(value, "strftime") else value

# Chart.js (MIT, see vendor/chart.js-LICENSE.md), inlined in the index so it needs no network to view.
CHART_JS = (Path(__file__).parent / "vendor" / "chart.umd.min.js").read_text()


def anchor(ref: str) -> str:
    return "e-" + hashlib.sha1(ref.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def team_page(team: str, page: int = 1) -> str:
    """A team page's path under the report folder; later pages add `~N` (never in a plain team name, and
    after a hashed name's digest, which has no `~`)."""
    return f"{FOLDER}/teams/{file_name(team)}{'' if page == 1 else f'~{page}'}.html"


def check_page(check_id: str) -> str:
    return f"{FOLDER}/checks/{file_name(check_id)}.html"


FINDINGS_PAGE = f"{FOLDER}/catalog/findings.html"
SUB = "../../"  # from any page under html/ back to the report folder


class Site:
    """Every page of one run's HTML report, rendered to strings keyed by path under the report folder."""

    def __init__(self, view: RunView):
        self.view = view
        self.stats = view.check_stats()
        self.team_table = view.teams()
        owners = view.members.set_index("ref")["team"]
        results = view.results
        self.todo = results[results["outcome"].isin(("fail", "unknown"))].assign(
            team=lambda f: f["entity_ref"].map(owners))
        unknown = self.todo[self.todo["outcome"] == "unknown"]
        self.reasons = {key: Counter(dict(zip(group["reason"], group["count"])))
                        for by in ("team", "check_id")
                        for key, group in unknown.groupby([by, "reason"]).size().reset_index(name="count").groupby(by)}
        self.blocks: dict[str, list[list[str]]] = {}  # team -> pages of entity sections
        self.blocking: dict[str, Counter] = {}  # team -> (scorecard, next level, check) -> entities
        self.where: dict[str, str] = {}  # ref -> team page path#anchor
        self.pages: dict[str, list[str]] = {}  # team -> page paths
        self.findings_of: dict[str, list[dict]] = {}
        for finding in _records(view.findings):
            if finding["entity_ref"]:
                self.findings_of.setdefault(finding["entity_ref"], []).append(finding)

    # --- entity sections and their pages ----------------------------------------------------------------
    def paginate(self, team: str, members) -> None:
        """The team's entity sections, cut into pages of at most PAGE_BYTES (a section alone may be more)."""
        view = self.view
        entities = _records(members)
        # Entities with something to do come first, the most failures first.
        entities.sort(key=lambda e: (-len(view.todo(e["ref"])), e["ref"]))
        pages, size, blocking = [[]], 0, Counter()
        for entity in entities:
            ref = entity["ref"]
            rows, levels = view.results_by_entity.get(ref, []), view.next_levels(ref)
            blocking.update((s["scorecard"], s["next"], check) for s in levels for check in s["blocking"])
            section = sections.section(entity, anchor(ref), rows, levels, steps.causes(rows),
                                       view.links.get(ref, {}), self.findings_of.get(ref, []),
                                       lambda check: SUB + check_page(check))
            if size + len(section) > PAGE_BYTES and pages[-1]:
                pages.append([])
                size = 0
            pages[-1].append(section)
            size += len(section)
            self.where[ref] = f"{team_page(team, len(pages))}#{anchor(ref)}"
        self.blocks[team], self.blocking[team] = pages, blocking
        self.pages[team] = [team_page(team, n) for n in range(1, len(pages) + 1)]

    # --- pages -------------------------------------------------------------------------------------------
    def common(self, root: str) -> dict:
        return {"run": self.view.run, "root": root, "index": root + INDEX, "team_page": team_page,
                "check_page": check_page, "findings_page": FINDINGS_PAGE, "where": self.where}

    def team(self, team: str) -> dict[str, str]:
        view = self.view
        row = self.team_table.loc[team] if team in self.team_table.index else None
        trend = view.team_trend[view.team_trend["team"] == team] if view.team_trend is not None else pd.DataFrame()
        pages, out = self.pages[team], {}
        for number, sections_of_page in enumerate(self.blocks[team], 1):
            out[pages[number - 1]] = _environment.get_template("team.html.j2").render(
                **self.common(SUB), team=team, row=row, entities=int(row["entities"]) if row is not None else 0,
                unknown=steps.unknown_summary(self.reasons.get(team, Counter())),
                trend=_records(trend.tail(TREND_RUNS)), blocking=self.blocking[team].most_common(15), pages=pages,
                number=number, sections=[Markup(section) for section in sections_of_page])
        return out

    def check(self, check: dict, todo: pd.DataFrame) -> str:
        view, check_id = self.view, check["check_id"]
        per_team = (todo.groupby("team")["outcome"].value_counts().unstack(fill_value=0)
                    .reindex(columns=["fail", "unknown"], fill_value=0).sort_values("fail", ascending=False))
        failing = todo[todo["outcome"] == "fail"].sort_values(["team", "entity_ref"])
        listed, size = [], 0
        for row in _records(failing.head(LIST_BYTES // 100)):
            size += 200 + len(row["reason"] or "")
            if size > LIST_BYTES:
                break
            listed.append(row)
        trend = view.check_trend[view.check_trend["check_id"] == check_id] if view.check_trend is not None \
            else pd.DataFrame()
        stats = self.stats.loc[check_id] if check_id in self.stats.index else None
        return _environment.get_template("check.html.j2").render(
            **self.common(SUB), check=check, stats=stats, per_team=_records(per_team.reset_index()),
            failing=listed, more=len(failing) - len(listed),
            unknown=steps.unknown_summary(self.reasons.get(check_id, Counter())),
            trend=_records(trend.tail(TREND_RUNS)))

    def findings(self) -> str:
        findings = _records(self.view.findings.sort_values(["severity", "path"]))
        listed, size = [], 0
        for finding in findings:
            size += 250 + len(finding["message"] or "") + len(finding["path"] or "")
            if size > LIST_BYTES:
                break
            listed.append(finding)
        return _environment.get_template("findings.html.j2").render(
            **self.common(SUB), findings=listed, more=len(findings) - len(listed), links=self.view.links)

    def index(self) -> str:
        view = self.view
        organisation = view.organisation.assign(detail=view.organisation["detail"].map(
            lambda d: json.loads(d) if isinstance(d, str) else {}))
        cards = _cards(view)
        findings = view.findings.groupby(["severity", "code"]).size().reset_index(name="count") \
            if len(view.findings) else pd.DataFrame(columns=["severity", "code", "count"])
        return _environment.get_template("index.html.j2").render(
            **self.common(""), summary=view.summary(), changes=view.changes, cards=cards,
            accounts=account_lines(view.run),
            unknown=steps.unknown_summary(view.unknown_reasons()), limit=INDEX_ROWS,
            teams=_records(self.team_table.reset_index()), checks=_records(self.stats.reset_index()),
            orphans=_records(organisation[organisation["kind"] == "orphan-service"]),
            shared=_records(organisation[organisation["kind"] == "shared-service"]),
            finding_counts=_records(findings), trend=_records(view.trend), chart_js=CHART_JS,
            charts=_chart_data(view, cards))

    def render(self):
        """Every page, as (path under the report folder, text), one at a time: a team's pages as soon as its
        entity sections are made (and those let go), then the pages that link to any entity's section."""
        for team, members in self.view.members.groupby("team"):
            self.paginate(team, members)
            yield from self.team(team).items()
            del self.blocks[team]
        yield INDEX, self.index()
        yield FINDINGS_PAGE, self.findings()
        todo = dict(tuple(self.todo.groupby("check_id")))
        for check in _records(self.view.checks):
            yield check_page(check["check_id"]), self.check(check, todo.get(check["check_id"], self.todo.head(0)))


def render_site(view: RunView) -> dict[str, str]:
    """Every page, by its path under the report folder."""
    return dict(Site(view).render())


def render(view: RunView) -> str:
    """The index page alone."""
    return render_site(view)[INDEX]


def write(view: RunView, folder: Path) -> list[Path]:
    """The index and the `html/` folder of pages, written into `folder` page by page."""
    for path, text in Site(view).render():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return [folder / INDEX, folder / FOLDER]


def _cards(view: RunView) -> list[dict]:
    scores, levels, cards = view.scores, view.levels(), []
    for card in view.scorecards:
        own = scores[scores["scorecard_id"] == card["id"]]
        counts = levels.loc[card["id"]] if card["id"] in levels.index else pd.Series(dtype=int)
        names = [lvl["name"] for lvl in card["levels"]]
        distribution = [(n, int(counts.get(n, 0)), f"level-{i}") for i, n in enumerate(names, 1)]
        cards.append({**card, "mean": round(float(own["score"].mean()), 1) if len(own) else None, "count": len(own),
                      "distribution": distribution + [("none", int(counts.get("none", 0)), "level-none")]})
    return cards


def _chart_data(view: RunView, cards: list[dict]) -> dict:
    """What the index's charts draw, as JSON (Jinja's tojson escapes it for a <script> block; JSON would
    carry control characters as escapes, past the template's own cleaning, so names are cleaned here)."""
    trend = view.trend
    return {
        "trend": {"labels": [f"run {r}" for r in trend["run_id"]], "mean_score": list(trend["mean_score"]),
                  "pass_rate": list(trend["pass_rate"])},
        "levels": [{"name": clean(c["name"]), "labels": [clean(n) for n, _, _ in c["distribution"]],
                    "counts": [count for _, count, _ in c["distribution"]]} for c in cards],
    }
