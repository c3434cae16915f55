"""The examples in docs/integration.md are what the service answers: each is checked here
against the running code, so the guide an EHR vendor reads cannot drift from it."""

import datetime
import json
import re
from pathlib import Path

import pytest

from ..pagetext import is_subsequence, visible_lines
from .fhir_validation import validate_all
from .test_cds_hooks import AUDIENCE, ISSUER, SITE, call, headings_in, signed, trust_the_test_ehr

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
TODAY = datetime.date(2026, 12, 2)  # the day the documented example is for


def examples() -> dict[str, object]:
    text = DOC.read_text()
    found = re.findall(r"<!-- example: ([a-z-]+) -->\n```json\n(.*?)\n```", text, re.DOTALL)
    return {name: json.loads(block) for name, block in found}


def marked_blocks(marker: str, language: str) -> dict[str, str]:
    pattern = rf"<!-- {marker}: ([a-z-]+) -->\n```{language}\n(.*?)\n```"
    return dict(re.findall(pattern, DOC.read_text(), re.DOTALL))


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
        *WORKED_BODIES,
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


# The worked example (docs/integration.md, "A worked example"): one child, 10 weeks old and born
# at 32 weeks on the documented day, through an EHR's whole integration. Each `exchange` block
# is a request and the status and headers it gets; its body and its answer's are the examples
# `<name>-request` and `<name>-response`; a `page-text` block is text the page shows, in order.

WORKED = [
    "worked-discovery",
    "worked-metadata",
    "worked-call",
    "worked-link",
    "worked-feedback",
    "worked-apply",
    "worked-plan",
    "worked-library",
    "worked-plan-again",
]
WORKED_BODIES = {
    "worked-discovery-response",
    "worked-metadata-response",
    "worked-call-request",
    "worked-call-response",
    "worked-feedback-request",
    "worked-feedback-response",
    "worked-apply-request",
    "worked-apply-response",
    "worked-plan-response",
    "worked-library-response",
}
CUT = "…"  # where the guide shortens an answer: an object's other keys, a list's later items
PLACEHOLDER = re.compile(r"<([A-Za-z]+)>")


def shown_in(shown, answered, where: str = "") -> None:
    """Everything the guide shows is what was answered; it leaves out only where it says CUT."""
    if isinstance(shown, dict):
        assert isinstance(answered, dict), where
        keys = set(shown) - {CUT}
        assert keys <= set(answered) if CUT in shown else keys == set(answered), where
        for key in keys:
            shown_in(shown[key], answered[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(answered, list), where
        cut = shown[-1:] == [CUT]
        items = shown[:-1] if cut else shown
        assert len(items) <= len(answered) if cut else len(items) == len(answered), where
        for position, item in enumerate(items):
            shown_in(item, answered[position], f"{where}[{position}]")
    else:
        assert shown == answered, where


def headers(lines: list[str]) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in lines)


def exchanges() -> dict[str, dict]:
    """Each exchange block: `METHOD path HTTP/1.1`, headers, a blank line, `HTTP/1.1 status`,
    headers."""
    found = {}
    for name, block in marked_blocks("exchange", "http").items():
        request, response = (part.splitlines() for part in block.split("\n\n"))
        method, path, _ = request[0].split(" ")
        found[name] = {
            "method": method,
            "path": path,
            "headers": headers(request[1:]),
            "status": int(response[0].split(" ")[1]),
            "answer headers": headers(response[1:]),
        }
    return found


def sent(value: str, seen: dict[str, str]) -> str:
    """A request header as sent: `<JWT>` a JWT signed now, `<name>` a value answered earlier."""
    return PLACEHOLDER.sub(lambda m: signed() if m[1] == "JWT" else seen[m[1]], value)


def answered(shown: str, value: str | None, seen: dict[str, str], where: str) -> dict[str, str]:
    """Checks an answer's header against the guide's: `<name>` stands for the value answered
    earlier under that name, or any value the first time (which later requests may send back).
    Returns the values named."""
    parts = PLACEHOLDER.split(shown)  # literal, name, literal, ...
    pattern = "".join(
        (re.escape(seen[part]) if part in seen else f"(?P<{part}>.+)")
        if position % 2
        else re.escape(part)
        for position, part in enumerate(parts)
    )
    match = re.fullmatch(pattern, value or "")
    assert match, f"{where}: {value!r} is not {shown!r}"
    return match.groupdict()


def perform(client, exchange: dict, body, seen: dict[str, str]):
    request_headers = {key: sent(value, seen) for key, value in exchange["headers"].items()}
    content_type = request_headers.pop("Content-Type", None)
    data = json.dumps(body) if body is not None else None
    if exchange["method"] == "GET":
        return client.get(exchange["path"], headers=request_headers)
    return client.post(exchange["path"], data, content_type=content_type, headers=request_headers)


def test_the_worked_example_is_what_the_service_answers(client, imh, documented_day):
    bodies, pages, seen, resources = examples(), marked_blocks("page-text", "text"), {}, []
    assert list(exchanges()) == WORKED
    for name, exchange in exchanges().items():
        response = perform(client, exchange, bodies.get(f"{name}-request"), seen)
        assert response.status_code == exchange["status"], (name, response.content[:300])
        for header, value in exchange["answer headers"].items():
            seen |= answered(value, response.get(header), seen, f"{name} {header}")
        if f"{name}-response" in bodies:
            shown_in(bodies[f"{name}-response"], json.loads(response.content), name)
        if name in pages:
            found, missing = is_subsequence(
                pages[name].splitlines(), visible_lines(response.content.decode())
            )
            assert found, f"{name}: the page does not show {missing!r}"
        if response.get("Content-Type", "").startswith("application/fhir+json"):
            resources.append(json.loads(response.content))
    # Each FHIR resource in the example, as answered, is valid for the independent validators
    # the guide names (the official R4 JSON schema, @medplum/core, R4's invariants).
    assert len(resources) == 4
    assert validate_all(resources) == [[]] * len(resources)


def test_the_worked_examples_care_plan_holds_the_cards_entries(client, imh, documented_day):
    bodies = examples()
    card = call(client, bodies["worked-call-request"]).json()["cards"][0]
    plan = client.post(
        "/fhir/PlanDefinition/infant-mental-health/$apply",
        json.dumps(bodies["worked-apply-request"]),
        content_type="application/fhir+json",
    ).json()
    (group,) = [found for found in plan["contained"] if found["resourceType"] == "RequestGroup"]

    def words(rationale: str) -> str:
        return " ".join(rationale.split()).casefold().rstrip(".")

    assert {words(action["title"]) for action in group["action"]} == {
        words(heading) for heading in headings_in(card)
    }
    # Each action says which age it applies at; this child has some of each.
    marks = {action.get("prefix") for action in group["action"]}
    assert marks == {
        "Applies at actual age",
        "Applies at corrected age",
        "Applies at both actual and corrected age",
    }
