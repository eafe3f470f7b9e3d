"""JUnit XML that CI systems can open at any catalog size: a test suite per check holding a test case per
entity for which it fails (with the reason and the fix) or is unknown (skipped, with its cause), and one
passing case that stands for the entities it passes, is waived or does not apply to, counted in the
suite's properties. Every value goes through `clean`: XML 1.0 has no escape for control characters."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import _escape_attrib, _escape_cdata  # the escaping ElementTree writes with

from insights.report.escape import clean
from insights.report.view import RunView

SUMMARISED = ("pass", "waived", "not-applicable")
OUTCOMES = ("pass", "fail", "unknown", "waived", "not-applicable")


class _Escaped(dict):
    """Each distinct value cleaned and escaped once (a reason or an entity repeats across thousands of rows)."""

    def __init__(self, escape):
        super().__init__()
        self.escape = escape

    def __missing__(self, value):
        self[value] = text = self.escape(clean(value))
        return text


def lines(view: RunView):
    """The document in pieces, as ElementTree would write it (`ElementTree.tostring(..., xml_declaration=True)`:
    one line after the declaration, attributes in the order given, empty elements as `<tag ... />`), built
    from strings rather than a tree of a million elements."""
    attr, text = _Escaped(_escape_attrib), _Escaped(_escape_cdata)
    yield "<?xml version='1.0' encoding='utf-8'?>\n"
    root = f'<testsuites name="{attr["insights run " + str(view.run["id"])]}"'
    if not len(view.results):
        yield root + " />"
        return
    yield root + ">"
    for check_id, rows in view.results.groupby("check_id", sort=True):
        outcomes = rows["outcome"]
        counts = outcomes.value_counts()
        listed = rows[outcomes.isin(("fail", "unknown"))]
        name = attr[check_id]
        yield (f'<testsuite name="{name}" tests="{len(listed) + 1}" failures="{int(counts.get("fail", 0))}" '
               f'skipped="{int(counts.get("unknown", 0))}"><properties>')
        yield "".join(f'<property name="{o}" value="{int(counts.get(o, 0))}" />' for o in OUTCOMES)
        summary = ", ".join(f"{int(counts.get(o, 0))} {o}" for o in SUMMARISED)
        yield f'</properties><testcase classname="{name}" name="{attr[f"other entities ({summary})"]}" />'
        case = f'<testcase classname="{name}" name="'
        columns = (listed[c].tolist() for c in ("entity_ref", "outcome", "reason", "fix"))
        for ref, outcome, reason, fix in zip(*columns):
            if outcome == "fail":
                body = text[fix or reason]
                inner = (f'<failure message="{attr[reason]}">{body}</failure>' if body else
                         f'<failure message="{attr[reason]}" />')
            else:
                inner = f'<skipped message="{attr[f"unknown: {reason}"]}" />'
            yield f'{case}{attr[ref]}">{inner}</testcase>'
        yield "</testsuite>"
    yield "</testsuites>"


def render(view: RunView) -> str:
    return "".join(lines(view))


def write(view: RunView, folder: Path) -> list[Path]:
    with open(folder / "junit.xml", "w", encoding="utf-8") as out:
        out.writelines(lines(view))
    return [folder / "junit.xml"]
