"""The examples in docs/integration.md are what the service answers: each is checked here
against the running code, so the guide an EHR vendor reads cannot drift from it."""

import datetime
import json
import re
from pathlib import Path

import pytest

from .test_cds_hooks import AUDIENCE, ISSUER, SITE, call, signed, trust_the_test_ehr

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
TODAY = datetime.date(2026, 12, 2)  # the day the documented example is for


def examples() -> dict[str, object]:
    text = DOC.read_text()
    found = re.findall(r"<!-- example: ([a-z-]+) -->\n```json\n(.*?)\n```", text, re.DOTALL)
    return {name: json.loads(block) for name, block in found}


@pytest.fixture(autouse=True)
def cds_settings(settings):
    return trust_the_test_ehr(settings)


@pytest.fixture
def documented_day(monkeypatch):
    monkeypatch.setattr("pathways.ages.uk_today", lambda: TODAY)


def test_the_guide_has_every_example():
    assert set(examples()) == {
        "discovery-response",
        "service-request",
        "service-response",
        "jwt-claims",
    }


def test_the_discovery_example_is_what_discovery_answers(client, imh):
    assert client.get("/cds-services").json() == examples()["discovery-response"]


def test_the_request_example_gets_the_response_example(client, imh, documented_day):
    documented = examples()
    response = call(client, documented["service-request"])
    assert response.status_code == 200
    answer = response.json()
    # The card's uuid too: it is the same for the same hookInstance.
    assert answer == documented["service-response"]


def test_the_jwt_example_has_the_claims_the_service_checks(client, imh):
    claims = examples()["jwt-claims"]
    assert set(claims) == {"iss", "aud", "exp", "iat", "jti"}
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert AUDIENCE.startswith(SITE)
    # The same claims, signed now, are accepted.
    token = signed(jti=claims["jti"])
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/hv-1", "patientId": "child-1"},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "child-1", "birthDate": "2026-09-23"}
        },
    }
    assert call(client, body, token=token).status_code == 200
