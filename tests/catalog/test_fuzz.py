"""Property tests: no bytes, no YAML and no JSON-like value makes the catalog reader raise; every problem
is a finding that says where it is."""

import json

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from insights.catalog.model import ERROR, WARNING
from insights.catalog.parse import parse_file, to_entity
from insights.catalog.severity import CODES
from insights.yamlio import load_documents

FILE_LEVEL = {"file-binary", "file-empty"}
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
keys = st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False))
json_like = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                          st.dictionaries(keys, inner, max_size=5)), max_leaves=40)
entity_like = st.fixed_dictionaries(
    {"apiVersion": st.one_of(st.just("backstage.io/v1alpha1"), json_like),
     "kind": st.one_of(st.sampled_from(["Component", "API", "Group", "User", "Location", "x"]), json_like),
     "metadata": st.one_of(st.fixed_dictionaries({"name": st.one_of(st.text(max_size=70), json_like)},
                                                 optional={"annotations": json_like, "tags": json_like,
                                                           "labels": json_like, "links": json_like,
                                                           "namespace": json_like}), json_like)},
    optional={"spec": json_like, "status": json_like})
# Text built from YAML's own syntax, so the parser gets far into it before anything breaks.
yaml_ish = st.text(alphabet=list(" \n\t-:?,[]{}&*!|>'\"#%@`~.0123456789abcxyz$<=\\"), max_size=300)


def check(findings, path="p.yaml"):
    for finding in findings:
        assert finding.code in CODES, finding
        assert finding.severity in (ERROR, WARNING)
        assert finding.path == path
        assert finding.line is not None or finding.code in FILE_LEVEL, finding
        assert len(finding.message) < 1000


@SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_with_findings(data):
    text = data.decode("utf-8", errors="replace")
    entities, findings = parse_file(text, source="s", repository="r", path="p.yaml")
    check(findings)


@SETTINGS
@given(yaml_ish)
def test_any_yaml_like_text_is_read_or_refused_with_findings(text):
    entities, findings = parse_file(text, source="s", repository="r", path="p.yaml")
    check(findings)
    assert all(d.problems or d.data is None or isinstance(d.data, (dict, list, str, int, float, bool))
               for d in load_documents(text))


@SETTINGS
@given(st.lists(entity_like, min_size=1, max_size=3), st.booleans())
def test_any_entity_written_as_yaml_or_json_is_judged_with_findings(entities, as_json):
    def plain(value):  # YAML and JSON keys are strings once written
        return json.loads(json.dumps(value, default=str))

    docs = [plain(e) for e in entities]
    text = "\n".join(json.dumps(d) if as_json else "---\n" + yaml.safe_dump(d) for d in docs)
    found, findings = parse_file(text, source="s", repository="r", path="p.yaml")
    check(findings)
    assert len(found) <= len(docs)


@SETTINGS
@given(st.one_of(entity_like, json_like))
def test_to_entity_never_raises_on_json_like_values(data):
    entity, problems = to_entity(data, source="api", repository="api", path="")
    for code, message, line, severity in problems:
        assert code in CODES and severity in (ERROR, WARNING)
    if entity is not None:
        assert entity.ref.count(":") >= 1 and "/" in entity.ref
