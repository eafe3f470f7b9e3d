"""The escaping rules one by one, for any string (hypothesis), checked by rendering what they produce:
Markdown through markdown-it with raw HTML on, file names on the real file system."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from insights.report.escape import bounded, clean, csv_cell, md_code, md_fence, md_link, md_text, safe_url
from insights.report.teams import file_name

MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# Any code point, lone surrogates included, with Markdown's own characters made frequent.
ANY = st.text(st.one_of(st.characters(exclude_categories=()), st.sampled_from("\\`*_[]()<>!&#|~-+=.:/ \n\t\r")),
              max_size=80)


def inline(markdown: str) -> list:
    """The inline tokens of a one-paragraph Markdown text."""
    blocks = MARKDOWN.parse(markdown)
    assert [t.type for t in blocks] == ["paragraph_open", "inline", "paragraph_close"], markdown
    return blocks[1].children


def shown(value, limit: int = 300) -> str:
    return bounded(re.sub(r"\s+", " ", clean(value)).strip(), limit)


@pytest.mark.parametrize("url, link", [
    ("https://acme.pagerduty.com/service-directory/PABC123", True),
    ("http://wiki.example/runbook?a=1#b", True),
    ("HTTPS://ACME.EXAMPLE/x", True),
    ("javascript:alert(1)", False),
    ("JavaScript:alert(1)", False),
    ("java\tscript:alert(1)", False),
    (" javascript:alert(1)", False),
    ("\x01javascript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("vbscript:msgbox(1)", False),
    ("file:///etc/passwd", False),
    ("//evil.example/x", False),
    ("/relative/path", False),
    ("https:evil.example", False),
    ("https:///no-host", False),
    ("https://evil.example/a b", False),
    ("https://evil.example/\nx", False),
    ("https://[::1", False),
    ("https://" + "a" * 3000, False),
    ("", False), (None, False), (42, False),
])
def test_only_absolute_http_urls_are_links(url, link):
    assert safe_url(url) == (url if link else None)
    rendered = MARKDOWN.render(md_link("text", url))
    assert ("<a href=" in rendered) is link and "javascript" not in rendered.lower()


@settings(max_examples=400, deadline=None)
@given(ANY)
def test_md_text_renders_as_exactly_its_characters(value):
    expected = shown(value)
    if not expected:
        assert md_text(value) == ""
        return
    children = inline(md_text(value))
    assert {t.type for t in children} == {"text"}
    assert "".join(t.content for t in children) == expected


@settings(max_examples=200, deadline=None)
@given(ANY)
def test_md_text_stays_one_cell_in_a_table(value):
    text = MARKDOWN.render(f"| a | b |\n|---|---|\n| {md_text(value) or 'x'} | end |\n")
    assert text.count("<td>") == 2 and "<td>end</td>" in text


@settings(max_examples=300, deadline=None)
@given(ANY)
def test_md_code_is_one_code_span_holding_the_value(value):
    children = inline("see " + md_code(value))
    assert [t.type for t in children] == ["text", "code_inline"]
    assert children[1].content == (shown(value) or " ")


@settings(max_examples=300, deadline=None)
@given(ANY, st.sampled_from(["", "  "]))
def test_md_fence_is_one_code_block_no_line_can_close(value, indent):
    lines = md_fence(value, indent=indent)
    text = ("- [ ] item\n\n" if indent else "") + "\n".join(lines) + "\n\nafter\n"
    blocks = [t for t in MARKDOWN.parse(text) if t.type in ("fence", "code_block", "paragraph_open", "html_block")]
    fences = [t for t in blocks if t.type == "fence"]
    assert len(fences) == 1
    expected = [bounded(line.replace("\t", "    ").rstrip(), 400) for line in clean(value).splitlines()]
    assert fences[0].content == "".join(line + "\n" for line in expected)
    assert MARKDOWN.render(text).rstrip().endswith("<p>after</p>")


@given(ANY)
def test_csv_cells_never_start_like_a_formula(value):
    cell = csv_cell(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell.removeprefix("'") == clean(value) or cell == clean(value)


NAME = re.compile(r"[a-z0-9][a-z0-9._~-]{0,63}")
WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(exclude_categories=()), max_size=300))
def test_team_file_names_are_safe_and_bounded(team):
    name = file_name(team)
    assert NAME.fullmatch(name), name
    assert name.split(".")[0] not in WINDOWS_DEVICES
    assert name == team or "~" in name  # a name is either the team's own or carries its hash


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(exclude_categories=()), max_size=40), st.text(st.characters(exclude_categories=()), max_size=40))
def test_team_file_names_differ_for_different_teams(one, other):
    if one != other:
        assert file_name(one) != file_name(other)


def test_team_file_names_work_on_the_file_system(tmp_path):
    teams = ["payments", "Payments", "payments!", "PAYMENTS", "o" * 260, "a/../../etc", "..", ".", "", " ",
             "con", "nul.txt", "x\x00y", "x\ud800y", "ünïcödé", "名前", "team:default/x", "-lead-", "a" * 64]
    names = {file_name(team) for team in teams}
    assert len(names) == len(teams)
    for name in names:
        (tmp_path / f"{name}.md").write_text(name)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.md" for n in names)
    assert file_name("payments") == "payments" and file_name("Payments").startswith("payments~")
