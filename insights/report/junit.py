"""JUnit XML that CI systems can open at any catalog size: a test suite per check holding a test case per
entity for which it fails (with the reason and the fix) or is unknown (skipped, with its cause), and one
passing case that stands for the entities it passes, is waived or does not apply to, counted in the
suite's properties. Every value goes through `clean`: XML 1.0 has no escape for control characters."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from insights.report.escape import clean
from insights.report.view import RunView

SUMMARISED = ("pass", "waived", "not-applicable")


def render(view: RunView) -> str:
    root = ElementTree.Element("testsuites", name=f"insights run {view.run['id']}")
    for check_id, rows in view.results.groupby("check_id", sort=True):
        outcomes = rows["outcome"]
        counts = outcomes.value_counts()
        listed = rows[outcomes.isin(("fail", "unknown"))]
        suite = ElementTree.SubElement(root, "testsuite", name=clean(check_id), tests=str(len(listed) + 1),
                                       failures=str(int(counts.get("fail", 0))),
                                       skipped=str(int(counts.get("unknown", 0))))
        properties = ElementTree.SubElement(suite, "properties")
        for outcome in ("pass", "fail", "unknown", "waived", "not-applicable"):
            ElementTree.SubElement(properties, "property", name=outcome, value=str(int(counts.get(outcome, 0))))
        summary = ", ".join(f"{int(counts.get(o, 0))} {o}" for o in SUMMARISED)
        ElementTree.SubElement(suite, "testcase", classname=clean(check_id), name=f"other entities ({summary})")
        for row in listed.itertuples():
            case = ElementTree.SubElement(suite, "testcase", classname=clean(check_id), name=clean(row.entity_ref))
            if row.outcome == "fail":
                ElementTree.SubElement(case, "failure", message=clean(row.reason)).text = clean(row.fix or row.reason)
            else:
                ElementTree.SubElement(case, "skipped", message=clean(f"unknown: {row.reason}"))
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)


def write(view: RunView, folder: Path) -> list[Path]:
    (folder / "junit.xml").write_text(render(view), encoding="utf-8")
    return [folder / "junit.xml"]
