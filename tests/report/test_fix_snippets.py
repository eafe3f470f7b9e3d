"""A fix's YAML snippet can be copied from the page into a descriptor: in Markdown it is a fenced code block
indented with plain spaces, in HTML it keeps its exact spaces, and a value shown in a fix cannot add lines to
it (so no PagerDuty or catalog value can pass for a snippet)."""

import textwrap
from collections import Counter

import lxml.html
import pandas as pd
import yaml
from markdown_it import MarkdownIt

from insights.report import html, write_reports
from insights.report.escape import md_fix
from insights.report.teams import file_name
from insights.report.view import load_view
from insights.rules.evaluate import evaluate_check
from insights.rules.model import Check, Condition, Rule
from tests.report.conftest import store_run

MARKDOWN = MarkdownIt("commonmark", {"html": True})


def fences(markdown: str) -> list[str]:
    return [token.content for token in MARKDOWN.parse(markdown) if token.type == "fence"]


def intended(fix: str):
    """What the fix's snippet means: its indented lines, out of their indentation, read as YAML."""
    lines = fix.splitlines()
    start = next((i for i, line in enumerate(lines) if line.endswith(":") and i + 1 < len(lines)
                  and lines[i + 1].startswith(" ")), None)
    if start is None:
        return None
    snippet = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        snippet.append(line)
    return yaml.safe_load(textwrap.dedent("\n".join(snippet)))


def test_team_file_snippets_load_as_the_yaml_the_fix_intends(tmp_path, store, demo_catalog, demo_state, demo_now):
    view = load_view(store, store_run(store, demo_catalog, demo_state, demo_now))
    written = write_reports(store, view, tmp_path / "reports", ("teams", "md"))
    results = view.results.assign(team=view.results["entity_ref"].map(view.members.set_index("ref")["team"]))
    failing = results[(results["outcome"] == "fail") & (results["fix"] != "")]
    seen = 0
    for team, rows in failing.groupby("team"):
        text = (written["teams"] / f"{file_name(team)}.md").read_text()
        assert "\u00a0" not in text
        wanted = Counter(repr(s) for s in map(intended, rows["fix"]) if s is not None)
        got = Counter(repr(yaml.safe_load(snippet)) for snippet in fences(text))
        assert got == wanted, team
        seen += sum(wanted.values())
    assert seen >= 5  # the demo fails has-description, has-runbook-link and the annotation checks
    sessions = (written["teams"] / "identity.md").read_text()
    assert {"metadata": {"description": "<what sessions does, in one line>"}} in map(yaml.safe_load, fences(sessions))
    assert "\u00a0" not in (tmp_path / "reports" / "report.md").read_text()


def test_html_fix_blocks_keep_their_exact_spaces(tmp_path, store, demo_catalog, demo_state, demo_now):
    view = load_view(store, store_run(store, demo_catalog, demo_state, demo_now))
    write_reports(store, view, tmp_path / "reports", ("html",))
    page = lxml.html.fromstring((tmp_path / "reports" / html.team_page("identity")).read_bytes())
    section = page.xpath(f"//section[@id='{html.anchor('component:default/sessions')}']")[0]
    shown = [div.text_content() for div in section.xpath("div[@class='fix']")]
    fixes = view.results[(view.results["entity_ref"] == "component:default/sessions")
                         & (view.results["outcome"] == "fail")]["fix"]
    assert sorted(shown) == sorted(f for f in fixes if f)
    description = next(s for s in shown if s.startswith("Add a description"))
    assert "\n  metadata:\n    description: <what sessions does" in description
    assert yaml.safe_load(textwrap.dedent(description.split(":", 1)[1])) == \
        {"metadata": {"description": "<what sessions does, in one line>"}}


def test_a_fence_inside_a_snippet_cannot_close_it():
    fix = "Add to catalog-info.yaml:\n  metadata:\n    description: \"```\\n# not a heading\"\n"
    (snippet,) = fences("- [ ] item\n\n" + "\n".join(md_fix(fix, indent="  ")) + "\n")
    assert yaml.safe_load(snippet) == {"metadata": {"description": "```\n# not a heading"}}


def test_indented_lines_not_after_a_colon_stay_prose():
    lines = md_fix("Fix it at\n javascript:alert(1) (Edit > Add rule).")
    assert fences("\n".join(lines)) == [] and "javascript:alert(1)" in lines[-1]


def test_a_value_cannot_add_lines_to_a_fix():
    """A policy name that would pass for a snippet stays on its line, quoted, in the fix's prose."""
    name = "x:\n  metadata:\n    annotations:\n      pagerduty.com/service-id: PEVIL01"
    facts = pd.DataFrame({"pagerduty.escalation_policy_name": [name], "pagerduty.escalation_levels": [1]},
                         index=pd.Index(["component:default/a"], dtype=object))
    check = Check("c", "c", Rule("condition", condition=Condition("pagerduty.escalation_levels", "greaterThan", 1)),
                  remediation='Add a level to "{pagerduty.escalation_policy_name}":\n  escalation_rules: 2')
    fix = evaluate_check(check, facts)["fix"].iloc[0]
    assert fix.splitlines() == [f'Add a level to "{name.replace(chr(10), " ")}":', "  escalation_rules: 2"]
    assert [yaml.safe_load(s) for s in fences("\n".join(md_fix(fix)))] == [{"escalation_rules": 2}]
