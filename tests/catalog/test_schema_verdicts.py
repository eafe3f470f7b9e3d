"""Our validation against Backstage's own JSON schemas (../shared/backstage/schema), on every document of
the real catalog files. The schemas are read from ../shared only; the project keeps its own rules."""

import json

import pytest

from insights.catalog.parse import to_entity
from insights.yamlio import load_documents
from tests.conftest import imported

jsonschema = imported("jsonschema")
referencing = imported("referencing")

# Verdicts on the document's shape, which the schemas also judge.
SCHEMA_CODES = {"unknown-root-key", "apiversion-missing", "apiversion-invalid", "kind-missing", "kind-invalid",
                "metadata-missing", "name-missing", "name-invalid", "namespace-invalid", "schema-violation",
                "spec-missing", "spec-field-missing", "annotation-not-string", "location-no-target"}
# Rules Backstage enforces outside the schemas (SOURCE.md: name, namespace and kind syntax).
SOURCE_MD_ONLY = {"name-invalid", "namespace-invalid", "kind-invalid"}


@pytest.fixture(scope="module")
def validators(shared):
    resources = {}
    for path in (shared / "backstage" / "schema").rglob("*.schema.json"):
        schema = json.loads(path.read_text())
        resources[schema["$id"]] = schema
    registry = referencing.Registry().with_resources(
        [(key, referencing.Resource.from_contents(value)) for key, value in resources.items()])
    by_kind = {}
    for key, schema in resources.items():
        kind = schema.get("allOf", [{}, {}])[1].get("properties", {}).get("kind", {}).get("enum", [None])[0]
        if kind:
            by_kind[kind.lower()] = jsonschema.Draft7Validator(schema, registry=registry)
    return by_kind, jsonschema.Draft7Validator(resources["Entity"], registry=registry)


def documents(shared):
    for path in sorted((shared / "catalogs" / "real").glob("*.y*ml")):
        for document in load_documents(path.read_text()):
            if document.error is None and isinstance(document.data, dict):
                yield path.name, document


def test_our_verdicts_agree_with_backstages_schemas(shared, validators):
    by_kind, generic = validators
    checked = 0
    for name, document in documents(shared):
        data = json.loads(json.dumps(document.data, default=str))
        validator = by_kind.get(str(data.get("kind", "")).lower(), generic)
        schema_errors = [e.message for e in validator.iter_errors(data)]
        _, problems = to_entity(document.data, source="", repository="", path=name)
        ours = {code for code, _, _, severity in problems if code in SCHEMA_CODES and severity == "error"}
        where = f"{name}:{document.line}"
        if schema_errors:
            assert ours, f"{where}: Backstage's schema rejects it ({schema_errors[0]}) but we accept it"
        else:
            assert ours <= SOURCE_MD_ONLY, f"{where}: the schema accepts it but we report {ours}"
        checked += 1
    assert checked >= 100
