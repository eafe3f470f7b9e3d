"""The HTML report as a site: an index and pages per team and per check, linked both ways, every local
link resolving; a big team split over pages of bounded size; and the links an owner follows (descriptor
at its line, Backstage page, PagerDuty objects) on the demo."""

import dataclasses
import re
from collections import Counter
from urllib.parse import urldefrag, urlsplit

import lxml.html
import pytest

from insights.catalog.model import Catalog, Entity
from insights.report import html, write_reports
from insights.report.view import load_view
from tests.report.conftest import store_run

REMOTE = "git@github.com:acme/{team}.git"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def with_origins(catalog: Catalog) -> Catalog:
    """The demo as crawled from one GitHub repository per team folder, at one commit."""
    entities = tuple(dataclasses.replace(e, origin_url=REMOTE.format(team=e.repository), revision=COMMIT, origin_dir="")
                     for e in catalog.entities)
    return Catalog(entities, catalog.findings)


def site(tmp_path, store, catalog, state, now):
    view = load_view(store, store_run(store, catalog, state, now))
    write_reports(store, view, tmp_path / "reports", ("html",))
    root = tmp_path / "reports"
    return view, root, {p.relative_to(root).as_posix(): lxml.html.fromstring(p.read_bytes())
                        for p in root.rglob("*.html")}


def local_links(root, pages):
    """Every relative link of every page, as (page, target path, fragment)."""
    for name, page in pages.items():
        for href in page.xpath("//a/@href"):
            if not urlsplit(href).scheme:
                target, fragment = urldefrag(href)
                yield name, ((root / name).parent / target).resolve().relative_to(root.resolve()).as_posix(), fragment


def test_pages_link_both_ways_and_every_local_link_resolves(tmp_path, store, demo_catalog, demo_state, demo_now):
    view, root, pages = site(tmp_path, store, demo_catalog, demo_state, demo_now)
    assert set(pages) == {html.INDEX, html.FINDINGS_PAGE, *(html.team_page(t) for t in view.team_names),
                          *(html.check_page(c) for c in view.checks["check_id"])}
    links = list(local_links(root, pages))
    for page, target, fragment in links:
        assert target in pages, (page, target)
        if fragment:
            assert pages[target].get_element_by_id(fragment) is not None, (page, target, fragment)
    from_index = {target for page, target, _ in links if page == html.INDEX}
    assert {html.team_page(t) for t in view.team_names} | {html.check_page(c) for c in view.checks["check_id"]} \
        <= from_index
    for name in pages:
        if name != html.INDEX:
            assert (name, html.INDEX, "") in links, name  # every page leads back to the index
    # A team page links to the checks its entities fail; a check page to the teams and entities failing it.
    assert ("html/teams/payments.html", html.check_page("escalation-two-levels"), "") in links
    check = html.check_page("escalation-two-levels")
    assert (check, "html/teams/payments.html", html.anchor("component:default/checkout")) in links


def test_a_big_team_is_split_over_pages_of_bounded_size(tmp_path, store, demo_state, demo_now, monkeypatch):
    monkeypatch.setattr(html, "PAGE_BYTES", 40_000)
    entities = tuple(Entity(ref=f"component:default/svc-{i}", kind="component", namespace="default", name=f"svc-{i}",
                            owner="group:default/big", type="service", lifecycle="production",
                            annotations={"pagerduty.com/service-id": "PNOSUCH"} if i % 2 else {},
                            path=f"svc-{i}/catalog-info.yaml", line=1) for i in range(300))
    view, root, pages = site(tmp_path, store, Catalog(entities, ()), demo_state, demo_now)
    team_pages = sorted((n for n in pages if n.startswith("html/teams/big")), key=lambda n: (len(n), n))
    assert team_pages[0] == "html/teams/big.html" and team_pages[1] == "html/teams/big~2.html" and len(team_pages) > 3
    sections = Counter(s.get("id") for n in team_pages for s in pages[n].xpath("//section[@class='entity']"))
    assert set(sections) == {html.anchor(e.ref) for e in entities} and set(sections.values()) == {1}
    for name in team_pages:
        assert (root / name).stat().st_size <= html.PAGE_BYTES + 30_000  # the sections and the page around them
        assert len(pages[name].xpath("//div[@class='pages']/a")) == len(team_pages) - 1
    for page, target, fragment in local_links(root, pages):
        assert target in pages and (not fragment or pages[target].get_element_by_id(fragment) is not None)


