"""Hostile catalog and PagerDuty values, stored in a real run (SQLite) and rendered to every format.

Each value is planted at once in every field that reaches a report: an entity's name, title,
description, owner (so the team name and its file name), tags, path, repository and source, a PagerDuty
service-id annotation and a waiver reason; a catalog finding's message, path and source; an orphan
PagerDuty service's name, URL and team; an escalation policy's name, URL, tags and schedule URLs, and an
incident's URL (which reach reasons, fixes and links); and a scorecard's name (which reaches the chart
data). Every format is then checked for its own property:

- HTML (lxml), every page of the site: the elements and attributes of the same page of the run with the
  value swapped for a placeholder, no event-handler attributes, exactly its scripts (four on the index,
  one elsewhere), only http(s) links and links to the report's own pages, and the value shown as text;
- Markdown, `report.md` and team files (markdown-it with raw HTML on, as GitHub-like renderers do): the
  tokens of the placeholder run (no HTML, no extra link, image, heading, emphasis, table or code), only
  http(s) links, under 60,000 characters with every line bounded;
- CSV: every cell quoted, none starting like a formula;
- JUnit: well-formed for the standard library's parser and lxml;
- JSON and JSON Lines: parse and carry the value losslessly;
- team files: names safe, bounded and one per team.

The placeholder run is the hostile run's own view with the value replaced, so both have the same outcomes
and the comparison shows only what the value itself did.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections import Counter
from urllib.parse import unquote
from xml.etree import ElementTree

import lxml.etree
import lxml.html
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from insights.catalog.model import Catalog, Entity
from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.report import escape, html, markdown, teams, write_reports
from insights.report.escape import FORMULA_START, bounded, clean, safe_url
from insights.report.view import RunView, load_view
from tests.report.hostile_values import HOSTILE, HUGE, NOT_STORABLE, PLACEHOLDER, plant, swap
from insights.resources import default_config
from insights.rules.evaluate import LINE_BREAKS
from insights.store import Store

LINE_LIMIT = 2_000
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])



@pytest.fixture(scope="module", autouse=True)
def python_strings():
    """Text columns held as Python strings: lone surrogates, which no database hands back, are swapped into
    views here, and Arrow's strings (pandas' default when pyarrow is installed) refuse them."""
    with pd.option_context("mode.string_storage", "python"):
        yield


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_catalog, demo_state, demo_now):
    """The first night: the demo as it is, so the hostile run has a previous run to compare with."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'template.db'}"
    store = Store(url)
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["demo"])
    store.save_run(run_id, evaluate_run(load_config(default_config()), demo_catalog, demo_state, demo_now))
    return url.removeprefix("sqlite:///")


@pytest.fixture(scope="module")
def hostile(request, tmp_path_factory, demo_run, demo_catalog, demo_state, demo_now):
    """(value, hostile view, placeholder view, written reports) for the value named by the param: one stored
    run per value, shared by the tests of every format."""
    name = request.param
    tmp_path = tmp_path_factory.mktemp("hostile")
    value = HOSTILE[name]
    stored = PLACEHOLDER if name in NOT_STORABLE else value
    (tmp_path / "insights.db").write_bytes(open(demo_run, "rb").read())
    store = Store(f"sqlite:///{tmp_path / 'insights.db'}")
    catalog, state = plant(demo_catalog, demo_state, demo_now, stored)
    run_id = store.begin_run(config_hash="x", sources=["hostile"])
    store.save_run(run_id, evaluate_run(load_config(default_config()), catalog, state, demo_now))
    # Scorecard names come from the configuration, which is trusted; one is set here all the same, as the
    # only text that reaches the chart data inside a <script> block.
    view = load_view(store, run_id)
    view = dataclasses.replace(view, scorecards=[{**view.scorecards[0], "name": stored}, *view.scorecards[1:]])
    if stored != value:
        view = swap(view, PLACEHOLDER, value)
    written = write_reports(store, view, tmp_path / "reports")
    return value, view, swap(view, value, PLACEHOLDER), written


