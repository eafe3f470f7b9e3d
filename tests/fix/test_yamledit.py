"""One annotation set in a descriptor's text: exactly the expected bytes, or a refusal that says why."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from insights.fix.yamledit import Target, set_annotation
from insights.yamlio import load_documents

SERVICE_ID = "pagerduty.com/service-id"
A = Target("component", "default", "a")


def edit(text, value="PABC123", key=SERVICE_ID, target=A):
    return set_annotation(text, target, key, value)


CASES = {
    "no annotations, comments kept": (
        "# owned by payments\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a   # short\n"
        "  description: x\nspec:\n  type: service\n",
        "# owned by payments\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a   # short\n"
        "  description: x\n  annotations:\n    pagerduty.com/service-id: PABC123\nspec:\n  type: service\n"),
    "existing block, odd indentation, block scalar": (
        "kind: Component\nmetadata:\n    name: a\n    annotations:\n        # slug\n"
        "        github.com/project-slug: 'acme/x'   # keep\n        notes: |\n          one\n\n    tags:\n    - x\n"
        "# spec follows\nspec: {type: service}\n",
        "kind: Component\nmetadata:\n    name: a\n    annotations:\n        # slug\n"
        "        github.com/project-slug: 'acme/x'   # keep\n        notes: |\n          one\n\n"
        "        pagerduty.com/service-id: PABC123\n    tags:\n    - x\n# spec follows\nspec: {type: service}\n"),
    "flow annotations": (
        "kind: Component\nmetadata: {name: a, annotations: {x: \"y\"}}\n",
        "kind: Component\nmetadata: {name: a, annotations: {x: \"y\", pagerduty.com/service-id: PABC123}}\n"),
    "flow metadata without annotations": (
        "kind: Component\nmetadata: {name: a, title: A}\n",
        "kind: Component\nmetadata: {name: a, title: A, annotations: {pagerduty.com/service-id: PABC123}}\n"),
    "empty flow annotations": (
        "kind: Component\nmetadata:\n  name: a\n  annotations: {}\n",
        "kind: Component\nmetadata:\n  name: a\n  annotations: {pagerduty.com/service-id: PABC123}\n"),
    "annotations key with nothing under it": (
        "kind: Component\nmetadata:\n  name: a\n  annotations:\n  tags: [x]\n",
        "kind: Component\nmetadata:\n  name: a\n  annotations:\n    pagerduty.com/service-id: PABC123\n  tags: [x]\n"),
    "placeholder replaced in the second of three documents": (
        "kind: Group\nmetadata:\n  name: g\n---\n# the service\nkind: Component\nmetadata:\n  name: a\n  annotations:\n"
        "    pagerduty.com/service-id: ${{ values.id }}  # fill in\n---\nkind: Component\nmetadata:\n  name: b\n",
        "kind: Group\nmetadata:\n  name: g\n---\n# the service\nkind: Component\nmetadata:\n  name: a\n  annotations:\n"
        "    pagerduty.com/service-id: PABC123  # fill in\n---\nkind: Component\nmetadata:\n  name: b\n"),
    "empty value filled": (
        "kind: Component\nmetadata:\n  name: a\n  annotations:\n    pagerduty.com/service-id:\n",
        "kind: Component\nmetadata:\n  name: a\n  annotations:\n    pagerduty.com/service-id: PABC123\n"),
    "no newline at the end": (
        "kind: Component\nmetadata:\n  name: a\n  title: A",
        "kind: Component\nmetadata:\n  name: a\n  title: A\n  annotations:\n    pagerduty.com/service-id: PABC123\n"),
    "CRLF line ends": (
        "kind: Component\r\nmetadata:\r\n  name: a\r\n  annotations:\r\n    x: y\r\n",
        "kind: Component\r\nmetadata:\r\n  name: a\r\n  annotations:\r\n    x: y\r\n"
        "    pagerduty.com/service-id: PABC123\r\n"),
}


@pytest.mark.parametrize("before, after", CASES.values(), ids=CASES.keys())
def test_the_annotation_is_added_and_nothing_else_changes(before, after):
    result = edit(before)
    assert result.problem == ""
    assert result.text == after


def test_a_waiver_value_is_quoted_and_reads_back_as_written():
    result = edit("kind: Component\nmetadata:\n  name: a\n", "2026-12-31: the \"new\" team: Q1",
                  key="insights.dev/waive.oncall-now")
    assert result.text.endswith('  annotations:\n    insights.dev/waive.oncall-now: "2026-12-31: the \\"new\\" team: Q1"\n')
    assert load_documents(result.text)[0].data["metadata"]["annotations"] == {
        "insights.dev/waive.oncall-now": "2026-12-31: the \"new\" team: Q1"}


def test_the_same_value_is_left_alone():
    text = "kind: Component\nmetadata:\n  name: a\n  annotations:\n    pagerduty.com/service-id: PABC123\n"
    assert (edit(text).text, edit(text).method) == (text, "unchanged")


def test_the_entity_is_found_by_line_when_names_repeat_across_kinds():
    text = "kind: Component\nmetadata:\n  name: a\n---\nkind: Component\nmetadata:\n  name: a\n  namespace: eu\n"
    result = edit(text, target=Target("component", "eu", "a", line=5))
    assert result.text == text + "  annotations:\n    pagerduty.com/service-id: PABC123\n"


REFUSED = {
    "annotations is a list": ("kind: Component\nmetadata:\n  name: a\n  annotations: [x]\n", "not a mapping"),
    "multi-line value": ("kind: Component\nmetadata:\n  name: a\n  annotations:\n    pagerduty.com/service-id: |\n"
                         "      PXXXXXX\n", "more than a one-line value"),
    "entity gone": ("kind: Component\nmetadata:\n  name: b\n", "no document in the file defines component:default/a"),
    "defined twice": ("kind: Component\nmetadata:\n  name: a\n---\nkind: Component\nmetadata:\n  name: a\n",
                      "is defined 2 times"),
    "invalid YAML": ("kind: Component\nmetadata:\n  name: [a\n", "fix the YAML first"),
    "shared by an alias": ("kind: Component\nmetadata:\n  name: a\n  annotations: &shared\n    x: y\n"
                           "  labels: *shared\n", "documents would read differently"),
}


@pytest.mark.parametrize("text, problem", REFUSED.values(), ids=REFUSED.keys())
def test_what_cannot_be_edited_safely_is_refused_with_the_reason(text, problem):
    result = edit(text)
    assert result.text is None and problem in result.problem


@st.composite
def descriptors(draw):
    """Descriptors in the layouts people write: indentation, sequence style, comments, flow or block
    annotations or none, other documents around, CRLF, a final newline or not."""
    step = draw(st.sampled_from([2, 3, 4]))
    pad = " " * step
    comment = lambda: draw(st.sampled_from(["", "  # note", " #x"]))  # noqa: E731
    lines = [f"apiVersion: backstage.io/v1alpha1{comment()}", "kind: Component", f"metadata:{comment()}",
             f"{pad}name: a{comment()}"]
    if draw(st.booleans()):
        lines.append(f"{pad}# a comment line")
    annotations = draw(st.sampled_from(["none", "block", "flow", "empty"]))
    if annotations == "block":
        lines += [f"{pad}annotations:", f"{pad * 2}github.com/project-slug: acme/a{comment()}"]
    elif annotations == "flow":
        lines.append(f"{pad}annotations: {{github.com/project-slug: acme/a}}")
    elif annotations == "empty":
        lines.append(f"{pad}annotations:")
    if draw(st.booleans()):
        dash = draw(st.sampled_from(["", pad]))
        lines += [f"{pad}tags:", f"{pad}{dash}- x{comment()}", f"{pad}{dash}- y"]
    lines += ["spec:", f"{pad}type: service", f"{pad}owner: payments{comment()}"]
    document = "\n".join(lines)
    before = ["kind: Group\nmetadata:\n  name: g"] if draw(st.booleans()) else []
    after = ["kind: System\nmetadata:\n  name: s"] if draw(st.booleans()) else []
    text = "\n---\n".join(before + [document] + after) + draw(st.sampled_from(["", "\n", "\n# trailing\n"]))
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


@settings(max_examples=150, deadline=None)
@given(descriptors())
def test_every_common_layout_gets_the_annotation_with_every_old_line_intact(text):
    result = edit(text)
    assert result.problem == ""
    new = result.text
    prefix = next((i for i, (a, b) in enumerate(zip(text, new)) if a != b), len(text))
    # The old text, every comment and space of it, with one stretch inserted.
    assert len(new) > len(text) and new.endswith(text[prefix:])
    inserted = new[prefix:len(new) - (len(text) - prefix)]
    assert "pagerduty.com/service-id: PABC123" in inserted and "#" not in inserted
    documents = load_documents(result.text)
    entity = next(d.data for d in documents if d.data["kind"] == "Component")
    assert entity["metadata"]["annotations"][SERVICE_ID] == "PABC123"
    assert [d.data for d in documents if d.data["kind"] != "Component"] == \
        [d.data for d in load_documents(text) if d.data["kind"] != "Component"]


def test_a_file_nested_too_deeply_is_refused_not_crashed_on():
    text = "kind: Component\nmetadata:\n  name: a\n---\nx: " + "[" * 300 + "]" * 300 + "\n"
    assert "nests deeper than 64 levels" in edit(text).problem
