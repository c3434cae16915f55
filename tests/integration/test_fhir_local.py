"""FHIR for an area (issue 25): each published area an Organization, each of its published
services a HealthcareService provided by it, the pathway as the area makes it its own (a
PlanDefinition derived from the national one, each action an area's service serves naming it)
and $apply with R4's `organization`. Every one valid R4 by the independent validators; with
no area, or another area, nothing of the area's."""

import json
from datetime import date, timedelta

import pytest

from pathways import ages
from pathways.local.models import LocalService
from pathways.models import Status
from tests.local_area import EXAMPLE_SERVICES, MBU_ENTRY, MBU_ROUTE, make_example_area

from .fhir_validation import validate_all

SITE = "https://pathways.example.nhs.uk"
TODAY = date(2026, 11, 23)
FHIR_JSON = "application/fhir+json"
PLAN = "/api/pathways/infant-mental-health/fhir"
APPLY = "/fhir/PlanDefinition/infant-mental-health/$apply"
NORTH_SERVICE = "/fhir/HealthcareService/north-example--perinatal-mental-health"
REFERRAL_METHOD = "http://terminology.hl7.org/CodeSystem/service-referral-method"
# Words only North Example's services and note say.
NORTH = [f["name"] for f, _ in EXAMPLE_SERVICES.values()]


@pytest.fixture(autouse=True)
def site_and_today(settings, monkeypatch):
    settings.SITE_URL = SITE
    monkeypatch.setattr(ages, "uk_today", lambda: TODAY)


def body(response) -> dict:
    assert response["Content-Type"].startswith(FHIR_JSON), response.content
    return json.loads(response.content)


def without_meta(resource: dict) -> dict:
    return {key: value for key, value in resource.items() if key != "meta"}


def says_north(resource) -> bool:
    text = json.dumps(resource, ensure_ascii=False)
    return any(name in text for name in NORTH) or "north-example" in text


def apply(client, *given: dict):
    content = json.dumps({"resourceType": "Parameters", "parameter": list(given)})
    return client.post(APPLY, content, content_type=FHIR_JSON)


AT_3_WEEKS = {"name": "age", "valueString": "3w"}


def organization(slug: str) -> dict:
    return {"name": "organization", "valueReference": {"reference": f"Organization/{slug}"}}


def actions(resource: dict):
    for action in resource.get("action", []):
        yield action
        yield from actions(action)


def test_every_local_resource_is_valid_r4(client, example_area):
    """Organization; HealthcareService with every field and with few; the local plan; the
    CarePlan $apply gives with an organization."""
    resources = [
        body(client.get("/fhir/Organization/north-example")),
        body(client.get(NORTH_SERVICE)),  # every field
        body(client.get("/fhir/HealthcareService/north-example--gp-liaison")),  # few
        body(client.get("/fhir/HealthcareService/north-example--postnatal-groups")),
        body(client.get(f"{PLAN}?area=north-example")),
        body(client.get("/fhir/PlanDefinition/infant-mental-health--north-example")),
        body(client.get("/fhir/HealthcareService?organization=north-example")),
        body(apply(client, AT_3_WEEKS, organization("north-example"))),
    ]
    names = [f"{r['resourceType']}/{r.get('id', '')}" for r in resources]
    errors = dict(zip(names, validate_all(resources), strict=True))
    assert errors == dict.fromkeys(names, [])


def test_an_area_is_an_organization(client, example_area, second_area):
    north = body(client.get("/fhir/Organization/north-example"))
    assert (north["name"], north["active"]) == ("North Example", True)
    listed = body(client.get("/fhir/Organization"))
    assert [e["resource"]["id"] for e in listed["entry"]] == ["north-example", "south-example"]


