import pytest

from insights.errors import ConfigError
from insights.yamlio import MAX_ALIASES, load_documents, load_one


def test_yaml_11_values_are_read_as_backstage_reads_them():
    [document] = load_documents("a: 2022-11-23\nb: yes\nc: on\nd: true\ne: 1.10\n")
    assert document.data == {"a": "2022-11-23", "b": "yes", "c": "on", "d": True, "e": 1.1}
    assert document.data.raw["e"] == "1.10"


def test_key_lines_are_recorded_from_one():
    [document] = load_documents("# comment\nfirst: 1\nnested:\n  inner: 2\n")
    assert document.data.key_lines == {"first": 2, "nested": 3}
    assert document.data["nested"].key_lines == {"inner": 4}


def test_documents_before_a_syntax_error_are_kept():
    documents = load_documents("a: 1\n---\nb: [1\n")
    assert documents[0].data == {"a": 1}
    assert documents[1].error and documents[1].error_line == 4


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]" for i in range(1, 20)]
    documents = load_documents("\n".join(lines))
    assert documents[-1].error and f"more than {MAX_ALIASES} aliases" in documents[-1].error


def test_load_one_reports_file_and_line():
    with pytest.raises(ConfigError) as error:
        load_one("a: 1\nb: [\n", path="conf.yaml")
    assert error.value.problems[0].startswith("conf.yaml:3: invalid YAML")
