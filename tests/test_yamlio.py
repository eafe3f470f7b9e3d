import resource

import pytest

from insights.errors import ConfigError
from insights.yamlio import MAX_DEPTH, MAX_EXPANDED, load_documents, load_one


def codes(documents):
    return [[p.code for p in d.problems] for d in documents]


def test_plain_scalars_follow_the_yaml_12_core_schema_as_backstage_reads_them():
    [document] = load_documents("a: 2022-11-23\nb: yes\nc: on\nd: true\ne: 1.10\nf: 1:20\ng: 0o10\nh: 010\n"
                                "i: 0x1F\nj: 1_000\nk: ~\nl: '5'\nm: !!str 5\nn: !custom text\no: .inf\n<<: base\n")
    assert document.data == {"a": "2022-11-23", "b": "yes", "c": "on", "d": True, "e": 1.1, "f": "1:20", "g": 8,
                             "h": 10, "i": 31, "j": "1_000", "k": None, "l": "5", "m": "5", "n": "text",
                             "o": float("inf"), "<<": "base"}
    assert document.data.raw["e"] == "1.10"


def test_key_lines_are_recorded_from_one():
    [document] = load_documents("# comment\nfirst: 1\nnested:\n  inner: 2\n")
    assert document.data.key_lines == {"first": 2, "nested": 3}
    assert document.data["nested"].key_lines == {"inner": 4}
    assert document.data.key_columns == {"first": 1, "nested": 1}


def test_documents_after_a_broken_one_are_still_read():
    documents = load_documents("a: 1\n---\nb: [1\n---\nc: 3\n...\nd: 4\n")
    assert [d.data for d in documents] == [{"a": 1}, None, {"c": 3}, {"d": 4}]
    assert codes(documents) == [[], ["yaml-invalid"], [], []]
    assert documents[1].error_line == 4 and documents[2].line == 5 and documents[3].line == 7


def test_directives_stay_with_the_document_they_introduce():
    documents = load_documents("a: 1\n...\n%YAML 1.2\n---\nb: 2\n")
    assert [d.data for d in documents] == [{"a": 1}, {"b": 2}]


def test_non_string_keys_read_as_javascript_does_and_complex_keys_are_noted():
    [document] = load_documents("1: a\n1.0: b\ntrue: c\n~: d\n{x: 1}: e\n")
    assert list(document.data) == ["1", "true", "", '{"x": 1}'] and document.data["1"] == "b"
    assert [n.code for n in document.notes] == ["yaml-complex-key"]


def test_duplicate_keys_reject_the_document_with_both_lines():
    documents = load_documents("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n---\nok: 1\n")
    assert documents[0].data is None
    assert [(p.code, p.line, p.column, p.message) for p in documents[0].problems] == [
        ("yaml-duplicate-key", 4, 3, "duplicate key 'c' (first at line 3)"),
        ("yaml-duplicate-key", 5, 1, "duplicate key 'a' (first at line 1)")]
    assert documents[1].data == {"ok": 1}


def test_load_one_reports_duplicate_keys_with_file_line_and_column():
    with pytest.raises(ConfigError) as error:
        load_one("version: 1\nchecks: []\nversion: 2\n", path="scorecards.yaml")
    assert error.value.problems == ["scorecards.yaml:3:1: duplicate key 'version' (first at line 1)"]


def test_load_one_reports_file_and_line():
    with pytest.raises(ConfigError) as error:
        load_one("a: 1\nb: [\n", path="conf.yaml")
    assert error.value.problems[0].startswith("conf.yaml:3: invalid YAML")


def test_deep_nesting_is_a_problem_with_its_line_not_a_crash():
    text = "ok: 1\n---\n" + "[" * 300 + "]" * 300 + "\n---\nafter: 1\n"
    documents = load_documents(text)
    assert codes(documents) == [[], ["yaml-too-deep"], []]
    assert documents[1].problems[0].line == 3 and documents[1].problems[0].column == MAX_DEPTH + 1
    assert documents[2].data == {"after": 1}
    hundred_thousand = "- " * 1000 + "\n" + "[" * 100_000
    assert codes(load_documents(hundred_thousand)) == [["yaml-too-deep"]]


def test_nesting_up_to_the_limit_is_read():
    [document] = load_documents("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert document.problems == ()


def bomb(levels: int, width: int = 10) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bombs_are_refused_while_loading_without_growing_memory():
    text = bomb(9)  # 80 aliases, about 10**9 nodes when expanded
    assert len(text) < 700
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    documents = load_documents(text + "---\nafter: 1\n")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert codes(documents) == [["yaml-too-large"], []]
    assert documents[0].problems[0].line == 6  # a5: where the expansion passed the limit
    assert documents[1].data == {"after": 1}
    assert grown_mb < 100


def test_aliases_below_the_limit_are_expanded_as_shared_values():
    [document] = load_documents(bomb(3))
    assert len(document.data["a2"]) == 10 and document.data["a2"][0] is document.data["a1"]


def test_long_strings_repeated_by_aliases_count_their_characters():
    text = f"a: &a {'x' * 100_000}\nb: [" + ", ".join(["*a"] * (MAX_EXPANDED // 100_000 + 1)) + "]\n"
    assert codes(load_documents(text)) == [["yaml-too-large"]]


def test_undefined_alias_and_broken_text_are_problems():
    assert codes(load_documents("a: *nope\n")) == [["yaml-invalid"]]
    assert codes(load_documents("a: \x07\n")) == [["yaml-invalid"]]
    assert load_documents("") == [] and load_documents("# only a comment\n") == []
