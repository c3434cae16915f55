"""Our FHIR resources as validators that are not ours read them (issue 26, item 5): the
official R4 JSON schema, @medplum/core with the R4 definitions and the R4 profiles the CPG
profiles derive from, and every R4 invariant through fhirpathpy (fhir_validation.py). Each
validator is shown to catch what it is there to catch, so 0 errors means something."""

import copy

import pytest

from . import fhir_validation
from .fhir_validation import ValidatorsMissing, validate, validate_all
from .test_fhir import SITE, site_url  # noqa: F401 - SITE_URL is test_fhir.py's for each test

URLS = {
    "PlanDefinition": "/api/pathways/infant-mental-health/fhir",
    "Library": "/fhir/Library/infant-mental-health",
    "CodeSystem": "/fhir/CodeSystem/pathway-navigator",
}


@pytest.fixture
def resources(client, imh) -> dict[str, dict]:
    found = {}
    for kind, url in URLS.items():
        response = client.get(url)
        assert response.status_code == 200
        found[kind] = response.json()
        assert found[kind]["resourceType"] == kind
    return found


def test_the_plan_definition_library_and_code_system_have_no_errors(resources):
    # One run of the node validators for the three; each resource's own list of errors.
    assert validate_all(list(resources.values())) == [[], [], []]


def test_the_json_schema_rejects_a_language_r4_does_not_allow(resources):
    plan = copy.deepcopy(resources["PlanDefinition"])
    plan["action"][0]["condition"][0]["expression"]["language"] = "text/cql-expression"
    errors = validate(plan)
    assert any(
        error.startswith("schema: .action[0].condition[0].expression.language") for error in errors
    ), errors


def test_medplum_holds_the_plan_and_library_to_the_r4_profiles_cpg_builds_on(resources):
    plan = copy.deepcopy(resources["PlanDefinition"])
    del plan["library"], plan["version"]
    plan["action"][0]["participant"] = [{"role": {"text": "Health Visiting"}}]
    library = copy.deepcopy(resources["Library"])
    del library["type"]
    plan_errors, library_errors = validate_all([plan, library])
    assert (
        "medplum: computableplandefinition: PlanDefinition.library Missing required property"
        in (plan_errors)
    )
    assert "medplum: shareableplandefinition: PlanDefinition.version Missing required property" in (
        plan_errors
    )
    assert (
        "medplum: PlanDefinition: PlanDefinition.action[0].participant[0].type "
        "Missing required property"
    ) in plan_errors
    assert "medplum: Library: Library.type Missing required property" in library_errors


def test_the_r4_invariants_catch_narrative_ranges_and_extensions(resources):
    plan = copy.deepcopy(resources["PlanDefinition"])
    plan["text"]["div"] = '<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script></div>'
    plan["action"][0]["timingRange"]["low"]["value"] = 9999  # low above high: rng-2
    plan["extension"][0]["extension"] = [{"url": "part", "valueCode": "x"}]  # and a value: ext-1
    invariants = [e for e in validate(plan) if e.startswith("invariant:")]
    assert [e.split(":")[1].split()[-1] for e in invariants] == [
        "txt-1",
        "txt-2",
        "ext-1",
        "rng-2",
    ], invariants
    assert invariants[0].startswith("invariant: .text.div txt-1")
    assert invariants[3].startswith("invariant: .action[0].timingRange rng-2")


def test_an_element_r4_does_not_have_is_an_error_not_a_pass(resources):
    code_system = {**resources["CodeSystem"], "colour": "blue"}
    errors = validate(code_system)
    assert any(e.startswith("schema:") and "additional" in e for e in errors), errors
    assert "invariant: .colour: CodeSystem.colour is not an element of R4" in errors


def test_without_the_node_packages_the_tests_fail_saying_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setattr(fhir_validation, "TOOLS", tmp_path)
    with pytest.raises(ValidatorsMissing, match="cd tests/integration/validators && npm ci"):
        validate({"resourceType": "CodeSystem"})


def test_a_resource_in_a_bundle_entry_is_checked_as_its_own_type(resources):
    plan = copy.deepcopy(resources["PlanDefinition"])
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": plan}]}
    assert fhir_validation.invariant_errors(bundle) == []
    plan["action"][0]["timingRange"]["low"]["value"] = 9999  # low above high: rng-2
    plan["colour"] = "blue"
    errors = fhir_validation.invariant_errors(bundle)
    assert [e.split(":")[0] for e in errors] == [
        ".entry[0].resource.action[0].timingRange rng-2",
        ".entry[0].resource.colour",
    ], errors
    assert "PlanDefinition.colour is not an element of R4" in errors[1]
    bundle["entry"].append({"resource": {"resourceType": "Nonsense"}})
    assert ".entry[1].resource: 'Nonsense' is not a resource type of R4" in (
        fhir_validation.invariant_errors(bundle)
    )


def test_a_contained_resource_is_checked_as_its_own_type_and_must_be_referenced(resources):
    plan = copy.deepcopy(resources["PlanDefinition"])
    del plan["text"], plan["meta"]
    code_system = copy.deepcopy(resources["CodeSystem"])
    del code_system["text"], code_system["meta"]
    plan["contained"] = [{**code_system, "id": "codes"}]
    plan["relatedArtifact"].append(
        {"type": "depends-on", "display": "Our codes", "resource": "#codes"}
    )
    assert fhir_validation.invariant_errors(plan) == []
    concept = plan["contained"][0]["concept"][0]
    concept["concept"] = [{"code": concept["code"]}]  # a code defined twice: csd-1
    errors = fhir_validation.invariant_errors(plan)
    assert [e.split()[0:2] for e in errors] == [[".contained[0]", "csd-1:"]], errors
    plan["relatedArtifact"].pop()  # nothing refers to it now: dom-3
    assert "/ dom-3" in [e.split(":")[0] for e in fhir_validation.invariant_errors(plan)]