def test_owners_follow_links_to_the_descriptor_line_and_pagerduty(tmp_path, store, demo_catalog, demo_state, demo_now):
    view, root, pages = site(tmp_path, store, with_origins(demo_catalog), demo_state, demo_now)
    page = pages["html/teams/payments.html"]
    external = [a for a in page.xpath("//a[@href]") if urlsplit(a.get("href")).scheme]
    targets = Counter(a.get("href") for a in external)
    members = view.team_members("payments")
    for entity in members.itertuples():
        url = f"https://github.com/acme/payments/blob/{COMMIT}/{entity.path}#L{int(entity.line)}"
        link = page.xpath(f"//section[@id='{html.anchor(entity.ref)}']//a[@href='{url}']")
        assert [a.text for a in link] == [f"{entity.path}:{int(entity.line)}"]
    assert targets["https://acme.pagerduty.com/escalation_policies/PEPCHK1"] >= 2  # the section's link and the fix's
    assert targets["https://acme.pagerduty.com/service-directory/PCHKOUT"] == 2  # the section's and the standards fix's
    fixes = page.xpath(f"//section[@id='{html.anchor('component:default/checkout')}']//div[@class='fix']")
    fix = next(f for f in fixes if "Add a second level" in f.text_content())
    assert fix.xpath("a/@href") == ["https://acme.pagerduty.com/escalation_policies/PEPCHK1"]
    assert any(f.xpath("a/@href") == ["https://acme.pagerduty.com/service-directory/PCHKOUT"] for f in fixes)
    assert "Add a second level" in fix.text_content() and not page.xpath("//pre")
    # Schedules and incidents link to their PagerDuty pages, in the section and in the fix that sends there.
    billing = page.xpath(f"//section[@id='{html.anchor('component:default/billing-worker')}']")[0]
    labels = {a.text: a.get("href") for a in billing.xpath("div[@class='muted']/a")}
    assert labels["level-1 schedule"] == "https://acme.pagerduty.com/schedules/PSCHPAY"
    assert labels["oldest open incident"] == "https://acme.pagerduty.com/incidents/PIN0101"
    stale = next(f for f in billing.xpath("div[@class='fix']") if "oldest open incident" in f.text_content())
    assert stale.xpath("a/@href") == ["https://acme.pagerduty.com/incidents/PIN0101"]
    sections = len(members)
    file_links = sum(1 for href in targets.elements() if href.startswith("https://github.com/acme/payments/blob/"))
    assert file_links == sections
    assert all(re.match(r"https://", href) for href in targets)
    findings = pages[html.FINDINGS_PAGE]
    cells = [td for td in findings.xpath("//table[@id='findings']/tbody/tr/td[3]")]
    assert cells and all(not c.text_content().startswith("/") for c in cells)  # repository-relative paths


@pytest.mark.parametrize("team", ["payments"])
def test_team_markdown_links_to_the_descriptor_and_pagerduty(tmp_path, store, demo_catalog, demo_state, demo_now, team):
    view = load_view(store, store_run(store, with_origins(demo_catalog), demo_state, demo_now))
    written = write_reports(store, view, tmp_path / "reports", ("teams",))
    text = (written["teams"] / f"{team}.md").read_text()
    links = re.findall(r"\]\((https://[^)]+)\)", text)
    assert f"https://github.com/acme/payments/blob/{COMMIT}/services/checkout/catalog-info.yaml#L1" in links
    assert links.count("https://acme.pagerduty.com/escalation_policies/PEPCHK1") >= 2
    assert links.count("https://acme.pagerduty.com/incidents/PIN0101") == 2  # billing-worker's links and its fix
    assert "https://acme.pagerduty.com/schedules/PSCHPAY" in links
