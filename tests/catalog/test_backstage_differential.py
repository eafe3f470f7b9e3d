"""Our catalog reader against Backstage's own code (npm `@backstage/catalog-model` and `yaml`, run by node):
every document of ../shared/catalogs/real and 2,400 seeded generated entities, one verdict per document.

Validator level: our findings of the `yaml` and `backstage` levels (insights.catalog.severity) say
"error" exactly when Backstage refuses the document. One mapping is intended: Backstage answers "no
processor recognised the entity" both for a kind no built-in validator knows and for a built-in kind
written in another case or with an apiVersion it does not know for that kind; we say which (the first is
the `kind-unknown` warning, as a plugin may add the kind; the second an error naming the fix).

Policy level: our other findings (PagerDuty annotations, placeholders, files, duplicates, Locations,
limits) may make a document an error that Backstage accepts; each such code is listed in
INTENDED_DIFFERENCES with the reason, and nothing else may differ.
"""

from __future__ import annotations

import collections

import pytest

from insights.catalog.parse import parse_documents
from insights.catalog.severity import BACKSTAGE_VERDICT
from insights.catalog.validate import KINDS

BUILT_IN = {kind.lower() for kind in KINDS}
GENERATED = 2400

INTENDED_DIFFERENCES = {
    "kind-unknown": "Backstage refuses a kind that no installed processor knows; we warn, since a plugin "
                    "(the scaffolder for Template) may add it",
    "placeholder-annotation": "a PagerDuty annotation holding a template placeholder is a string to Backstage; "
                              "to us it points at no PagerDuty service",
    "annotation-malformed": "a PagerDuty id or key that cannot exist is a string to Backstage; the plugin would "
                            "find no service",
    "annotation-empty": "an empty PagerDuty annotation is a string to Backstage; it points at nothing",
    "annotation-key-misspelled": "a misspelt PagerDuty key is just another annotation to Backstage",
    "duplicate-entity": "Backstage keeps the first of two entities with one ref and reports a conflict on the "
                        "other at processing time; we report it as a finding",
    "location-target-missing": "Backstage reports a required Location target it cannot read when it processes "
                               "the Location; lint reads the target beside the file and reports it there",
    "location-escapes-root": "a Location target outside the source root is not read, for safety",
    "yaml-too-deep": "a depth limit Backstage does not have, far beyond real descriptors",
    "yaml-too-large": "an expanded-size limit Backstage has in another form (its alias count)",
}


def our_verdict(parsed) -> str:
    codes = {f.code for f in parsed.findings if f.severity == "error"}
    if codes & BACKSTAGE_VERDICT:
        return "error"
    if any(f.code == "kind-unknown" for f in parsed.findings):
        return "foreign"
    return "empty" if parsed.entity is None and not parsed.findings else "ok"


def expected_verdict(parsed, theirs: dict) -> str:
    if theirs["verdict"] == "foreign" and parsed.entity is not None and parsed.entity.kind in BUILT_IN:
        return "error"
    return theirs["verdict"]


def compare(texts: list[str], judge) -> tuple[list, list]:
    """(rows of (label, parsed, theirs), disagreements)."""
    rows, disagreements = [], []
    for number, (text, theirs) in enumerate(zip(texts, judge(texts))):
        parsed, _ = parse_documents(text, source="test", repository="test", path=f"{number}.yaml")
        if len(parsed) != len(theirs):
            disagreements.append((number, f"we read {len(parsed)} documents, Backstage {len(theirs)}"))
            continue
        for document, their in zip(parsed, theirs):
            rows.append((f"{number}#{document.index + 1}", document, their))
            if our_verdict(document) != expected_verdict(document, their):
                disagreements.append((number, document.index + 1, our_verdict(document), their,
                                      [(f.code, f.message) for f in document.findings], text[:600]))
    return rows, disagreements


@pytest.fixture(scope="module")
def real_texts(shared):
    return {path.name: path.read_text() for path in sorted((shared / "catalogs" / "real").glob("*.y*ml"))}


@pytest.fixture(scope="module")
def real_rows(real_texts, backstage_verdicts):
    return compare(list(real_texts.values()), backstage_verdicts)


@pytest.fixture(scope="module")
def generated_rows(entity_generator, backstage_verdicts):
    return compare(entity_generator.generate(GENERATED), backstage_verdicts)


