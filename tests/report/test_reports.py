"""Reports rendered from a stored run: what changed between runs, Markdown within its limit and spent on
teams and checks, team files, and one definition of a team's entities in every format."""

import dataclasses
import re

import lxml.html

from insights.catalog.model import Catalog, Entity
from insights.report import html, markdown, teams, write_reports
from insights.report.view import load_view
from tests.report.conftest import store_run


def test_strings_from_the_catalog_and_pagerduty_are_escaped_on_every_page(store, demo_catalog, demo_state, demo_now):
    hostile = "<script>alert('x')</script>"
    entities = [dataclasses.replace(e, description=hostile) if e.name == "checkout" else e
                for e in demo_catalog.entities]
    services = [dict(s, name=hostile) if s["id"] == "PLEGACY" else s for s in demo_state.services]
    state = dataclasses.replace(demo_state, services=services)
    run_id = store_run(store, Catalog(tuple(entities), demo_catalog.findings), state, demo_now)
    pages = html.render_site(load_view(store, run_id))
    for path, page in pages.items():
        assert hostile not in page and "<script>alert" not in page, path
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in pages["html/teams/payments.html"]
    assert pages[html.INDEX].count("<script>") == 3  # Chart.js, the charts, and the sorting/filtering script
    assert pages["html/teams/payments.html"].count("<script>") == 1


def test_markdown_stays_under_the_limit_for_a_large_catalog(store, demo_state, demo_now):
    entities = tuple(Entity(ref=f"component:default/svc-{i}", kind="component", namespace="default",
                            name=f"svc-{i}", owner=f"group:default/team-{i % 900}", type="service",
                            lifecycle="production", annotations={"pagerduty.com/service-id": "PNOSUCH"},
                            path=f"svc-{i}/catalog-info.yaml", line=1) for i in range(3000))
    run_id = store_run(store, Catalog(entities, ()), demo_state, demo_now)
    text = markdown.render(load_view(store, run_id))
    assert len(text) < markdown.LIMIT
    assert "more team sections left out" in text and "see report.html or report.json" in text
    assert "svc-1" not in text  # teams and checks, never a row per entity


def test_report_md_counts_failures_per_check_and_unknown_per_cause(store, demo_catalog, demo_state, demo_now):
    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    view = load_view(store, run_id)
    text = markdown.render(view)
    unknown = view.summary()["unknown"]
    assert f"{unknown} unknown: " in text and "wait on “" in text
    payments = text[text.index("### payments"):].split("###")[1]
    assert "escalation-two-levels ×1" in payments and "to-do list in `teams/payments.md`" in payments
    assert "component:default" not in payments


def test_second_run_reports_what_changed(store, demo_catalog, demo_state, demo_now):
    first = store_run(store, demo_catalog, demo_state, demo_now)
    fixed = [dict(s, description="now described") if s["id"] == "PMETRIC" else s for s in demo_state.services]
    extra = Entity(ref="component:default/newcomer", kind="component", namespace="default", name="newcomer",
                   owner="group:default/data", type="service", lifecycle="production", path="x.yaml", line=1)
    gone = [e for e in demo_catalog.entities if e.name != "ranking"] + [extra]
    second = store_run(store, Catalog(tuple(gone), ()), dataclasses.replace(demo_state, services=fixed), demo_now)
    view = load_view(store, second)
    changes = view.changes
    assert changes["previous_run_id"] == first
    assert {"entity_ref": "component:default/metrics-gateway", "check_id": "pagerduty-service-described"} in \
        changes["newly_passing"]
    assert "component:default/newcomer" in changes["new_entities"]
    assert changes["removed_entities"] == ["component:default/ranking"]
    assert any(x["entity_ref"] == "component:default/newcomer" and x["check_id"] == "pagerduty-annotation"
               for x in changes["newly_failing"])
    assert "newly passing: `component:default/metrics-gateway` pagerduty-service-described" in markdown.render(view)
    assert list(view.trend["run_id"]) == [first, second]
    assert view.trend["pass_rate"].between(0, 100).all() and view.trend["mean_score"].notna().all()
    assert len(view.results) == len(view.checks) * len(view.entities)  # the run's own picture, not the trend's
    assert list(load_view(store, first).trend["run_id"]) == [first]  # later runs stay out of an earlier trend
    data = view.team_trend[view.team_trend["team"] == "data"]
    assert list(data["run_id"]) == [first, second] and data["pass_rate"].between(0, 100).all()
    described = view.check_trend[view.check_trend["check_id"] == "pagerduty-service-described"].set_index("run_id")
    assert described.loc[second, "fail"] == described.loc[first, "fail"] - 1
    pages = html.render_site(view)
    team_trend = lxml.html.fromstring(pages["html/teams/data.html"]).xpath("//table[@class='trend']/tbody/tr")
    assert [row[0].text for row in team_trend] == [str(first), str(second)]
    assert len(lxml.html.fromstring(pages[html.check_page("pagerduty-service-described")])
               .xpath("//table[@class='trend']/tbody/tr")) == 2


