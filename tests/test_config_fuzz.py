"""Property: whatever a configuration or check file holds, loading it gives a Config or a ConfigError whose
every problem starts with the file and a place in it, never another exception."""

import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights.config import TOP_KEYS, load_config
from insights.configsections import CATALOG, GATES, PAGERDUTY, STORE, WAIVERS
from insights.errors import ConfigError
from insights.facts.registry import FACTS
from insights.rules.model import APPLIES_TO_FACTS
from insights.rules.operators import OPERATORS
from insights.rules.parse import CHECK_FIELDS

TRICKY = ["builtin", "1e400", ".", "..", "/", "has-owner", "x.yaml", "https://a.example", "us", "a\x00b", "\n", "*",
          "-1", "git@h:p", "file:///", "https://:0", "[::1]", "https://a.example:99999", "~", "${HOME}", "", "\x00", "a\tb"]
scalars = st.one_of(st.sampled_from(TRICKY), st.none() | st.booleans() | st.integers() | st.floats()
                    | st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6) | st.sampled_from(sorted(TOP_KEYS)), inner, max_size=3),
                      max_leaves=8)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def section(fields):
    return st.dictionaries(st.sampled_from(sorted(fields)), values, max_size=len(fields))


def anything_or(known):
    return st.one_of(values, known)


conditions = st.fixed_dictionaries({}, optional={
    "fact": anything_or(st.sampled_from(sorted(FACTS))), "operator": anything_or(st.sampled_from(sorted(OPERATORS))),
    "value": anything_or(st.fixed_dictionaries({"fact": st.sampled_from(sorted(FACTS))}))})
rules = st.recursive(conditions | values, lambda inner: st.dictionaries(
    st.sampled_from(["all", "any", "not"]), st.lists(inner, max_size=3) | inner, min_size=1, max_size=2), max_leaves=6)
applies = st.dictionaries(st.sampled_from(sorted(APPLIES_TO_FACTS)) | st.text(max_size=4), values, max_size=3)
checks = st.lists(st.fixed_dictionaries({}, optional={
    **{key: values for key in CHECK_FIELDS}, "id": anything_or(st.sampled_from(["a", "b", "has-owner"])),
    "rule": rules, "applies_to": anything_or(applies | st.lists(applies, max_size=2))}) | values, max_size=4)
scorecards = st.lists(st.fixed_dictionaries({}, optional={
    "id": anything_or(st.just("s")), "name": values, "applies_to": anything_or(applies),
    "weights": anything_or(st.dictionaries(st.sampled_from(["a", "b"]), values, max_size=2)),
    "levels": anything_or(st.lists(st.fixed_dictionaries({}, optional={
        "name": values, "checks": anything_or(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3))}), max_size=3))}),
    max_size=3)
KINDS = ["folder", "file", "git", "repositories", "backstage"]
sources = st.lists(st.sampled_from(KINDS).flatmap(lambda kind: st.fixed_dictionaries(
    {kind: values}, optional={key: values for key in ["globs", "ref", "token_env", "filter", *KINDS] if key != kind}))
    | values,
    max_size=3)
configs = st.fixed_dictionaries({}, optional={
    "version": values, "catalog": anything_or(st.builds(lambda d, s: {**d, "sources": s}, section(CATALOG), sources)),
    "pagerduty": anything_or(section(PAGERDUTY)), "store": anything_or(section(STORE)),
    "gates": anything_or(section(GATES)), "waivers": anything_or(section(WAIVERS)),
    "checks": anything_or(st.just(["checks"])), "scorecards": anything_or(scorecards)})


def assert_loads_or_points_at_a_place(folder: Path):
    path = folder / "scorecards.yaml"
    try:
        load_config(path)
    except ConfigError as error:
        assert error.problems
        # the file itself, or a check file it names (`checks: [..]` may name any folder)
        place = re.compile(r"^/[^:]+(:\d+(:\d+)?: |: )")
        for problem in error.problems:
            assert place.match(problem), problem


def write(folder: Path, config_text: str, checks_text: str | None = None) -> Path:
    (folder / "scorecards.yaml").write_text(config_text, errors="surrogatepass")
    if checks_text is not None:
        (folder / "checks").mkdir(exist_ok=True)
        (folder / "checks" / "c.yaml").write_text(checks_text, errors="surrogatepass")
    return folder


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=False, sort_keys=False)


@SETTINGS
@given(config=configs, check_items=checks)
def test_any_value_in_any_key_gives_a_config_or_located_errors(config, check_items):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write(folder, dump(config), dump(check_items))
        assert_loads_or_points_at_a_place(folder)


@SETTINGS
@given(config=values, check_items=values)
def test_any_yaml_document_gives_a_config_or_located_errors(config, check_items):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write(folder, dump({"checks": ["checks"], "x": config}) if isinstance(config, bool) else dump(config),
              dump(check_items))
        assert_loads_or_points_at_a_place(folder)


@SETTINGS
@given(text=st.text(st.characters(blacklist_categories=["Cs"]), max_size=200)
       | st.sampled_from(["version: 1\ncatalog: {", "checks: [checks]\n", "\ufeffversion: 1", "a: &a [*a]", "- !!python/object:os.system x"]),
       check_text=st.text(max_size=120) | st.just("- {id: a, name: A, rule: {fact: catalog.has_owner}}"))
def test_any_text_gives_a_config_or_located_errors(text, check_text):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write(folder, text, check_text)
        assert_loads_or_points_at_a_place(folder)


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path):
    (tmp_path / "scorecards.yaml").write_bytes(b"version: \xff\xfe\n")
    assert_loads_or_points_at_a_place(tmp_path)
