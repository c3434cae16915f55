"""A CDS Client written from the CDS Hooks 2.0 specification (cds-hooks.hl7.org/2.0), not from
our code: it discovers the services, fills the prefetch from the templates discovery gives,
calls patient-view with and without prefetch, sends feedback, and checks every answer against
the specification's field rules. Each rule it checks is counted (SpecChecks), so the number of
checks the service passes can be read off, as issue 26 counted them (45 of 49 then)."""

import datetime
import json
import re
import uuid
from urllib.parse import urlsplit

import pytest

from pathways import ages

from .test_cds_hooks import SITE, FhirServer, signed, trust_the_test_ehr

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
PREFETCH_TOKEN = re.compile(r"\{\{([^}]*)\}\}")


class SpecChecks:
    """The specification's rules, each checked by name; `names` lists those that held."""

    def __init__(self):
        self.names: list[str] = []

    def __call__(self, holds: bool, rule: str) -> None:
        assert holds, rule
        self.names.append(rule)


class CdsClient:
    """A CDS Client (CDS Hooks 2.0) over Django's test client, signing each call as "Trusting
    CDS Clients" says: a JWT with iss, aud (the endpoint called), exp, iat and jti."""

    def __init__(self, http, checks: SpecChecks):
        self.http, self.check = http, checks

    def post(self, path: str, body, *, sign: bool = True):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {signed(aud=f'{SITE}{path}')}"} if sign else {}
        content = body if isinstance(body, str) else json.dumps(body)
        return self.http.post(path, content, content_type="application/json", **headers)

    def json_of(self, response, status: int) -> dict:
        self.check(response.status_code == status, f"answers {status}")
        kind = response["Content-Type"].split(";")[0]
        self.check(kind == "application/json", "answers JSON")
        answer = response.json()
        if status >= 400:
            self.check(isinstance(answer.get("error"), str), "an error says why")
        return answer

    # Discovery ("Discovery": GET {baseURL}/cds-services).

    def discover(self) -> list[dict]:
        services = self.json_of(self.http.get("/cds-services"), 200)["services"]
        self.check(isinstance(services, list), "discovery: services is an array")
        for service in services:
            self.check_service(service)
        return services

    def check_service(self, service: dict) -> None:
        required = {"hook", "description", "id"}
        optional = {"title", "prefetch", "usageRequirements"}
        self.check(required <= set(service), "service: hook, description and id are required")
        self.check(set(service) <= required | optional, "service: no field the spec lacks")
        self.check(
            all(isinstance(service[f], str) and service[f] for f in required),
            "service: hook, description and id are strings",
        )
        for template in service.get("prefetch", {}).values():
            tokens = PREFETCH_TOKEN.findall(template)
            self.check(
                all(t.startswith(("context.", "user")) for t in tokens),
                "prefetch: templates use context and user tokens only",
            )
            self.check(re.match(r"[A-Z][A-Za-z]+[/?]", template), "prefetch: a relative query")

    # Calling a service ("Calling a CDS Service").

    def prefetched(self, service: dict, context: dict, record: dict) -> dict:
        """The prefetch as a CDS Client fills it: each template's tokens replaced from the
        context, and the record's answer to the query (none: the key is left out)."""
        found = {}
        for key, template in service.get("prefetch", {}).items():
            query = PREFETCH_TOKEN.sub(lambda m: context[m[1].removeprefix("context.")], template)
            if query in record:
                found[key] = record[query]
        return found

    def call(self, service_id: str, body: dict, status: int = 200) -> dict:
        answer = self.json_of(self.post(f"/cds-services/{service_id}", body), status)
        if status != 200:
            return answer
        self.check(isinstance(answer.get("cards"), list), "response: cards is an array")
        self.check(set(answer) <= {"cards", "systemActions"}, "response: no field the spec lacks")
        for card in answer["cards"]:
            self.check_card(card)
        return answer

    def check_card(self, card: dict) -> None:
        fields = {"uuid", "summary", "detail", "indicator", "source", "suggestions"}
        fields |= {"selectionBehavior", "overrideReasons", "links"}
        self.check(set(card) <= fields, "card: no field the spec lacks")
        self.check(isinstance(card.get("summary"), str), "card: summary is required")
        self.check(len(card["summary"]) < 140, "card: summary is under 140 characters")
        self.check(card.get("indicator") in {"info", "warning", "critical"}, "card: indicator")
        source = card.get("source")
        self.check(isinstance(source, dict) and source.get("label"), "card: source.label")
        self.check(set(source) <= {"label", "url", "icon", "topic"}, "card: source fields")
        self.check("url" not in source or absolute(source["url"]), "card: source.url absolute")
        self.check(UUID.fullmatch(card.get("uuid", "")), "card: uuid, for feedback")
        self.check(isinstance(card.get("detail", ""), str), "card: detail is markdown text")
        self.check("suggestions" in card or "selectionBehavior" not in card, "selectionBehavior")
        for link in card.get("links", []):
            self.check({"label", "url", "type"} <= set(link), "link: label, url and type")
            self.check(link["type"] in {"absolute", "smart"}, "link: type absolute or smart")
            self.check(absolute(link["url"]), "link: url absolute")
            self.check("appContext" not in link or link["type"] == "smart", "link: appContext")

    # Feedback ("Feedback": POST {baseURL}/cds-services/{service.id}/feedback).

    def feedback(self, service_id: str, entries: list[dict], status: int = 200) -> dict:
        response = self.post(f"/cds-services/{service_id}/feedback", {"feedback": entries})
        return self.json_of(response, status)


def absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@pytest.fixture(autouse=True)
def cds_settings(settings):
    return trust_the_test_ehr(settings)


@pytest.fixture
def checks():
    return SpecChecks()


@pytest.fixture
def ehr(client, checks):
    return CdsClient(client, checks)


def the_record(days_old: int, weeks_at_birth: int | None) -> dict:
    """One child's record, by the queries a FHIR server answers."""
    birth = ages.uk_today() - datetime.timedelta(days=days_old)
    record = {
        "Patient/baby-7": {"resourceType": "Patient", "id": "baby-7", "birthDate": str(birth)}
    }
    if weeks_at_birth:
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": "Patient/baby-7"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "76516-4"}]},
            "valueQuantity": {"value": weeks_at_birth, "unit": "wk", "code": "wk"},
        }
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": observation}],
        }
        record["Observation?patient=baby-7&code=http://loinc.org|76516-4"] = bundle
    return record


def request(context: dict, **fields) -> dict:
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": context, **fields}


# Checks per answer: discovery of one service with two prefetch templates; a call answered
# with one card with one link; an error; a feedback answer (its status and JSON).
DISCOVERY_CHECKS = 3 + 3 + 2 * 2
CALL_CHECKS = 4 + 10 + 4
ERROR_CHECKS = 3
FEEDBACK_CHECKS = 2
RULES = 27

CONTEXT = {"userId": "Practitioner/hv-1", "patientId": "baby-7"}


def test_discovery_describes_each_service_as_the_spec_says(ehr, imh, checks):
    services = ehr.discover()
    assert [s["hook"] for s in services] == ["patient-view"]
    assert len(checks.names) == DISCOVERY_CHECKS


def test_a_patient_view_call_with_prefetch_gets_cards_as_the_spec_says(ehr, imh, checks):
    (service,) = ehr.discover()
    prefetch = ehr.prefetched(service, CONTEXT, the_record(70, 32))
    assert set(prefetch) == {"patient", "gestation"}
    (card,) = ehr.call(service["id"], request(CONTEXT, prefetch=prefetch))["cards"]
    assert card["summary"].endswith("at 10 weeks (corrected age 2 weeks)")
    assert len(checks.names) == DISCOVERY_CHECKS + CALL_CHECKS


