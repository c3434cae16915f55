"""The FHIR REST surface under /fhir/ (issue 26, items 2 and 3): the CapabilityStatement, read
and search of every type in fhir_server.RESOURCES (the table drives these tests: a type added
there is read, searched, 304'd and its errors checked here), every error an OperationOutcome,
JSON only, and PlanDefinition/$apply selecting what the CDS card's rule and the page select."""

import importlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from pathways import ages
from pathways.integration import fhir_server
from pathways.integration.cds_hooks import applicable
from pathways.models import Pathway, Status
from pathways.operations import caching

from ..browsing.test_views import add_entries
from ..conftest import IMH_URL
from ..fuzz.test_fuzz import BYTES, FUZZ, encoded
from ..test_child_age import listed_items
from .fhir_r4 import FHIR_VERSION, ValidationError
from .fhir_validation import validate_all

SITE = "https://pathways.example.nhs.uk"
FHIR_JSON = "application/fhir+json"
TODAY = date(2026, 11, 23)
TYPES = list(fhir_server.RESOURCES)
APPLY = "/fhir/PlanDefinition/infant-mental-health/$apply"


@pytest.fixture(autouse=True)
def site_and_today(settings, monkeypatch):
    settings.SITE_URL = SITE
    monkeypatch.setattr(ages, "uk_today", lambda: TODAY)


# The types an area serves: none without one, so the table's tests read them with the
# example area (tests/local_area.py).
LOCAL_TYPES = {"Organization", "HealthcareService"}


@pytest.fixture(autouse=True)
def local_resources(request):
    callspec = getattr(request.node, "callspec", None)
    if callspec and callspec.params.get("resource_type") in LOCAL_TYPES:
        request.getfixturevalue("example_area")


def r4_model(resource_type: str):
    """fhir.resources' R4 model of a type (fhir_r4 has loaded every model module)."""
    return getattr(
        importlib.import_module(f"fhir.resources.{resource_type.lower()}"), resource_type
    )


def validate(resource: dict) -> None:
    """Raises ValidationError unless `resource` is valid R4, and its contained resources too."""
    r4_model(resource["resourceType"]).parse_obj(resource)
    for contained in resource.get("contained", []):
        validate(contained)


def body(response) -> dict:
    assert response["Content-Type"].startswith(FHIR_JSON)
    return json.loads(response.content)


def outcome_code(response) -> str:
    """The issue type of the one issue of an OperationOutcome answer."""
    outcome = body(response)
    assert outcome["resourceType"] == "OperationOutcome"
    validate(outcome)
    [issue] = outcome["issue"]
    assert issue["severity"] in {"error", "fatal"} and issue["diagnostics"]
    return issue["code"]


def current(resource_type: str) -> list[dict]:
    return [found.resource for found in fhir_server.RESOURCES[resource_type]()]


def parameters(*given: dict) -> str:
    return json.dumps({"resourceType": "Parameters", "parameter": list(given)})


def post_apply(client, *given: dict, path: str = APPLY):
    return client.post(path, parameters(*given), content_type=FHIR_JSON)


def served_examples(client) -> list[dict]:
    """One of each resource this surface serves: what every validator is run over."""
    bundle = body(client.get(f"/fhir/{TYPES[0]}"))
    born = {"name": "birthDate", "valueDate": (TODAY - timedelta(days=70)).isoformat()}
    gestation = {"name": "gestationalAge", "valueQuantity": {"value": 32, "code": "wk"}}
    return [
        body(client.get("/fhir/metadata")),
        bundle,
        *(entry["resource"] for entry in bundle["entry"]),
        *(body(client.get(f"/fhir/{name}/{r['id']}")) for name in TYPES for r in current(name)),
        body(post_apply(client, born, gestation)),
        body(client.get("/fhir/Patient/1")),
    ]


def test_every_resource_served_is_valid_r4(client, imh, example_area):
    examples = served_examples(client)
    assert FHIR_VERSION == fhir_server.FHIR_VERSION
    kinds = {resource["resourceType"] for resource in examples}
    assert {"CapabilityStatement", "Bundle", "CarePlan", "OperationOutcome", *TYPES} <= kinds
    for resource in examples:
        validate(resource)
    # And by the independent validators CI runs: the official R4 JSON schema, @medplum/core
    # with R4's definitions, and R4's invariants (tests/integration/fhir_validation.py).
    found = validate_all(examples)
    assert {
        f"{resource['resourceType']}/{resource.get('id', '')}": errors
        for resource, errors in zip(examples, found, strict=True)
        if errors
    } == {}