def test_a_service_is_a_healthcare_service_of_its_area(client, example_area):
    service = body(client.get(NORTH_SERVICE))
    fields = EXAMPLE_SERVICES["perinatal-mental-health"][0]
    assert service["providedBy"]["reference"] == "Organization/north-example"
    assert service["name"] == fields["name"]
    assert service["comment"] == fields["offers"]
    assert "**Example, not a real service**" in service["extraDetails"]
    assert MBU_ROUTE.rstrip(".") in service["extraDetails"]
    assert "Not yet verified." in service["extraDetails"]
    assert {(t["system"], t["value"]) for t in service["telecom"]} == {
        ("phone", fields["referral_phone"]),
        ("email", fields["referral_email"]),
        ("url", fields["web_url"]),
    }
    assert service["eligibility"] == [{"comment": fields["eligibility"]}]
    assert service["availabilityExceptions"] == fields["hours"]
    methods = [c["coding"][0] for c in service["referralMethod"]]
    assert {(m["system"], m["code"]) for m in methods} == {
        (REFERRAL_METHOD, "phone"),
        (REFERRAL_METHOD, "semail"),
    }
    [location] = service["contained"]
    assert location["address"]["text"] == fields["address"]
    assert service["location"] == [{"reference": f"#{location['id']}"}]
    # It serves an entry by name: no service or tag to code.
    assert "characteristic" not in service


def test_what_a_service_serves_is_coded_from_our_code_system(client, example_area):
    groups = body(client.get("/fhir/HealthcareService/north-example--postnatal-groups"))
    [characteristic] = groups["characteristic"]
    [coding] = characteristic["coding"]
    assert coding["system"] == f"{SITE}/fhir/CodeSystem/pathway-navigator"
    code_system = body(client.get("/fhir/CodeSystem/pathway-navigator"))
    codes = {c["code"] for group in code_system["concept"] for c in group["concept"]}
    assert coding["code"] == "service-childrens-centres-eyfs" and coding["code"] in codes
    assert [c["coding"][0]["code"] for c in groups["referralMethod"]] == ["elec"]
    liaison = body(client.get("/fhir/HealthcareService/north-example--gp-liaison"))
    assert [c["coding"][0]["code"] for c in liaison["characteristic"]] == ["tag-targeted-support"]
    assert "contained" not in liaison and "location" not in liaison


def test_services_are_searched_by_their_organization(client, example_area, second_area):
    def names(query):
        found = body(client.get("/fhir/HealthcareService", query))
        return sorted(e["resource"]["name"] for e in found["entry"])

    north = sorted(NORTH)
    assert names({"organization": "north-example"}) == north
    assert names({"organization": "Organization/north-example"}) == north
    assert not any(n in north for n in names({"organization": "south-example"}))
    assert names({"organization": "nope"}) == []
    assert len(names({})) == 6


def test_a_service_not_published_is_not_served(client, example_area):
    LocalService.objects.filter(slug="gp-liaison").update(status=Status.DRAFT)
    assert client.get("/fhir/HealthcareService/north-example--gp-liaison").status_code == 404
    found = body(client.get("/fhir/HealthcareService", {"organization": "north-example"}))
    assert found["total"] == 2


@pytest.mark.parametrize(
    "path", [NORTH_SERVICE, "/fhir/Organization/north-example", "/fhir/HealthcareService"]
)
def test_local_resources_have_an_etag_and_a_304(client, example_area, path):
    response = client.get(path)
    assert response.status_code == 200 and "public" in response["Cache-Control"]
    again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_search_parameters_belong_to_their_types(client, example_area):
    response = client.get("/fhir/PlanDefinition", {"organization": "north-example"})
    assert response.status_code == 400
    assert body(response)["issue"][0]["code"] == "not-supported"
    response = client.get("/fhir/HealthcareService", {"url": "x"})
    assert response.status_code == 400


def test_the_local_plan_names_the_areas_services_on_the_actions_they_serve(client, example_area):
    national = body(client.get(PLAN))
    plan = body(client.get(PLAN, {"area": "north-example"}))
    assert plan["id"] == "infant-mental-health--north-example"
    assert plan["url"] == f"{SITE}{PLAN}?area=north-example"
    assert plan["title"] == "Infant Mental Health (North Example)"
    derived = plan["relatedArtifact"][0]
    assert derived["type"] == "derived-from"
    assert derived["resource"] == f"{national['url']}|{national['version']}"
    assert plan["version"] != national["version"]
    by_id = {a["id"]: a for a in actions(plan)}
    [documentation] = by_id[f"entry-{MBU_ENTRY}"]["documentation"]
    assert documentation == {
        "type": "documentation",
        "label": "In North Example",
        "display": "North Example Perinatal Mental Health Team",
        "url": f"{SITE}{NORTH_SERVICE}",
    }
    # The link resolves to the service.
    assert body(client.get(NORTH_SERVICE))["name"] == documentation["display"]
    # Only documentation is added: without it, each action is the national one.
    stripped = json.loads(json.dumps(plan["action"]))
    for action in actions({"action": stripped}):
        action.pop("documentation", None)
    assert stripped == national["action"]
    # It is served under /fhir/ too, the same plan.
    served = body(client.get("/fhir/PlanDefinition/infant-mental-health--north-example"))
    assert without_meta(served) == without_meta(plan)