def summary(rows) -> collections.Counter:
    return collections.Counter(their["verdict"] for _, _, their in rows)


def test_real_documents_get_backstages_verdicts(real_rows):
    rows, disagreements = real_rows
    assert disagreements == []
    assert len(rows) >= 100
    verdicts = summary(rows)
    assert verdicts["ok"] >= 80 and verdicts["error"] >= 5  # both outcomes are really exercised
    print(f"\nreal documents compared: {len(rows)}, agreed: {len(rows) - len(disagreements)}, {dict(verdicts)}")


def test_generated_entities_get_backstages_verdicts(generated_rows):
    rows, disagreements = generated_rows
    assert disagreements[:5] == []
    assert len(rows) == GENERATED
    verdicts = summary(rows)
    assert min(verdicts["ok"], verdicts["error"], verdicts["foreign"]) >= 150
    named = sum(their["verdict"] == "foreign" and our_verdict(parsed) == "error" for _, parsed, their in rows)
    assert named >= 20  # built-in kinds in another case or with another apiVersion
    print(f"\ngenerated documents compared: {len(rows)}, agreed: {len(rows) - len(disagreements)}, "
          f"{dict(verdicts)}; 'foreign' built-in kinds we name as errors: {named}")


def policy_differences(rows) -> collections.Counter:
    """Documents where our whole verdict (every error finding) differs from Backstage's, by the codes that
    explain it; fails on a difference no intended code explains."""
    counts: collections.Counter = collections.Counter()
    for label, parsed, their in rows:
        ours = {f.code for f in parsed.findings if f.severity == "error"}
        theirs_refused = their["verdict"] in ("error", "foreign")
        if bool(ours) == theirs_refused:
            continue
        explained = (ours - BACKSTAGE_VERDICT) if ours else {f.code for f in parsed.findings} & {"kind-unknown"}
        assert explained and explained <= set(INTENDED_DIFFERENCES), (label, ours, their)
        counts.update(explained)
    return counts


def test_policy_findings_differ_only_as_documented(real_rows, generated_rows):
    real = policy_differences(real_rows[0])
    generated = policy_differences(generated_rows[0])
    assert real["kind-unknown"] == 2  # the scaffolder's Template kind
    assert generated["kind-unknown"] >= 150 and generated["annotation-malformed"] >= 5
    assert generated["placeholder-annotation"] >= 5 and generated["annotation-empty"] >= 1
    print(f"\nintended differences, real documents: {dict(real)}; generated: {dict(generated)}")


def test_catalog_lint_on_each_real_file_agrees_with_backstage(shared, real_texts, backstage_verdicts):
    """`insights catalog lint FILE` fails exactly the files Backstage refuses, plus those whose only errors
    are intended differences; a file whose only finding is PagerDuty's own integration-key annotation passes."""
    import json

    from click.testing import CliRunner

    from insights.cli import cli

    folder = shared / "catalogs" / "real"
    verdicts = dict(zip(real_texts, backstage_verdicts(list(real_texts.values()))))
    outcomes = collections.Counter()
    for name, documents in verdicts.items():
        result = CliRunner().invoke(cli, ["catalog", "lint", str(folder / name), "--format", "json"])
        assert result.exit_code in (0, 1), (name, result.output)
        errors = {f["code"] for f in json.loads(result.output)["findings"] if f["severity"] == "error"}
        refused = any(d["verdict"] == "error" for d in documents)
        assert (result.exit_code == 1) == bool(errors), name
        if refused:
            assert errors & BACKSTAGE_VERDICT, f"{name}: Backstage refuses it, lint passes it"
        elif errors:
            assert errors <= set(INTENDED_DIFFERENCES), f"{name}: {errors - set(INTENDED_DIFFERENCES)}"
        outcomes["refused by both" if refused else "intended difference" if errors else "passed by both"] += 1
    assert outcomes["refused by both"] >= 5 and outcomes["passed by both"] >= 20
    key_only = CliRunner().invoke(cli, ["catalog", "lint", str(folder / "RoadieHQ__sample-service__pear-test-service.yaml")])
    assert key_only.exit_code == 0 and "[integration-key-exposed]" in key_only.output
    print(f"\ncatalog lint on {len(verdicts)} real files: {dict(outcomes)}")
