from insights.catalog.parse import parse_file

COMPONENT = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  namespace: {namespace}
  annotations:
{annotations}
spec:
  type: service
  lifecycle: production
  owner: {owner}
  system: shop
"""


def parse(text, path="catalog-info.yaml"):
    return parse_file(text, source="test", repository="repo", path=path)


def component(name="checkout", namespace="default", owner="payments", annotations="    a: b"):
    return COMPONENT.format(name=name, namespace=namespace, owner=owner, annotations=annotations)


def codes(findings):
    return [f.code for f in findings]


def test_refs_are_normalised_with_default_kinds_and_the_entitys_namespace():
    [entity], findings = parse(component(name="Checkout", namespace="shop", owner="Payments"))
    assert findings == []
    assert entity.ref == "component:shop/checkout"
    assert entity.owner == "group:shop/payments"
    assert entity.system == "system:shop/shop"
    assert (entity.path, entity.line) == ("catalog-info.yaml", 1)


def test_owner_with_kind_and_namespace_is_kept():
    [entity], _ = parse(component(owner="user:people/jdoe"))
    assert entity.owner == "user:people/jdoe"


def test_one_broken_document_does_not_lose_its_neighbours():
    text = component(name="first") + "---\n- just a list\n---\n" + component(name="second") + "---\n"
    entities, findings = parse(text)
    assert [e.name for e in entities] == ["first", "second"]
    assert codes(findings) == ["document-not-mapping"]
    assert findings[0].line == 14  # the `---` that starts the second document


def test_unquoted_date_and_yes_in_annotations_stay_strings_and_numbers_are_refused_as_backstage_does():
    [entity], findings = parse(component(annotations="    acme.com/since: 2022-11-23\n    acme.com/flag: yes\n"
                                                      "    acme.com/version: 1.10"))
    assert entity.annotations == {"acme.com/since": "2022-11-23", "acme.com/flag": "yes"}
    [finding] = findings
    assert (finding.code, finding.severity, finding.line) == ("annotation-not-string", "error", 9)
    assert 'quote it: acme.com/version: "1.10"' in finding.message


def test_required_fields_and_names_are_validated_with_lines():
    text = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: -bad-\nspec:\n  type: service\n"
    [entity], findings = parse(text)
    assert ("name-invalid", 4) in [(f.code, f.line) for f in findings]
    assert sorted(f.message for f in findings if f.code == "spec-field-missing") == [
        "`spec.lifecycle` is required for kind Component", "`spec.owner` is required for kind Component"]


def test_unknown_root_key_and_missing_name():
    _, findings = parse("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {}\nextra: 1\n")
    assert {"unknown-root-key", "name-missing"} <= set(codes(findings))


def test_binary_empty_and_comment_only_files():
    assert codes(parse("a\x00b")[1]) == ["file-binary"]
    assert codes(parse("")[1]) == ["file-empty"]
    assert codes(parse("# nothing here\n")[1]) == ["file-empty"]


def test_pagerduty_annotation_problems_are_findings():
    cases = {
        "    pagerduty.com/service-id: ${{ values.id }}": "placeholder-annotation",
        "    pagerduty.com/service-id: PXXXXXX": "placeholder-annotation",
        "    pagerduty.com/service-id: '[SERVICE-ID]'": "placeholder-annotation",
        "    pagerduty.com/service-id: <your id>": "placeholder-annotation",
        "    pagerduty.com/service-id: p123": "annotation-malformed",
        "    pagerduty.com/service-id: ''": "annotation-empty",
        "    pagerduty.com/servide-id: PABC123": "annotation-key-misspelled",
        "    pagerduty.com/integration-key: 0123456789abcdef0123456789abcdef": "integration-key-exposed",
    }
    for annotation, code in cases.items():
        _, findings = parse(component(annotations=annotation))
        assert code in codes(findings), (annotation, codes(findings))
        assert all(f.line == 7 for f in findings if f.code == code)


def test_both_annotations_and_any_kind_in_scope():
    both = "    pagerduty.com/service-id: PABC123\n    pagerduty.com/integration-key: 0123456789abcdef0123456789abcdef"
    assert "annotation-both-set" in codes(parse(component(annotations=both))[1])
    group = ("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team\n  annotations:\n"
             "    pagerduty.com/service-id: PABC123\nspec:\n  type: team\n  children: []\n")
    [entity], findings = parse(group)
    assert findings == [] and entity.annotations["pagerduty.com/service-id"] == "PABC123"
    resource = ("apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: db\n  annotations:\n"
                "    pagerduty.com/service-id: p-bad\nspec:\n  type: database\n  owner: team\n")
    assert codes(parse(resource)[1]) == ["annotation-malformed"]


def test_an_integration_key_is_a_warning_unless_the_configuration_raises_it():
    key = "    pagerduty.com/integration-key: 0123456789abcdef0123456789abcdef"
    [finding] = parse(component(annotations=key))[1]
    assert (finding.code, finding.severity) == ("integration-key-exposed", "warning")
    raised = parse_file(component(annotations=key), source="t", repository="r", path="p",
                        severity={"integration-key-exposed": "error"})[1]
    assert [(f.code, f.severity) for f in raised] == [("integration-key-exposed", "error")]


def test_a_well_formed_service_id_gives_no_finding():
    [entity], findings = parse(component(annotations="    pagerduty.com/service-id: PABC123"))
    assert findings == [] and entity.annotations["pagerduty.com/service-id"] == "PABC123"


def test_a_mistyped_integration_key_is_not_quoted_whole():
    typo = "0123456789abcdef0123456789abcdeZ"  # 32 characters, one of them not hexadecimal
    [finding] = parse(component(annotations=f"    pagerduty.com/integration-key: {typo}"))[1]
    assert finding.code == "annotation-malformed"
    assert typo[:-4] not in finding.message and "ending in 'cdeZ'" in finding.message