def test_the_national_plan_and_another_areas_say_nothing_of_this_one(client, imh, publisher):
    before = body(client.get(PLAN))
    make_example_area(publisher)
    make_example_area(publisher, slug="south-example", name="South Example", prefix="s")
    assert body(client.get(PLAN)) == before
    assert not says_north(body(client.get(PLAN)))
    south = body(client.get(PLAN, {"area": "south-example"}))
    assert not says_north(south) and "South Example" in json.dumps(south)


@pytest.mark.parametrize("area", ["nope", "x" * 500])
def test_an_unknown_area_is_a_400_operation_outcome(client, example_area, area):
    response = client.get(PLAN, {"area": area})
    assert response.status_code == 400
    [issue] = body(response)["issue"]
    assert issue["code"] == "not-found" and "area" in issue["diagnostics"]
    assert "no-store" in response["Cache-Control"]


def test_apply_with_an_organization_applies_the_areas_plan(client, example_area):
    national = body(apply(client, AT_3_WEEKS))
    local = body(apply(client, AT_3_WEEKS, organization("north-example")))
    [group] = [c for c in local["contained"] if c["resourceType"] == "RequestGroup"]
    plan = body(client.get(PLAN, {"area": "north-example"}))
    assert group["instantiatesCanonical"] == [f"{plan['url']}|{plan['version']}"]
    by_id = {a["id"]: a for a in group["action"]}
    [documentation] = by_id[f"entry-{MBU_ENTRY}"]["documentation"]
    assert documentation["display"] == "North Example Perinatal Mental Health Team"
    # The same actions as the national CarePlan.
    [national_group] = [c for c in national["contained"] if c["resourceType"] == "RequestGroup"]
    assert [a["id"] for a in group["action"]] == [a["id"] for a in national_group["action"]]
    assert not says_north(national)
    # By GET too, as a valueString.
    response = client.get(APPLY, {"age": "3w", "organization": "Organization/north-example"})
    assert response.status_code == 200 and says_north(body(response))


def test_apply_for_another_area_names_none_of_this_ones(client, example_area, second_area):
    south = body(apply(client, AT_3_WEEKS, organization("south-example")))
    assert "South Example Perinatal Mental Health Team" in json.dumps(south)
    assert not says_north(south)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        (organization("nope"), "not-found"),
        ({"name": "organization", "valueString": "north-example"}, "invalid"),
        ({"name": "organization", "valueReference": {"reference": "Patient/1"}}, "invalid"),
        ({"name": "organization", "valueInteger": 1}, "invalid"),
    ],
)
def test_apply_with_a_bad_organization_is_a_400(client, example_area, given, code):
    response = apply(client, AT_3_WEEKS, given)
    assert response.status_code == 400
    assert body(response)["issue"][0]["code"] == code


def test_apply_without_an_organization_is_unchanged_by_areas(client, imh, publisher):
    born = {"name": "birthDate", "valueDate": (TODAY - timedelta(days=21)).isoformat()}
    before = apply(client, born).content
    make_example_area(publisher)
    assert apply(client, born).content == before


def test_the_areas_plan_is_applied_by_its_own_id_too(client, example_area, second_area):
    local_apply = "/fhir/PlanDefinition/infant-mental-health--north-example/$apply"
    content = json.dumps({"resourceType": "Parameters", "parameter": [AT_3_WEEKS]})
    by_id = client.post(local_apply, content, content_type=FHIR_JSON)
    by_organization = apply(client, AT_3_WEEKS, organization("north-example"))
    assert by_id.status_code == 200
    assert body(by_id) == body(by_organization)
    # Another area's organization with this area's plan is a contradiction.
    both = {"resourceType": "Parameters", "parameter": [AT_3_WEEKS, organization("south-example")]}
    response = client.post(local_apply, json.dumps(both), content_type=FHIR_JSON)
    assert response.status_code == 400 and body(response)["issue"][0]["code"] == "invalid"
