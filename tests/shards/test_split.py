"""The split of the sources between shards, and the staged form of entities and findings."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insights.catalog.model import Entity, Finding, Unresolved
from insights.catalog.validate import INTEGRATION_KEY, INTEGRATION_KEY_FORMAT
from insights.catalog.sources import CrawlSettings, Source, assemble, expand, read_sources
from insights.errors import ConfigError
from insights.shards import ShardSpec, parse_shard, shard_of
from insights.pagerduty.state import PagerDutyState
from insights.store.staging import (conceal, conceal_state, entity_from_payload, entity_payload, finding_from_payload,
                                    finding_payload)


def test_a_repository_keeps_its_shard_from_one_version_to_the_next():
    """Pinned: a changed hash would move every repository to another machine (and its cache) overnight."""
    assert [shard_of(Source("git", "https://github.com/acme/payments.git"), n) for n in range(1, 9)] == \
        [1, 1, 3, 1, 4, 3, 2, 5]
    assert [shard_of(Source("git", "git@github.com:acme/search.git"), n) for n in range(1, 9)] == \
        [1, 2, 3, 4, 5, 6, 4, 4]


def test_credentials_and_refs_do_not_move_a_repository():
    plain = Source("git", "https://git.example.com/acme/payments.git")
    for other in (Source("git", "https://ci:s3cret@git.example.com/acme/payments.git"),
                  Source("git", "https://git.example.com/acme/payments.git", ref="release")):
        assert [shard_of(other, n) for n in range(1, 20)] == [shard_of(plain, n) for n in range(1, 20)]


@pytest.mark.parametrize("source", [Source("folder", "services"), Source("file", "catalog-info.yaml"),
                                    Source("backstage", "https://backstage.example.com")])
def test_every_source_that_is_not_a_repository_is_shard_one(source):
    assert {shard_of(source, n) for n in range(1, 50)} == {1}


def test_repositories_spread_evenly():
    counts = Counter(shard_of(Source("git", f"https://github.com/acme/repo-{i}.git"), 8) for i in range(8000))
    assert sorted(counts) == list(range(1, 9))
    assert all(abs(n - 1000) < 4 * math.sqrt(1000) for n in counts.values()), counts


@pytest.mark.parametrize("text, spec", [("1/1", ShardSpec(1, 1)), ("3/4", ShardSpec(3, 4)), (" 2 / 8 ", ShardSpec(2, 8))])
def test_shard_specs(text, spec):
    assert parse_shard(text) == spec and str(spec) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["", "1", "0/4", "5/4", "1/1001", "-1/4", "a/b", "1/4/2"])
def test_shard_specs_refused(text):
    with pytest.raises(ConfigError, match="--shard must be K/N"):
        parse_shard(text)


def test_sources_read_apart_assemble_into_the_crawl(demo_catalog):
    """Reading each source on its own (as shards do) and assembling them in their order is the crawl itself."""
    from insights.resources import demo_data

    sources = [Source("folder", str(p)) for p in sorted((demo_data() / "catalog").iterdir()) if p.is_dir()]
    apart = [read for source in sources for read in read_sources([source], CrawlSettings())]
    assert assemble(apart) == assemble(read_sources(expand(sources), CrawlSettings())) == demo_catalog


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=5) | st.integers() | st.booleans(), children, max_size=3),
    max_leaves=12)


@given(links=st.lists(st.dictionaries(st.text(max_size=5) | st.integers(), yaml_values, max_size=3), max_size=3),
       annotations=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=10), max_size=3),
       title=st.none() | st.text())
def test_an_entity_comes_back_from_staging_as_facts_read_it(links, annotations, title):
    entity = Entity("component:default/x", "component", "default", "x", title=title, owner="group:default/a",
                    tags=("a", "b"), annotations={**annotations, "k": Unresolved("$text")}, links=tuple(links),
                    spec={"definition": "openapi: 3.0.0 ..."}, source="list:repos.txt", repository="r",
                    path="a/b.yaml", line=3)
    assert entity_from_payload(entity_payload(entity)) == replace(entity, spec={})


def test_a_mapping_that_uses_the_staging_marker_as_a_key_comes_back_too():
    entity = Entity("component:default/x", "component", "default", "x",
                    links=({"__pairs__": [[1, 2]], "n": float("inf")}, {1: "a", True: {2: [3]}}))
    assert entity_from_payload(entity_payload(entity)) == entity


def test_integration_keys_are_staged_concealed_and_match_the_accounts_concealed_alike():
    key = "0123456789abcdef0123456789abcdef"
    for written, staged in ((key, conceal(key)), (f"  {key}\n", conceal(key)), ("${{ values.key }}", "${{ values.key }}"),
                            ("0123456789ABCDEF0123456789ABCDEF", "0123456789ABCDEF0123456789ABCDEF")):
        entity = Entity("component:default/x", "component", "default", "x", annotations={INTEGRATION_KEY: written})
        assert entity_from_payload(entity_payload(entity)).annotations[INTEGRATION_KEY] == staged
        assert key not in entity_payload(entity)
    assert conceal(key) != key and INTEGRATION_KEY_FORMAT.match(conceal(key))
    state = PagerDutyState(services=[{"id": "P1", "integrations": [{"id": "I1", "integration_key": key}, {"id": "I2"}]},
                                     {"id": "P2"}])
    assert conceal_state(state).services == [
        {"id": "P1", "integrations": [{"id": "I1", "integration_key": conceal(key)}, {"id": "I2"}]}, {"id": "P2"}]


def test_no_fact_reads_an_entitys_spec(demo_catalog, demo_state, demo_now):
    """Staging leaves `spec` out: this fails the day a fact reads it."""
    from insights.facts.registry import compute_fact_table

    plain = [replace(entity, spec={}) for entity in demo_catalog.entities]
    with_spec, without = (compute_fact_table(entities, demo_state, demo_now) for entities in
                          (demo_catalog.entities, plain))
    assert any(entity.spec for entity in demo_catalog.entities)
    assert with_spec.values.equals(without.values) and with_spec.causes.equals(without.causes)


def test_a_finding_comes_back_from_staging_as_it_went():
    finding = Finding("yaml-invalid", "error", "invalid YAML: \u2028 ünïcode", "list:repos.txt", "a.yaml", 4, None)
    assert finding_from_payload(finding_payload(finding)) == finding