def every_value(request_names=HOSTILE):
    return pytest.mark.parametrize("hostile", list(request_names), indirect=True)


# --- Markdown ------------------------------------------------------------------------------------------


def tokens(text: str) -> list:
    flat = []
    for token in MARKDOWN.parse(text):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def shape(text: str) -> Counter:
    """What a Markdown text renders to, without its words: counts of every element kind."""
    return Counter((t.type, t.tag) for t in tokens(text) if t.type not in ("text", "text_special"))


def assert_harmless_markdown(text: str, value: str, reference: str | None = None) -> None:
    """No raw HTML, no image, no link but to an http(s) URL, and (given the placeholder's text) no element
    the placeholder did not make: no extra heading, emphasis, table, list, code or link."""
    found = tokens(text)
    assert not [t for t in found if t.type in ("html_block", "html_inline")], "raw HTML passed through"
    assert not [t for t in found if t.type == "image"], "an image was made"
    links = [t.attrs["href"] for t in found if t.type == "link_open"]
    assert all(safe_url(href) for href in links), links
    rendered = MARKDOWN.render(text)
    assert "<script" not in rendered and "<img" not in rendered and "<svg" not in rendered
    if reference is None:
        return
    reference_links = {t.attrs["href"] for t in tokens(reference) if t.type == "link_open"}
    target = safe_url(value)
    assert {unquote(h) for h in links if h not in reference_links} <= ({target} if target else set())
    if len(value) < HUGE:
        # Links are checked above; a fix keeps its lines as hard breaks, however many the value adds.
        ignore = {("link_open", "a"), ("link_close", "a"), ("hardbreak", "br"), ("softbreak", "br")}
        assert {k: v for k, v in shape(text).items() if k not in ignore} == \
               {k: v for k, v in shape(reference).items() if k not in ignore}


def heading(text: str) -> str:
    """The text of the first heading, as a reader sees it."""
    found = tokens(text)
    inline = found[found.index(next(t for t in found if t.type == "heading_open")) + 1]
    return "".join(child.content for child in inline.children)


@every_value()
def test_report_md_renders_hostile_values_as_text_and_stays_bounded(hostile):
    value, view, reference, written = hostile
    text = written["md"].read_text()
    assert len(text) <= markdown.LIMIT
    assert max(map(len, text.splitlines())) <= LINE_LIMIT
    assert_harmless_markdown(text, value, markdown.render(reference))


@every_value()
def test_team_files_render_hostile_values_as_text_under_safe_unique_names(hostile):
    value, view, reference, written = hostile
    files = sorted(p.name for p in written["teams"].iterdir())
    assert len(files) == len(view.team_names)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9._~-]{0,63}\.md", f) for f in files), files
    own = written["teams"] / f"{teams.file_name(value)}.md"
    text = own.read_text()
    assert max(map(len, text.splitlines())) <= LINE_LIMIT
    shown = bounded(re.sub(r"\s+", " ", clean(value)).strip(), teams.VALUE)
    assert heading(text) == f"{shown}: Tech Insights, run {view.run['id']}"  # the team name, exactly, as text
    assert_harmless_markdown(text, value, teams.render_team(reference, PLACEHOLDER))
    for path in written["teams"].iterdir():  # every team's file, not only the planted one
        assert_harmless_markdown(path.read_text(), value)


# --- HTML ----------------------------------------------------------------------------------------------


def elements(page: str) -> list:
    return list(lxml.html.document_fromstring(page).iter(lxml.etree.Element))


def html_shape(page: str) -> Counter:
    return Counter((e.tag, tuple(sorted(e.attrib))) for e in elements(page) if e.tag != "a")


# The report's own pages, relative to the index or to a page under html/, with an entity's anchor.
LOCAL = re.compile(r"(?:\.\./\.\./)?(?:report\.html|html/(?:teams|checks|catalog)/[a-z0-9][a-z0-9._~-]{0,70}\.html)"
                   r"(?:#e-[0-9a-f]{12})?")