def test_without_prefetch_the_service_fetches_from_the_fhir_server(ehr, imh, checks):
    with FhirServer() as server:
        server.resources.update(the_record(70, None))
        authorization = {
            "access_token": "ehr-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/Patient.read patient/Observation.read",
            "subject": "pathway-navigator",
        }
        body = request(CONTEXT, fhirServer=f"{server.url}/fhir", fhirAuthorization=authorization)
        (card,) = ehr.call("infant-mental-health", body)["cards"]
    assert card["summary"].endswith("things to consider at 10 weeks")
    assert server.requests[0] == ("/fhir/Patient/baby-7", "Bearer ehr-access-token")


def test_without_prefetch_or_fhir_server_the_service_says_it_needs_the_data(ehr, imh):
    answer = ehr.call("infant-mental-health", request(CONTEXT), status=412)
    assert "fhirServer" in answer["error"]


def test_feedback_on_a_card_is_accepted(ehr, imh, checks):
    (service,) = ehr.discover()
    prefetch = ehr.prefetched(service, CONTEXT, the_record(400, None))
    (card,) = ehr.call(service["id"], request(CONTEXT, prefetch=prefetch))["cards"]
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    accepted = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": now}
    overridden = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {
            "reason": {"code": "already-done", "system": "https://example.org/reasons"},
            "userComment": "Seen last week.",
        },
        "outcomeTimestamp": now,
    }
    assert ehr.feedback(service["id"], [accepted, overridden]) == {"received": 2}


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"hookInstance": None}, 400),
        ({"hookInstance": "not-a-uuid"}, 400),
        ({"hook": None}, 400),
        ({"context": None}, 400),
        ({"fhirAuthorization": {"access_token": "t", "token_type": "Bearer"}}, 400),
    ],
    ids=["no hookInstance", "hookInstance not a UUID", "no hook", "no context", "no fhirServer"],
)
def test_a_call_breaking_the_request_rules_is_refused_in_json(ehr, imh, checks, fields, status):
    body = request(CONTEXT, prefetch={"patient": the_record(70, None)["Patient/baby-7"]})
    body = {key: value for key, value in {**body, **fields}.items() if value is not None}
    ehr.call("infant-mental-health", body, status=status)
    assert len(checks.names) == ERROR_CHECKS


def test_unknown_services_and_untrusted_callers_get_json_errors(ehr, imh, checks):
    ehr.call("no-such-pathway", request(CONTEXT), status=404)
    ehr.feedback("no-such-pathway", [], status=404)
    unsigned = ehr.post("/cds-services/infant-mental-health", request(CONTEXT), sign=False)
    ehr.json_of(unsigned, 401)
    feedback = ehr.post("/cds-services/infant-mental-health/feedback", {"feedback": []})
    ehr.json_of(feedback, 400)
    assert len(checks.names) == 4 * ERROR_CHECKS


def test_the_whole_conversation_passes_every_check(client, imh):
    """Discovery, a call with prefetch, feedback and the error cases, as one EHR would: the
    number of checks that held is the count issue 26 asked about."""
    checks = SpecChecks()
    ehr = CdsClient(client, checks)
    (service,) = ehr.discover()
    for days, weeks in [(70, 32), (731, None), (10, 30)]:
        prefetch = ehr.prefetched(service, CONTEXT, the_record(days, weeks))
        ehr.call(service["id"], request(CONTEXT, prefetch=prefetch))
    ehr.call(service["id"], request(CONTEXT), status=412)
    ehr.call(service["id"], request(CONTEXT, hookInstance="1"), status=400)
    ehr.call(service["id"], request(CONTEXT, fhirAuthorization={"access_token": "t"}), status=400)
    now = "2026-12-07T09:00:00+00:00"
    ehr.feedback(
        service["id"], [{"card": str(uuid.uuid4()), "outcome": "accepted", "outcomeTimestamp": now}]
    )
    assert len(checks.names) == DISCOVERY_CHECKS + 3 * CALL_CHECKS + 3 * ERROR_CHECKS + 2
    assert len(set(checks.names)) == RULES