def test_team_file_holds_only_that_teams_entities_with_fixes_first_steps_and_next_levels(store, demo_catalog,
                                                                                         demo_state, demo_now, tmp_path):
    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    written = write_reports(store, load_view(store, run_id), tmp_path)
    payments = (written["teams"] / "payments.md").read_text()
    assert "## checkout" in payments and "Add a second level" in payments
    assert "indexer" not in payments
    assert "PagerDuty readiness: Bronze; next level Silver needs **escalation-two-levels**" in payments
    refunds = payments[payments.index("## refunds"):].split("\n## ")[0]
    # One cause, one item: the placeholder annotation holds many checks unknown, and is named once.
    assert refunds.count("is malformed or a placeholder") == 1
    assert re.search(r"\*\*First:\*\* pagerduty\.com/service-id is malformed .*\((\d+) checks wait on it", refunds)
    assert "(unknown)" not in refunds
    assert teams.file_name("(no owner)").startswith("no-owner~")
    assert (written["teams"] / f"{teams.file_name('(no owner)')}.md").is_file()


def test_a_teams_entities_are_counted_alike_in_every_format(store, demo_catalog, demo_state, demo_now, tmp_path):
    """A team's entities are those it owns that a check applies to: the same number in report.md, the
    HTML index, the team's page and its team file (Groups, Locations and an API no check looks at belong
    to no team's count)."""
    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    view = load_view(store, run_id)
    written = write_reports(store, view, tmp_path, ("md", "teams", "html"))
    md = written["md"].read_text()
    index = lxml.html.fromstring(written["html"].read_text())
    counted = {}
    for team in view.team_names:
        in_md = re.search(rf"^\| {re.escape(markdown.md_text(team))} \| (\d+) \|", md, re.M)
        row = next(r for r in index.xpath("//table[@id='teams']/tbody/tr") if r[0].text_content() == team)
        page = lxml.html.fromstring((tmp_path / html.team_page(team)).read_text())
        team_file = (written["teams"] / f"{teams.file_name(team)}.md").read_text()
        counted[team] = {int(in_md[1]), int(row[1].text), int(page.get_element_by_id("kpi-entities").text),
                         int(team_file.splitlines()[2].split(" entities")[0])}
    expected = {"payments": 4, "(no owner)": 1, "identity": 4, "data": 3, "search": 3, "platform": 3}
    assert counted == {team: {n} for team, n in expected.items()}
    assert sum(expected.values()) == view.summary()["checked"] == 18 and view.summary()["entities"] == 26


def test_a_big_teams_file_stops_at_its_limit_and_points_at_its_pages(store, demo_state, demo_now, monkeypatch):
    monkeypatch.setattr(teams, "FILE_LIMIT", 20_000)
    entities = tuple(Entity(ref=f"component:default/svc-{i:03}", kind="component", namespace="default",
                            name=f"svc-{i:03}", owner="group:default/big", type="service", lifecycle="production",
                            annotations={"pagerduty.com/service-id": "PNOSUCH"} if i % 3 else {},
                            path=f"svc-{i}/catalog-info.yaml", line=1) for i in range(200))
    view = load_view(store, store_run(store, Catalog(entities, ()), demo_state, demo_now))
    text = teams.render_team(view, "big")
    assert len(text) <= teams.FILE_LIMIT + 1_000
    assert re.search(r"… \d+ more entities with something to do: see `html/teams/big\.html`", text)
    assert text.splitlines()[2].startswith("200 entities, ")  # the counts still cover the whole team


def test_the_trend_shows_the_last_14_succeeded_runs_up_to_the_one_shown(store, demo_catalog, demo_state, demo_now):
    from insights.config import load_config
    from insights.evaluation import evaluate_run
    from insights.resources import default_config

    bundle = evaluate_run(load_config(default_config()), demo_catalog, demo_state, demo_now)
    store.ensure_schema()
    succeeded = []
    for night in range(17):
        run_id = store.begin_run(config_hash="x", sources=["test"])
        if night == 8:
            store.fail_run(run_id, "the disk was full")  # a failed night is no point of the trend
            continue
        store.save_run(run_id, bundle)
        succeeded.append(run_id)
    assert list(load_view(store).trend["run_id"]) == succeeded[-14:]
    assert list(load_view(store, succeeded[9]).trend["run_id"]) == succeeded[:10]
    assert set(load_view(store).team_trend["run_id"]) == set(succeeded[-14:])
