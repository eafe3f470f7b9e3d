"""Owners are asked to fix only what they can: a cause only the platform team can remove (a collection not
turned on or not readable with the key, a service the key cannot see, a plan without the Analytics API) is a
note once per team file and once per entity section, never a "first" to-do; report.md lists them for the
platform team. On the demo, which collects neither incident response nor change events."""

import re

import lxml.html
from markdown_it import MarkdownIt

from insights.explain import explain_entity
from insights.facts import causes as why
from insights.report import html, write_reports
from insights.report.teams import file_name
from insights.report.view import load_view
from tests.report.conftest import store_run

MARKDOWN = MarkdownIt("commonmark")
NOTE = "Waiting on the platform team: "


def test_which_causes_are_the_platform_teams():
    for reason in (*why.NOT_COLLECTED.values(), why.NOT_VISIBLE, why.ANALYTICS_ONLY, why.NO_GAPS,
                   why.unavailable("schedules", {"schedules": ""}),
                   why.unavailable("incidents", {"incidents": "GET /incidents answered HTTP 403"})):
        assert why.for_platform(reason), reason
    for reason in (why.NO_ANNOTATION, why.ID_MALFORMED, why.ID_NOT_FOUND, why.NO_OWNER, why.NO_POLICY,
                   why.NO_LEVEL1_SCHEDULE, why.NO_OPEN_INCIDENT, "pagerduty.oncall_gap_level1 is unknown",
                   "Schedules could not be read with this keyring", "x: Schedules could not be read with this key"):
        assert not why.for_platform(reason), reason


def test_team_files_and_pages_say_once_what_waits_on_the_platform_team(tmp_path, store, demo_catalog, demo_state,
                                                                        demo_now):
    view = load_view(store, store_run(store, demo_catalog, demo_state, demo_now))
    written = write_reports(store, view, tmp_path / "reports", ("teams", "md", "html"))
    unknown = view.results[view.results["outcome"] == "unknown"]
    platform = {r for r in unknown["reason"] if why.for_platform(r)}
    owners = {r for r in unknown["reason"] if not why.for_platform(r)}
    assert len(platform) >= 2 and why.NOT_COLLECTED["incident_response"] in platform and owners
    checked = 0
    for team in view.team_names:
        refs = set(view.team_members(team)["ref"])
        mine = unknown[unknown["entity_ref"].isin(refs)]
        waiting = {r for r in mine["reason"] if r in platform}
        text = (written["teams"] / f"{file_name(team)}.md").read_text()
        shown = plain(text)
        todo = [line for line in shown.splitlines() if line.startswith("First:") or line.startswith("[ ] First:")]
        first = section_items(text, "First")
        assert not [line for line in todo + first if any(reason in line for reason in platform)], team
        assert {r for r in mine["reason"] if r in owners} <= {r for r in owners if any(r in line for line in todo)}
        notes = [line for line in shown.splitlines() if line.startswith(NOTE)]
        assert len(notes) == (1 if waiting else 0), team
        if waiting:
            assert all(reason in notes[0] for reason in waiting), team
            checked += 1
        page = lxml.html.fromstring((tmp_path / "reports" / html.team_page(team)).read_bytes())
        for section in page.xpath("//section[@class='entity']"):
            ref = section.get("data-filter-text")
            firsts = " ".join(d.text_content() for d in section.xpath("div[@class='first']"))
            notes = [d.text_content() for d in section.xpath("div[@class='muted waiting']")]
            expected = {r for r in mine[mine["entity_ref"] == ref]["reason"] if r in platform}
            assert not any(reason in firsts for reason in platform), ref
            assert len(notes) == (1 if expected else 0) and all(r in notes[0] for r in expected), ref
    assert checked >= 3
    report = (tmp_path / "reports" / "report.md").read_text()
    listed = section_items(report, "Waiting on the platform team")
    assert sorted(item.rsplit(": ", 1)[0] for item in listed) == sorted(platform)
    assert all(re.search(r": \d+ unknown results, \d+ teams? wait on it$", item) for item in listed)


def test_explain_says_what_the_entity_waits_on_apart_from_what_to_do_first(store, demo_catalog, demo_state,
                                                                           demo_now):
    store_run(store, demo_catalog, demo_state, demo_now)
    sessions = explain_entity(store, "component:default/sessions")
    assert f"first:\n  {why.ID_MALFORMED}" in sessions and "waiting on the platform team:" not in sessions
    etl = explain_entity(store, "component:default/etl-scheduler")
    first = etl.split("\nfirst:\n")[1].split("\n\n")[0] if "\nfirst:\n" in etl else ""
    assert not [reason for reason in why.PLATFORM if reason in first]
    waiting = etl.split("\nwaiting on the platform team:\n")[1].split("\n\n")[0]
    assert f"  {why.NOT_COLLECTED['incident_response']} (3 checks wait on it)" in waiting.splitlines()


def plain(markdown: str) -> str:
    """The text a reader sees, one line per paragraph or list item (inline markup and escapes gone)."""
    return "\n".join(plain_inline(token) for token in MARKDOWN.parse(markdown) if token.type == "inline")


def section_items(markdown: str, heading: str) -> list[str]:
    """The list items under the `## heading` of a Markdown text, as plain text."""
    tokens, items, inside = MARKDOWN.parse(markdown), [], False
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            inside = tokens[i + 1].content == heading
        elif inside and token.type == "inline" and tokens[i - 2].type == "list_item_open":
            items.append(plain_inline(token))
    return items


def plain_inline(token) -> str:
    return "".join(c.content for c in token.children if c.type in ("text", "code_inline", "text_special"))