def same_page(view: RunView, value: str) -> dict[str, str]:
    """Each page of the hostile site and the reference site's page in its place (team pages are named
    after the team)."""
    names = {}
    for team in view.team_names:
        for page in range(1, 4):
            names[html.team_page(team, page)] = html.team_page(team.replace(value, PLACEHOLDER).replace(
                value.lower(), PLACEHOLDER), page)
    return names


@every_value()
def test_html_shows_hostile_values_as_text_and_links_only_http(hostile):
    value, view, reference, written = hostile
    root = written["html"].parent
    site = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.html")}
    expected_site = html.render_site(reference)
    names = same_page(view, value)
    if len(value) < HUGE:
        assert len(site) == len(expected_site)
    for name, page in site.items():
        found = elements(page)
        expected_page = expected_site.get(names.get(name, name))
        if expected_page is None:
            assert len(value) >= HUGE, name  # a huge value can take a team's entities over more pages
            first = re.sub(r"~\d+\.html$", ".html", name)  # compared with the team's first page
            expected_page = expected_site[names.get(first, first)]
        expected = elements(expected_page)
        # A huge value can fill a page's budget, which then ends with a paragraph saying how many are left.
        assert {e.tag for e in found} <= {e.tag for e in expected} | ({"p"} if len(value) >= HUGE else set()), name
        assert not [(e.tag, a) for e in found for a in e.attrib if a.lower().startswith("on")], name
        scripts = 4 if name == html.INDEX else 1
        assert sum(e.tag == "script" for e in found) == sum(e.tag == "script" for e in expected) == scripts
        links = [e.get("href") for e in found if e.tag == "a"]
        assert all(safe_url(href) or LOCAL.fullmatch(href) for href in links), (name, links)
        external = {href for href in links if safe_url(href)}
        reference_links = {e.get("href") for e in expected if e.tag == "a"}
        assert external - reference_links <= ({safe_url(value)} if safe_url(value) else set()), name
        if len(value) < HUGE:
            assert html_shape(page) == html_shape(expected_page), name
    found = elements(site[html.INDEX])
    charts = json.loads(next(e for e in found if e.get("id") == "chart-data").text)
    assert charts["levels"][0]["name"] == clean(value)  # inside <script>, and still data
    expected = elements(expected_site[html.INDEX])
    assert charts["levels"][1:] == json.loads(next(e for e in expected if e.get("id") == "chart-data").text)["levels"][1:]
    anchor = html.anchor("component:default/checkout")
    checkout = next(e for name, page in site.items() if name.startswith("html/teams/") and anchor in page
                    for e in [lxml.html.document_fromstring(page).get_element_by_id(anchor)])
    shown = clean(value).replace("\r\n", "\n").replace("\r", "\n")
    assert checkout.find_class("description")[0].text_content() == shown  # the description, as text


# --- CSV, JUnit, JSON ----------------------------------------------------------------------------------


@every_value()
def test_csv_cells_are_quoted_and_never_formulas(hostile):
    value, view, reference, written = hostile
    text = written["csv"].read_bytes().decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == len(view.results) + 1 and {len(r) for r in rows} == {7}
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_START)]
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    assert again.getvalue() == text.replace("\r\n", "\n")  # every cell was quoted
    assert max(len(cell) for row in rows for cell in row) <= escape.CSV_CELL + 1
    team = next(r[2] for r in rows if r[0] == "component:default/checkout")
    shown = bounded(clean(value), escape.CSV_CELL)
    assert team == ("'" + shown if shown.startswith(FORMULA_START) else shown)