def test_the_independent_validators_catch_a_leaf_without_its_request(client, imh):
    care_plan = body(client.get(APPLY, {"age": "10w", "gestationalAge": "32"}))
    assert validate_all([care_plan]) == [[]]
    group = care_plan["contained"][0]
    leaf = group["action"][0]["action"][0]
    reference = leaf.pop("resource")["reference"]
    # The leaf's request is now referenced by nothing, and a second leaf names a missing one.
    group["action"][1]["action"][0]["resource"] = {"reference": "#nowhere"}
    [errors] = validate_all([care_plan])
    leaf_at = "invariant: .contained[0].action[0].action[0] rqg-1"
    assert any(e.startswith(leaf_at) for e in errors), errors
    assert any(e.startswith("medplum:") and "rqg-1" in e for e in errors), errors
    assert any(e.startswith("invariant: / dom-3") for e in errors), errors
    assert any(
        e.startswith("invariant: .contained[0].action[1].action[0].resource ref-1") for e in errors
    )
    assert reference.startswith("#entry-")


def test_the_validator_would_catch_a_malformed_care_plan(client, imh):
    care_plan = body(client.get(APPLY, {"age": "10w"}))
    del care_plan["intent"]
    with pytest.raises(ValidationError):
        validate(care_plan)


def test_metadata_states_every_type_its_interactions_and_apply(client, imh):
    response = client.get("/fhir/metadata")
    statement = body(response)
    assert statement["kind"] == "instance" and statement["fhirVersion"] == "4.0.1"
    assert "json" in statement["format"] and not any("xml" in f for f in statement["format"])
    [rest] = statement["rest"]
    assert [resource["type"] for resource in rest["resource"]] == TYPES
    for resource in rest["resource"]:
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
        searched = {p["name"] for p in resource.get("searchParam", [])}
        assert searched == fhir_server.searched_by(resource["type"])
    [plan] = [r for r in rest["resource"] if r["type"] == "PlanDefinition"]
    [operation] = plan["operation"]
    assert operation["definition"].endswith("/OperationDefinition/PlanDefinition-apply")
    for name in ("birthDate", "age", "gestationalAge", "subject", "data", "prefix"):
        assert f"`{name}`" in operation["documentation"]
    assert client.get("/fhir/metadata", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_resource_is_read_with_its_version_etag_and_last_modified(client, imh, resource_type):
    resources = current(resource_type)
    assert resources
    for resource in resources:
        response = client.get(f"/fhir/{resource_type}/{resource['id']}")
        assert response.status_code == 200
        served = body(response)
        meta = served.pop("meta")
        assert served == {k: v for k, v in resource.items() if k != "meta"}
        assert meta["versionId"] and meta["lastUpdated"]
        assert response["ETag"] == f'W/"{meta["versionId"]}"'
        assert response["Last-Modified"]
        assert "public" in response["Cache-Control"]
        again = client.get(f"/fhir/{resource_type}/{resource['id']}")
        assert again["ETag"] == response["ETag"]


@pytest.mark.parametrize("resource_type", TYPES)
def test_a_current_copy_is_answered_304_and_a_stale_one_in_full(client, imh, resource_type):
    path = f"/fhir/{resource_type}/{current(resource_type)[0]['id']}"
    etag = client.get(path)["ETag"]
    not_modified = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag and "public" in not_modified["Cache-Control"]
    assert client.get(path, HTTP_IF_NONE_MATCH='W/"stale"').status_code == 200
    search = client.get(f"/fhir/{resource_type}")
    assert (
        client.get(f"/fhir/{resource_type}", HTTP_IF_NONE_MATCH=search["ETag"]).status_code == 304
    )


def test_the_version_changes_when_the_plan_does(client, imh):
    path = "/fhir/PlanDefinition/infant-mental-health"
    before = client.get(path)
    imh.title = "Infant Mental Health (revised)"
    imh.save()  # a new content version, as an approval makes
    after = client.get(path, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert body(after)["meta"]["versionId"] != body(before)["meta"]["versionId"]
    assert body(after)["meta"]["lastUpdated"] >= body(before)["meta"]["lastUpdated"]


@pytest.mark.parametrize("resource_type", TYPES)
def test_search_by_url_and_version_gives_a_searchset_bundle(client, imh, resource_type):
    resources = current(resource_type)
    everything = body(client.get(f"/fhir/{resource_type}"))
    assert everything["type"] == "searchset" and everything["total"] == len(resources)
    # Those with a canonical URL (an area's Organization and services have none).
    for resource in (resource for resource in resources if "url" in resource):
        url, version = resource["url"], resource.get("version")
        queries = [{"url": url}]
        if version:
            queries += [{"url": url, "version": version}, {"url": f"{url}|{version}"}]
        for query in queries:
            found = body(client.get(f"/fhir/{resource_type}", query))
            assert found["total"] == 1
            [entry] = found["entry"]
            assert entry["fullUrl"] == f"{SITE}/fhir/{resource_type}/{resource['id']}"
            assert entry["resource"]["id"] == resource["id"]
            assert entry["search"] == {"mode": "match"}
        for query in ({"url": f"{url}-not"}, {"url": url, "version": "not-this-one"}):
            assert body(client.get(f"/fhir/{resource_type}", query))["total"] == 0


def test_a_draft_pathway_or_one_without_a_page_is_not_found_and_never_searched(client, imh):
    # Published with no published entries: no page, so no plan either.
    assert not Pathway.objects.public().filter(slug="parental-mental-health-and-wellbeing")
    Pathway.objects.filter(pk=imh.pk).update(status=Status.DRAFT)
    for slug in ("infant-mental-health", "parental-mental-health-and-wellbeing"):
        response = client.get(f"/fhir/PlanDefinition/{slug}")
        assert response.status_code == 404 and outcome_code(response) == "not-found"
        applied = post_apply(
            client,
            {"name": "age", "valueString": "10w"},
            path=f"/fhir/PlanDefinition/{slug}/$apply",
        )
        assert applied.status_code == 404 and outcome_code(applied) == "not-found"
    assert body(client.get("/fhir/PlanDefinition"))["total"] == 0


def test_the_code_system_keeps_its_canonical_address(client, imh):
    [code_system] = current("CodeSystem")
    assert code_system["url"] == f"{SITE}/fhir/CodeSystem/{code_system['id']}"
    assert body(client.get(f"/fhir/CodeSystem/{code_system['id']}"))["id"] == code_system["id"]


# Errors: every one an OperationOutcome with the right status and issue type.


def error_requests(resource_type: str, resource_id: str) -> list[tuple]:
    """(method, path, data, headers, status, issue code) for each kind of error of a type."""
    base = f"/fhir/{resource_type}"
    return [
        ("get", f"{base}/no-such-id", {}, {}, 404, "not-found"),
        ("get", base, {"name": "x"}, {}, 400, "not-supported"),
        ("get", base, {"_count": "5"}, {}, 400, "not-supported"),
        ("get", f"{base}/{resource_id}", {"_format": "xml"}, {}, 406, "not-supported"),
        ("get", base, {"_format": "application/fhir+xml"}, {}, 406, "not-supported"),
        (
            "get",
            f"{base}/{resource_id}",
            {},
            {"HTTP_ACCEPT": "application/fhir+xml"},
            406,
            "not-supported",
        ),
        ("post", base, {}, {}, 405, "not-supported"),
        ("put", f"{base}/{resource_id}", {}, {}, 405, "not-supported"),
        ("delete", f"{base}/{resource_id}", {}, {}, 405, "not-supported"),
        ("get", f"{base}/{resource_id}/_history/1", {}, {}, 404, "not-found"),
    ]


GENERAL_ERRORS = [
    ("get", "/fhir/Patient/1", {}, {}, 404, "not-supported"),
    ("get", "/fhir/Patient", {}, {}, 404, "not-supported"),
    ("get", "/fhir/", {}, {}, 404, "not-found"),
    ("get", "/fhir/a/b/c/d", {}, {}, 404, "not-found"),
    ("get", "/fhir/metadata", {"_format": "xml"}, {}, 406, "not-supported"),
    ("get", "/fhir/metadata", {}, {"HTTP_ACCEPT": "text/xml"}, 406, "not-supported"),
    ("post", "/fhir/metadata", {}, {}, 405, "not-supported"),
    ("get", "/fhir/PlanDefinition/x%00y", {}, {}, 400, "invalid"),
    ("get", "/fhir/PlanDefinition", {"url": "a\x00b"}, {}, 400, "invalid"),
    ("get", "/fhir/CodeSystem/$apply", {}, {}, 404, "not-found"),
    ("get", "/fhir/CodeSystem/pathway-navigator/$apply", {"age": "1y"}, {}, 404, "not-supported"),
    ("put", APPLY, {}, {}, 405, "not-supported"),
]


def send(client, method, path, data, headers):
    if method == "get":
        return client.get(path, data, **headers)
    return getattr(client, method)(path, **headers)


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_error_of_every_type_is_an_operation_outcome(client, imh, resource_type):
    resource_id = current(resource_type)[0]["id"]
    for method, path, data, headers, status, code in error_requests(resource_type, resource_id):
        response = send(client, method, path, data, headers)
        assert (path, data, response.status_code) == (path, data, status)
        assert outcome_code(response) == code
        assert "public" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(("method", "path", "data", "headers", "status", "code"), GENERAL_ERRORS)
def test_every_other_error_is_an_operation_outcome(
    client, imh, method, path, data, headers, status, code
):
    response = send(client, method, path, data, headers)
    assert response.status_code == status
    assert outcome_code(response) == code


def test_a_405_says_which_methods_are_allowed(client, imh):
    assert client.post("/fhir/PlanDefinition/infant-mental-health")["Allow"] == "GET, HEAD"
    assert client.put(APPLY)["Allow"] == "GET, POST"


def test_a_server_error_is_an_operation_outcome_that_gives_nothing_away(client, imh, monkeypatch):
    def broken():
        raise RuntimeError("A bug the reader must not see.")

    monkeypatch.setitem(fhir_server.RESOURCES, "Library", broken)
    client.raise_request_exception = False
    response = client.get("/fhir/Library/anything")
    assert response.status_code == 500
    assert outcome_code(response) == "exception"
    assert b"RuntimeError" not in response.content and b"must not see" not in response.content


def test_a_post_without_a_csrf_token_is_still_an_operation_outcome(imh):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post("/fhir/PlanDefinition").status_code == 405
    assert post_apply(client, {"name": "age", "valueString": "10w"}).status_code == 200


@pytest.mark.parametrize(
    "asked",
    [
        {"_format": "json"},
        {"_format": "application/json"},
        {"_format": "application/fhir+json"},
        {"HTTP_ACCEPT": "application/fhir+json"},
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_ACCEPT": "*/*"},
        {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"},
        {},
    ],
)
def test_json_is_served_however_it_is_asked_for(client, imh, asked):
    query = {k: v for k, v in asked.items() if k == "_format"}
    headers = {k: v for k, v in asked.items() if k != "_format"}
    for path in (
        "/fhir/metadata",
        "/fhir/PlanDefinition",
        "/fhir/PlanDefinition/infant-mental-health",
    ):
        response = client.get(path, query, **headers)
        assert response.status_code == 200
        assert body(response)["resourceType"]


def test_the_apis_fhir_404_is_an_operation_outcome(client, imh):
    response = client.get("/api/pathways/no-such-pathway/fhir")
    assert response.status_code == 404
    assert outcome_code(response) == "not-found"


# PlanDefinition/$apply: the same entries as the CDS card's rule and the same marks as the page.

CHILDREN = {
    "10 weeks, born at 32 weeks": (TODAY - timedelta(weeks=10), 32 * 7),
    "2 years, born at 32 weeks": (TODAY.replace(year=TODAY.year - 2), 32 * 7),
    "6 years": (TODAY.replace(year=TODAY.year - 6), None),
    "not yet due: born at 30 weeks, 4 weeks ago": (TODAY - timedelta(weeks=4), 30 * 7),
}


def applied_actions(client, born: date, gestation: int | None) -> dict[str, str | None]:
    given = [{"name": "birthDate", "valueDate": born.isoformat()}]
    if gestation is not None:
        quantity = {
            "value": gestation,
            "unit": "days",
            "system": "http://unitsofmeasure.org",
            "code": "d",
        }
        given.append({"name": "gestationalAge", "valueQuantity": quantity})
    response = post_apply(client, *given)
    assert response.status_code == 200
    care_plan = body(response)
    validate(care_plan)
    group = care_plan["contained"][0]
    assert care_plan["activity"] == [{"reference": {"reference": f"#{group['id']}"}}]
    assert group["resourceType"] == "RequestGroup"
    words = {f"Applies at {w}": mark for mark, w in ages.APPLIES_AT.items()}
    return {
        action["id"]: words[action["prefix"]] if "prefix" in action else None
        for action in group["action"]
    }


def page_marks(client, born: date, gestation: int | None) -> dict[str, str | None]:
    query = {"dob": born.isoformat()}
    if gestation is not None:
        query["born_at_weeks"] = f"{gestation // 7}+{gestation % 7}"
    items = listed_items(client.get(IMH_URL, query).content.decode())
    return {card_id: item.attrs.get("data-applies-at") for card_id, item in items.items()}


@pytest.mark.parametrize("child", CHILDREN)
def test_apply_selects_the_cds_rules_entries_marked_as_the_page_marks_them(client, imh, child):
    born, gestation = CHILDREN[child]
    actions = applied_actions(client, born, gestation)
    filterset, _ = applicable(imh, born, gestation)
    selected = [f"entry-{entry.number}" for entry in filterset.qs] if filterset.child_age else []
    assert list(actions) == selected
    assert actions == page_marks(client, born, gestation)


def test_the_cases_are_what_they_say(client, imh):
    """The four children cover a corrected age with both marks, an age past correction, an
    age past the pathway and a baby before its due date."""
    ten_weeks = applied_actions(client, *CHILDREN["10 weeks, born at 32 weeks"])
    assert {"actual", "corrected", "both"} <= set(ten_weeks.values())
    assert set(applied_actions(client, *CHILDREN["2 years, born at 32 weeks"]).values()) == {None}
    assert applied_actions(client, *CHILDREN["6 years"]) == {}
    not_due = applied_actions(client, *CHILDREN["not yet due: born at 30 weeks, 4 weeks ago"])
    assert "corrected" not in set(not_due.values()) and not_due
    care_plan = body(
        post_apply(
            client,
            {
                "name": "birthDate",
                "valueDate": CHILDREN["not yet due: born at 30 weeks, 4 weeks ago"][0].isoformat(),
            },
            {"name": "gestationalAge", "valueString": "30"},
        )
    )
    assert "not yet due" in care_plan["description"]


def test_apply_actions_carry_the_interventions_as_requests(client, imh):
    born, gestation = CHILDREN["10 weeks, born at 32 weeks"]
    care_plan = body(
        post_apply(
            client,
            {"name": "birthDate", "valueDate": born.isoformat()},
            {"name": "gestationalAge", "valueString": "32"},
        )
    )
    group, *requests = care_plan["contained"]
    plan = body(client.get("/fhir/PlanDefinition/infant-mental-health"))
    assert group["instantiatesCanonical"] == [f"{plan['url']}|{plan['version']}"]
    by_reference = {f"#{request['id']}": request for request in requests}
    entries = filterset_entries(imh, born, gestation)
    assert len(group["action"]) == len(entries)
    leaves = []
    for action, entry in zip(group["action"], entries, strict=True):
        assert action["title"] == entry.rationale
        assert "condition" not in action and "participant" not in action
        interventions = list(entry.interventions.all())
        # Each intervention a leaf holding its request; an entry without any is the leaf.
        said = [
            "\n".join([i.text] * bool(i.text) + [f"- {point}" for point in i.bullet_points])
            for i in interventions
        ] or [f"{entry.rationale}\n{action['description']}"]
        subs = action.get("action", [action])
        assert [sub.get("textEquivalent") for sub in action.get("action", [])] == [
            i.text or None for i in interventions
        ]
        for sub, words in zip(subs, said, strict=True):
            assert "action" not in sub
            request = by_reference[sub["resource"]["reference"]]
            assert request["resourceType"] == "CommunicationRequest"
            assert request["status"] == "draft" and request["subject"] == care_plan["subject"]
            assert request["payload"] == [{"contentString": words}]
            leaves.append(sub["resource"]["reference"])
    # Every request is one leaf's, and the bullets are there.
    assert sorted(leaves) == sorted(by_reference)
    assert any("\n- " in r["payload"][0]["contentString"] for r in requests)
    assert any("action" not in action for action in group["action"])


def filterset_entries(pathway, born, gestation):
    filterset, _ = applicable(pathway, born, gestation)
    return list(filterset.qs)


def test_age_subject_and_birth_date_give_the_same_answer(client, imh):
    born = TODAY - timedelta(weeks=10)
    by_date = body(post_apply(client, {"name": "birthDate", "valueDate": born.isoformat()}))
    by_age = body(client.get(APPLY, {"age": "10w"}))
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": born.isoformat()}
    by_subject = body(
        post_apply(
            client,
            {"name": "subject", "valueString": "Patient/p1"},
            {
                "name": "data",
                "resource": {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [{"resource": patient}],
                },
            },
        )
    )
    assert by_date["contained"][0]["action"] == by_age["contained"][0]["action"]
    assert by_date["contained"][0]["action"] == by_subject["contained"][0]["action"]
    assert by_subject["subject"] == {"reference": "Patient/p1"}
    assert by_date["subject"] == {"display": fhir_server.NO_SUBJECT["display"]}


def test_the_birth_date_is_never_kept_logged_or_cached(client, imh, caplog):
    born = (TODAY - timedelta(days=123)).isoformat()
    response = post_apply(client, {"name": "birthDate", "valueDate": born})
    assert response["Cache-Control"] == "no-store"
    assert born not in response.content.decode()
    assert born not in caplog.text
    refused = client.get(APPLY, {"birthDate": born})
    assert refused.status_code == 400 and outcome_code(refused) == "invalid"
    assert born not in refused.content.decode()


APPLY_ERRORS = [
    ({}, 400, "required"),
    ({"birthDate": "2026-02-30"}, 400, "invalid"),
    ({"birthDate": "tomorrow"}, 400, "invalid"),
    ({"birthDate": "2027-01-01"}, 400, "invalid"),
    ({"birthDate": "2026-01-01", "age": "1y"}, 400, "invalid"),
    ({"age": "ten weeks"}, 400, "invalid"),
    ({"age": "10w", "gestationalAge": "forty"}, 400, "invalid"),
    ({"age": "10w", "colour": "blue"}, 400, "not-supported"),
    ({"subject": "Patient/p9"}, 400, "required"),
    ({"subject": "Group/g"}, 400, "invalid"),
]


@pytest.mark.parametrize(("given", "status", "code"), APPLY_ERRORS)
def test_bad_apply_parameters_are_operation_outcomes(client, imh, given, status, code):
    value_kind = {"birthDate": "valueString"}
    response = post_apply(
        client, *({"name": k, value_kind.get(k, "valueString"): v} for k, v in given.items())
    )
    assert response.status_code == status
    assert outcome_code(response) == code


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        ("{", FHIR_JSON, 400, "invalid"),
        ("[]", FHIR_JSON, 400, "invalid"),
        ('{"resourceType": "Patient"}', FHIR_JSON, 400, "invalid"),
        ('{"resourceType": "Parameters", "parameter": [1]}', FHIR_JSON, 400, "invalid"),
        (
            parameters({"name": "age", "valueString": "1y"}, {"name": "age", "valueString": "2y"}),
            FHIR_JSON,
            400,
            "invalid",
        ),
        (
            '{"resourceType": "Parameters", "parameter": [{"name": "age", "valueInteger": 3}]}',
            FHIR_JSON,
            400,
            "invalid",
        ),
        (
            parameters(
                {"name": "birthDate", "valueDate": "2026-01-01"},
                {"name": "gestationalAge", "valueQuantity": {"value": 32, "code": "mo"}},
            ),
            FHIR_JSON,
            400,
            "invalid",
        ),
        ("<Parameters/>", "application/fhir+xml", 415, "not-supported"),
        ("[" * 100_000, FHIR_JSON, 400, "invalid"),
    ],
)
def test_a_body_that_cannot_be_read_is_an_operation_outcome(
    client, imh, content, content_type, status, code
):
    response = client.post(APPLY, content, content_type=content_type)
    assert response.status_code == status
    assert outcome_code(response) == code


# Whatever comes in: no 5xx, and every error an OperationOutcome.

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
VALUE_KINDS = [
    "valueString",
    "valueDate",
    "valueQuantity",
    "valueReference",
    "resource",
    "valueInteger",
]
NAMES = st.sampled_from([*fhir_server.APPLY_PARAMETERS, "encounter", "other"]) | st.text(
    max_size=10
)


def fhir_answer(response) -> None:
    assert response.status_code < 500
    assert response["Content-Type"].startswith(FHIR_JSON)
    if response.status_code >= 400:
        assert outcome_code(response)


@FUZZ
@given(
    given=st.lists(
        st.fixed_dictionaries({"name": NAMES})
        | st.builds(
            lambda n, k, v: {"name": n, k: v}, NAMES, st.sampled_from(VALUE_KINDS), JSON_VALUES
        ),
        max_size=4,
    )
)
def test_apply_with_arbitrary_parameters(client, imh, given):
    fhir_answer(post_apply(client, *given))


@FUZZ
@given(
    segment=BYTES,
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["url", "version", "_format", "age", "gestationalAge"])
            | st.text(max_size=8),
            BYTES,
        ),
        max_size=3,
    ),
)
def test_fhir_addresses_with_arbitrary_bytes(client, imh, segment, pairs):
    query = "&".join(f"{encoded(k.encode())}={encoded(v)}" for k, v in pairs)
    for template in ("/fhir/{}", "/fhir/PlanDefinition/{}", "/fhir/PlanDefinition/{}/$apply"):
        response = client.get(f"{template.format(encoded(segment))}?{query}")
        if response.status_code != 301:  # CommonMiddleware's added slash
            fhir_answer(response)


# The guide's examples (docs/integration.md, "FHIR REST") are what the server answers.

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
DOCUMENTED_DAY = date(2026, 12, 2)


def documented() -> dict[str, object]:
    found = re.findall(
        r"<!-- fhir-example: ([a-z-]+) -->\n```json\n(.*?)\n```", DOC.read_text(), re.DOTALL
    )
    return {name: json.loads(block) for name, block in found}


def gist(actions: list[dict]) -> list[tuple]:
    """What an action says, as the pathway's content has it (its other elements are the
    PlanDefinition's, tested in test_fhir.py)."""
    return [
        (
            action["id"],
            action.get("prefix"),
            action.get("title"),
            action.get("textEquivalent"),
            gist(action.get("action", [])),
        )
        for action in actions
    ]


def test_the_guides_examples_are_what_the_server_answers(client, imh, monkeypatch):
    monkeypatch.setattr(ages, "uk_today", lambda: DOCUMENTED_DAY)
    examples = documented()
    assert set(examples) == {"not-found", "apply-marked-actions", "apply-request", "apply-response"}
    assert body(client.get("/fhir/PlanDefinition/nope")) == examples["not-found"]
    marked = body(client.get(APPLY, {"age": "10w", "gestationalAge": "32"}))
    first = marked["contained"][0]["action"][: len(examples["apply-marked-actions"])]
    assert gist(first) == gist(examples["apply-marked-actions"])
    request = json.dumps(examples["apply-request"])
    answer = body(client.post(APPLY, request, content_type=FHIR_JSON))
    expected = examples["apply-response"]
    validate(expected)
    for key in (
        "resourceType",
        "instantiatesCanonical",
        "status",
        "intent",
        "subject",
        "description",
        "activity",
    ):
        assert answer[key] == expected[key]
    assert gist(answer["contained"][0]["action"]) == gist(expected["contained"][0]["action"])
    # The requests the leaf actions hold: what the practitioner is to convey.
    assert answer["contained"][1:] == expected["contained"][1:]


@pytest.mark.parametrize("resource_type", TYPES)
def test_query_count_does_not_grow_with_the_data_and_a_warm_read_asks_nothing(
    client, imh, resource_type
):
    path = f"/fhir/{resource_type}"
    resource_id = current(resource_type)[0]["id"]
    with CaptureQueriesContext(connection) as small:
        client.get(path)
    with CaptureQueriesContext(connection) as warm:
        client.get(path)
        client.get(f"{path}/{resource_id}")
    add_entries(imh, 200)
    # A new content version (bulk_create sends no signal), read now as a worker reads it
    # within CONTENT_VERSION_SECONDS: everything is built afresh.
    caching.bump_content_version()
    caching.forget_version()
    with CaptureQueriesContext(connection) as large:
        response = client.get(path)
    assert response.status_code == 200
    if resource_type == "PlanDefinition":
        assert "Generated rationale 199" in response.content.decode()
    # Kept for the content version: nothing but the version is read again.
    assert len(warm) <= 1
    assert len(large) <= len(small) + 1