@every_value()
def test_junit_is_well_formed_for_every_xml_parser(hostile):
    value, view, reference, written = hostile
    data = written["junit"].read_bytes()
    root = ElementTree.fromstring(data)
    strict = lxml.etree.fromstring(data, lxml.etree.XMLParser(recover=False, huge_tree=True))
    listed = int(view.results["outcome"].isin(("fail", "unknown")).sum()) + len(view.checks)
    assert len(root.findall("testsuite/testcase")) == len(strict.findall("testsuite/testcase")) == listed
    names = {case.get("name") for case in root.iter("testcase")}
    assert clean(f"component:default/{value}".lower()) in names
    checkout = root.find("testsuite[@name='escalation-two-levels']/testcase[@name='component:default/checkout']/failure")
    # The fix names the planted escalation policy, on one line.
    assert clean(LINE_BREAKS.sub(" ", value)) in checkout.text


@every_value()
def test_json_and_json_lines_parse_and_keep_the_value(hostile):
    value, view, reference, written = hostile
    data = json.loads(written["json"].read_text())
    assert any(f["message"] == value for f in data["findings"])
    lines = written["jsonl"].read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == len(view.entities) + 2  # a value's line breaks stay escaped
    checkout = next(e for e in map(json.loads, lines[1:-1]) if e["ref"] == "component:default/checkout")
    assert checkout["description"] == value and checkout["title"] == value


# --- Bounds and names ----------------------------------------------------------------------------------


def test_report_md_cap_holds_with_huge_values_in_every_field_and_many_scorecards(tmp_path, demo_run, demo_catalog,
                                                                                  demo_state, demo_now):
    huge = "<" * 100_000 + "`" * 100_000 + "|" * 100_000
    (tmp_path / "insights.db").write_bytes(open(demo_run, "rb").read())
    store = Store(f"sqlite:///{tmp_path / 'insights.db'}")
    catalog, state = plant(demo_catalog, demo_state, demo_now, huge)
    extra = tuple(Entity(ref=f"component:default/{huge[:50]}-{i}", kind="component", namespace="default",
                         name=f"x{i}", owner=f"group:default/{huge}{i}", type="service", path=huge, line=1)
                  for i in range(30))
    run_id = store.begin_run(config_hash="x", sources=["hostile"])
    store.save_run(run_id, evaluate_run(load_config(default_config()), Catalog(catalog.entities + extra,
                                                                               catalog.findings), state, demo_now))
    view = load_view(store, run_id)
    view = dataclasses.replace(view, scorecards=[{"id": f"s{i}", "name": huge, "levels": [{"name": huge}]}
                                                 for i in range(500)])
    text = markdown.render(view)
    assert len(text) <= markdown.LIMIT and "cut here to stay under 60,000 characters" in text
    assert max(map(len, text.splitlines())) <= LINE_LIMIT
    assert not [t for t in tokens(text) if t.type in ("html_block", "html_inline", "image", "link_open")]
    for team in view.entities["team"].unique():
        assert len(teams.file_name(team)) <= 64


def test_owners_that_look_alike_get_files_of_their_own(tmp_path, demo_run, demo_catalog, demo_state, demo_now):
    owners = ["Payments", "payments!", "payments?", "pay/ments", "pay ments", "pay-ments", "CON", "con", "-", "."]
    entities = tuple(Entity(ref=f"component:default/svc-{i}", kind="component", namespace="default",
                            name=f"svc-{i}", owner=f"group:default/{owner}", type="service", path="x.yaml", line=1)
                     for i, owner in enumerate(owners))
    (tmp_path / "insights.db").write_bytes(open(demo_run, "rb").read())
    store = Store(f"sqlite:///{tmp_path / 'insights.db'}")
    run_id = store.begin_run(config_hash="x", sources=["alike"])
    store.save_run(run_id, evaluate_run(load_config(default_config()), Catalog(entities, ()), demo_state, demo_now))
    written = write_reports(store, load_view(store, run_id), tmp_path / "reports", ("md", "teams"))
    files = list(written["teams"].iterdir())
    assert len(files) == len(owners)
    for owner in owners:
        text = (written["teams"] / f"{teams.file_name(owner)}.md").read_text()
        assert heading(text) == f"{owner}: Tech Insights, run {run_id}"
