"""The CDS Hooks 2.0 service: discovery, cards for a child's age (corrected for prematurity),
errors that say what is wrong and are never a 5xx, JWT-signed callers only, CORS for browser
EHRs, and the child's record fetched from the EHR's FHIR server when it was not prefetched."""

import datetime
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.http import QueryDict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pathways import ages
from pathways.models import Entry
from pathways.public import filter_entries

from ..conftest import examples

SITE = "https://pathways.example.nhs.uk"
DISCOVERY = "/cds-services"
SERVICE = "/cds-services/infant-mental-health"
AUDIENCE = f"{SITE}{SERVICE}"
ISSUER = "https://ehr.example.nhs.uk"
KID = "ehr-key-1"
PAGE = f"{SITE}/pathways/infant-mental-health/"
GESTATION_CODE = {"coding": [{"system": "http://loinc.org", "code": "76516-4"}]}

EHR_KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())


def public_jwk(private_key, kid=KID) -> dict:
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "ES384"}


def signed(key=EHR_KEY, *, kid=KID, **claims) -> str:
    """A JWT as an EHR signs it for a call to the service (CDS Hooks 2.0, "Trusting clients")."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode(payload, key, algorithm="ES384", headers={"kid": kid})


def trust_the_test_ehr(settings):
    """The site at SITE, trusting the test EHR's key and nobody unsigned."""
    settings.SITE_URL = SITE
    settings.CDS_HOOKS_CLIENTS = {ISSUER: {"jwks": {"keys": [public_jwk(EHR_KEY)]}}}
    settings.CDS_HOOKS_ALLOW_UNSIGNED = False
    settings.CDS_HOOKS_ALLOWED_ORIGINS = []
    settings.CDS_HOOKS_FHIR_TIMEOUT = 2
    return settings


@pytest.fixture(autouse=True)
def cds_settings(settings):
    return trust_the_test_ehr(settings)


def born(days_ago: int) -> str:
    return (ages.uk_today() - datetime.timedelta(days=days_ago)).isoformat()


def patient(birth_date: str | None, patient_id="child-1") -> dict:
    resource = {"resourceType": "Patient", "id": patient_id}
    if birth_date is not None:
        resource["birthDate"] = birth_date
    return resource


def gestation(value, unit="wk") -> dict:
    """The gestation prefetch: a search Bundle holding one Observation."""
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": GESTATION_CODE,
        "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": unit},
    }
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": observation}]}


def hook_request(**prefetch) -> dict:
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/hv-1", "patientId": "child-1"},
    }
    if prefetch:
        body["prefetch"] = prefetch
    return body


def call(client, body, *, token="sign", path=SERVICE, **headers):
    if token == "sign":
        token = signed()
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, content, content_type="application/json", **headers)


def only_card(response) -> dict:
    assert response.status_code == 200, response.content
    (card,) = response.json()["cards"]
    return card


def unescaped(markdown: str) -> str:
    """Markdown text as a reader sees it: backslash escapes gone."""
    return re.sub(r"\\(.)", r"\1", markdown)


def headings_in(card) -> list[str]:
    """The things to consider a card names, as read: the rationale of each bold heading."""
    return [
        unescaped(line[2:-2]).split(": ", 1)[1]
        for line in card["detail"].splitlines()
        if line.startswith("**") and line.endswith("**")
    ]


def actions_in(card) -> list[str]:
    return [unescaped(line[2:]) for line in card["detail"].splitlines() if line.startswith("- ")]


def things_counted(card) -> int:
    return int(re.search(r"(\d+) things? to consider", card["summary"])[1])


def rationales_at(imh, query: str) -> list[str]:
    """The page's rationales for a query, each once (as words: case and final stop aside)."""
    seen = {}
    for entry in filter_entries(imh, QueryDict(query)).qs:
        seen.setdefault(" ".join(entry.rationale.split()).casefold().rstrip("."), entry.rationale)
    return list(seen.values())


def rationale_of(imh, positions) -> list[str]:
    by_position = dict(Entry.objects.filter(pathway=imh).values_list("position", "rationale"))
    return [by_position[p] for p in positions]


def link_query(card) -> str:
    return card["links"][0]["url"].split("?", 1)[1]


# Discovery.


def test_discovery_lists_the_patient_view_service_with_its_prefetch(client, imh):
    response = client.get(DISCOVERY)
    assert response.status_code == 200
    assert response.json() == {
        "services": [
            {
                "hook": "patient-view",
                "id": "infant-mental-health",
                "title": "Infant Mental Health pathway",
                "description": "What the Infant Mental Health pathway says to do for a child "
                "of this age (corrected for prematurity below 2 years), with a link to the "
                "pathway filtered for the child.",
                "prefetch": {
                    "patient": "Patient/{{context.patientId}}",
                    "gestation": "Observation?patient={{context.patientId}}"
                    "&code=http://loinc.org|76516-4",
                },
            }
        ]
    }


# Cards.


def test_a_card_for_a_baby_of_10_weeks(client, imh):
    card = only_card(call(client, hook_request(patient=patient(born(70)))))
    assert card["summary"] == "Infant Mental Health: 6 things to consider at 10 weeks"
    assert card["indicator"] == "info"
    assert card["source"] == {"label": "Pathway Navigator: Infant Mental Health", "url": PAGE}
    assert headings_in(card) == rationale_of(imh, [70, 80, 90, 130, 180, 190])
    assert "**6 weeks - 6 months: Outreach home visiting family support.**" in card["detail"]
    assert card["links"] == [
        {
            "label": "Infant Mental Health: what applies at this age",
            "url": f"{PAGE}?age=10w",
            "type": "absolute",
        }
    ]
    uuid.UUID(card["uuid"])


def test_a_card_gives_the_actions_themselves(client, imh):
    card = only_card(call(client, hook_request(patient=patient(born(70)))))
    shown = actions_in(card)
    assert "Signpost to a range of support service relevant to the individual families needs." in (
        shown
    )
    # Each is an intervention of an entry the page shows at this age, with its bullets.
    page = [
        " ".join([i.text, *i.bullet_points])
        for entry in filter_entries(imh, QueryDict("age=10w")).qs
        for i in entry.interventions.all()
    ]
    for action in shown:
        words = action.split(" (also at ")[0].replace(";", "").split()
        assert words in [text.split() for text in page], action


def test_cards_never_speak_of_rationales(client, imh):
    for body in [
        hook_request(patient=patient(born(days)), gestation=gestation(weeks))
        for days in (10, 70, 98, 400, 731)
        for weeks in (26, 32, 39)
    ]:
        card = only_card(call(client, body))
        assert "rationale" not in (card["summary"] + card["detail"]).lower()


def test_the_card_link_opens_the_same_entries_on_the_page(client, imh):
    for days, weeks in [(70, 39), (98, 32), (70, 32), (20, 30), (400, 39), (731, 39), (1500, 39)]:
        body = hook_request(patient=patient(born(days)), gestation=gestation(weeks))
        card = only_card(call(client, body))
        on_the_page = rationales_at(imh, link_query(card))
        assert headings_in(card) == on_the_page
        assert things_counted(card) == len(on_the_page)


def test_a_card_for_a_child_of_2_years(client, imh):
    card = only_card(call(client, hook_request(patient=patient(born(731)))))
    assert card["summary"] == "Infant Mental Health: 5 things to consider at 2 years"
    assert headings_in(card) == rationale_of(imh, [140, 150, 160, 180, 190])


def test_a_card_for_a_preterm_baby_uses_the_corrected_age(client, imh):
    # Born at 32 weeks, 8 weeks early, 14 weeks ago: corrected age 6 weeks.
    body = hook_request(patient=patient(born(98)), gestation=gestation(32))
    card = only_card(call(client, body))
    shown = headings_in(card)
    assert card["summary"] == (
        f"Infant Mental Health: {len(shown)} things to consider at 14 weeks (corrected age 6 weeks)"
    )
    assert card["links"][0]["url"] == f"{PAGE}?age=14w&born_at_weeks=32"
    # Exactly what the page shows for the same child, which holds what applies at 6 weeks.
    assert shown == rationales_at(imh, f"dob={born(98)}&born_at_weeks=32")
    assert set(rationale_of(imh, [80, 90, 130, 180, 190])) <= set(shown)
    assert "(at corrected age)" in card["detail"]


def distinct_actions_at(imh, query: str) -> set[str]:
    """The interventions the page shows for a query, each once (as words, case aside)."""
    found = set()
    for entry in filter_entries(imh, QueryDict(query)).qs:
        repeated = entry.repeats_shown.interventions.all() if entry.repeats_shown else []
        for i in [*repeated, *entry.interventions.all()]:
            found.add(" ".join(" ".join([i.text, *i.bullet_points]).split()).casefold())
    return found


def not_shown(card) -> int:
    found = re.search(r"Not shown here: (\d+) more actions?", card["detail"])
    return int(found[1]) if found else 0


def test_the_preterm_card_at_10_weeks_is_short_and_says_what_it_leaves_out(client, imh):
    # Born at 32 weeks, 10 weeks ago: the card that ran to 2,113 characters in 11 bullets.
    body = hook_request(patient=patient(born(70)), gestation=gestation(32))
    card = only_card(call(client, body))
    assert card["summary"] == (
        "Infant Mental Health: 8 things to consider at 10 weeks (corrected age 2 weeks)"
    )
    assert len(card["detail"]) <= 1500
    assert card["detail"].count("Ensure appropriate ongoing and consistent care provision") == 1
    assert len(headings_in(card)) == 8
    query = link_query(card)
    assert query == "age=10w&born_at_weeks=32"
    assert len(actions_in(card)) + not_shown(card) == len(distinct_actions_at(imh, query))
    assert "The pathway page (link below) has them all." in card["detail"]


def test_an_action_under_several_entries_is_given_once_naming_where_else(client, imh, monkeypatch):
    monkeypatch.setattr("pathways.integration.cds_cards.DETAIL_LIMIT", 100_000)
    body = hook_request(patient=patient(born(70)), gestation=gestation(32))
    card = only_card(call(client, body))
    actions = actions_in(card)
    assert not_shown(card) == 0
    texts = [" ".join(a.split(" (also at ")[0].replace(";", "").split()) for a in actions]
    texts = [text.casefold() for text in texts]
    assert len(texts) == len(set(texts)) == len(distinct_actions_at(imh, link_query(card)))
    assert "Provide early detection of health issues. (also at 6 weeks - 1 year)" in actions


def test_no_card_is_longer_than_1500_characters(imh):
    from pathways.integration.cds_hooks import cards

    instance = str(uuid.uuid4())
    for days in range(0, 5 * 365, 23):
        for weeks in (None, 24, 32, 36):
            birth = datetime.date.fromisoformat(born(days))
            for card in cards(imh, birth, weeks and weeks * 7, instance):
                assert len(card["detail"]) <= 1500, (days, weeks)
                assert len(card["summary"]) < 140


def marked(filterset) -> list[tuple[int, str | None]]:
    """The entries a FilterSet selects, each with the age it applies at, as the page marks it."""
    child_age = filterset.child_age
    return [
        (e.position, child_age.applies_at(e.age_band.start_days, e.age_band.end_days))
        for e in filterset.qs
    ]


def test_the_link_shows_what_the_card_does_at_every_age(imh):
    from pathways.integration.cds_hooks import applicable, cards

    instance = str(uuid.uuid4())
    starts = [182, 183, 184, 188, 189, 364, 365, 366, 371, 372, 729, 730, 731, 732, 1095, 1096]
    for days in [*range(0, 5 * 365, 29), *starts]:
        for weeks in (None, 26, 32, 36):
            birth = datetime.date.fromisoformat(born(days))
            gestation_days = weeks and weeks * 7
            (card,) = cards(imh, birth, gestation_days, instance)
            query = QueryDict(link_query(card))
            assert set(query) <= {"age", "born_at_weeks"}
            assert re.fullmatch(r"\d+[wd]", query["age"]), query
            filterset, _ = applicable(imh, birth, gestation_days)
            assert marked(filter_entries(imh, query)) == marked(filterset), (days, weeks)


def test_where_a_band_starts_within_the_week_the_link_gives_its_first_day(client, imh):
    # 185 days old: 26 whole weeks (182 days) is before "6 - 12 months" starts (183 days).
    card = only_card(call(client, hook_request(patient=patient(born(185)))))
    assert link_query(card) == "age=183d"
    assert headings_in(card) == rationales_at(imh, f"dob={born(185)}")


def test_an_action_too_long_for_a_card_is_counted_not_cut(client, imh):
    entry = Entry.objects.get(pathway=imh, position=70)
    entry.interventions.update(text="Visit. " * 300)
    card = only_card(call(client, hook_request(patient=patient(born(70)))))
    assert len(card["detail"]) <= 1500
    assert "Visit. Visit." not in card["detail"]
    assert not_shown(card) >= 1


def test_a_gestation_in_weeks_and_days_or_in_days_is_read(client, imh):
    for value, unit in [(32.57, "wk"), (228, "d")]:
        body = hook_request(patient=patient(born(98)), gestation=gestation(value, unit))
        card = only_card(call(client, body))
        assert "born_at_weeks=32" in card["links"][0]["url"]


def test_a_term_baby_and_an_unusable_gestation_are_read_at_actual_age(client, imh):
    term = only_card(call(client, hook_request(patient=patient(born(70)), gestation=gestation(39))))
    assert term["summary"] == "Infant Mental Health: 6 things to consider at 10 weeks"
    assert "born_at_weeks" not in term["links"][0]["url"]
    early = only_card(
        call(client, hook_request(patient=patient(born(70)), gestation=gestation(20)))
    )
    # A gestation outside 22+0 to 36+6 is not corrected, and the card says why.
    assert early["summary"] == "Infant Mental Health: 6 things to consider at 10 weeks"
    assert "age is corrected only for a birth from 22+0 to 36+6 weeks" in early["detail"]
    # A gestation the age is not corrected for changes nothing on the page: the link has none.
    assert "born_at_weeks" not in early["links"][0]["url"]


def test_a_patient_other_than_the_one_in_context_gets_no_card(client, imh):
    # The record has child-1 open but hands over another child's Patient (or one without an
    # id): guidance for the wrong child is worse than none.
    for other in [patient(born(70), patient_id="child-2"), patient(born(70), patient_id=None)]:
        response = call(client, hook_request(patient=other))
        assert response.status_code == 412
        assert "not the patient in context" in response.json()["error"]
        assert "cards" not in response.json()


def test_a_gestation_observed_for_another_patient_is_not_used(client, imh):
    about_another = gestation(32)
    about_another["entry"][0]["resource"]["subject"] = {"reference": "Patient/child-2"}
    card = only_card(call(client, hook_request(patient=patient(born(70)), gestation=about_another)))
    assert "born_at_weeks" not in card["links"][0]["url"]
    for reference in ["Patient/child-1", "https://ehr.example.nhs.uk/fhir/Patient/child-1"]:
        about_the_child = gestation(32)
        about_the_child["entry"][0]["resource"]["subject"] = {"reference": reference}
        body = hook_request(patient=patient(born(70)), gestation=about_the_child)
        assert "born_at_weeks=32" in only_card(call(client, body))["links"][0]["url"]


def test_no_card_for_a_child_over_5(client, imh):
    response = call(client, hook_request(patient=patient(born(6 * 365))))
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    adult = call(client, hook_request(patient=patient("1970-01-01")))
    assert adult.json() == {"cards": []}


def test_a_warning_when_the_pathways_review_is_overdue(client, imh):
    imh.last_reviewed = datetime.date(2024, 1, 1)
    imh.next_review_due = datetime.date(2025, 1, 1)
    imh.save()
    card = only_card(call(client, hook_request(patient=patient(born(70)))))
    assert card["indicator"] == "warning"
    assert "This pathway's review was due on 1 January 2025" in card["detail"]


def test_a_pending_draft_entry_never_reaches_a_card(client, imh):
    source = Entry.objects.get(pathway=imh, position=180)  # Birth - 5 years
    Entry.objects.create(
        pathway=imh,
        position=185,
        stage=source.stage,
        age_band=source.age_band,
        rationale="Zebracrossing draft wording.",
        service=source.service,
    )
    card = only_card(call(client, hook_request(patient=patient(born(70)))))
    assert "Zebracrossing" not in json.dumps(card)
    assert card["summary"] == "Infant Mental Health: 6 things to consider at 10 weeks"


def test_content_cannot_inject_markdown_into_the_card(client, imh):
    entry = Entry.objects.get(pathway=imh, position=70)  # the first heading at 10 weeks
    entry.rationale = "See [a link](https://evil.example) and *shout* & <b>bold</b>"
    entry.save()
    # Entry 90's one action ("Signpost to ...") is shown at 10 weeks.
    Entry.objects.get(pathway=imh, position=90).interventions.update(
        text="<img src=x onerror=alert(1)> # not a heading | `code` ~~gone~~ _em_"
    )
    card = only_card(call(client, hook_request(patient=patient(born(70)))))
    detail = card["detail"]
    assert r"See \[a link\](https://evil.example) and \*shout\* \& \<b\>bold\</b\>" in detail
    assert r"- \<img src=x onerror=alert(1)\> \# not a heading \| \`code\` \~\~gone\~\~ \_em\_" in (
        detail
    )
    assert "<" not in detail.replace("\\<", "")


def no_null_or_empty(value, where="response"):
    """CDS Hooks 2.0: JSON elements are never null or empty ("", [], {}) unless stated."""
    assert value not in (None, "", [], {}), where
    if isinstance(value, dict):
        for key, item in value.items():
            no_null_or_empty(item, f"{where}.{key}")
    elif isinstance(value, list):
        for number, item in enumerate(value):
            no_null_or_empty(item, f"{where}[{number}]")


def check_card(card: dict) -> None:
    """A card as the CDS Hooks 2.0 specification describes it ("Card Attributes")."""
    allowed = {"uuid", "summary", "detail", "indicator", "source", "suggestions"}
    allowed |= {"selectionBehavior", "overrideReasons", "links"}
    assert set(card) <= allowed
    assert {"summary", "indicator", "source"} <= set(card)
    no_null_or_empty(card, "card")
    assert isinstance(card["summary"], str) and len(card["summary"]) < 140
    assert card["indicator"] in {"info", "warning", "critical"}
    assert set(card["source"]) <= {"label", "url", "icon", "topic"} and card["source"]["label"]
    assert card["source"]["url"].startswith("https://")
    for link in card.get("links", []):
        assert set(link) <= {"label", "url", "type", "appContext"}
        assert link["type"] in {"absolute", "smart"}
        assert link["url"].startswith("https://")
        assert "appContext" not in link or link["type"] == "smart"
    uuid.UUID(card["uuid"])


def test_cards_and_discovery_follow_the_cds_hooks_specification(client, imh):
    imh.last_reviewed = datetime.date(2024, 1, 1)
    imh.next_review_due = datetime.date(2025, 1, 1)
    imh.save()
    bodies = [
        hook_request(patient=patient(born(70))),
        hook_request(patient=patient(born(731))),
        hook_request(patient=patient(born(98)), gestation=gestation(32)),
        hook_request(patient=patient(born(70)), gestation=gestation(20)),
    ]
    for body in bodies:
        answer = call(client, body).json()
        assert set(answer) == {"cards"}
        for card in answer["cards"]:
            check_card(card)
    discovery = client.get(DISCOVERY).json()
    no_null_or_empty(discovery)
    for service in discovery["services"]:
        assert {"hook", "description", "id"} <= set(service)
        assert set(service) <= {
            "hook",
            "title",
            "description",
            "id",
            "prefetch",
            "usageRequirements",
        }


# Errors: 400 for what cannot be read, 412 for data that cannot be had, never a 5xx.


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "The request body is not JSON."),
        ("[" * 50_000 + "]" * 50_000, "The request body is not JSON."),  # too deep to follow
        ("[1, 2]", "The request body must be a JSON object."),
        ({"hook": "order-sign", "context": {}}, 'This service answers the "patient-view" hook'),
        ({"hook": "patient-view"}, "The request has no hookInstance."),
        ({"hook": "patient-view", "hookInstance": str(uuid.uuid4())}, "no context object."),
        (
            {**hook_request(), "fhirAuthorization": {"access_token": "t"}},
            "fhirAuthorization is given without a fhirServer",
        ),
        (hook_request(patient=patient(None)), "The Patient has no full birth date"),
        (hook_request(patient=patient("2024")), "The Patient has no full birth date"),
        (hook_request(patient=patient("2024-02-30")), "is not a real date"),
        (hook_request(patient={"resourceType": "Group"}), "is not a FHIR Patient"),
        (hook_request(patient=patient("2999-01-01")), "The date of birth is in the future"),
        ({**hook_request(), "prefetch": ["Patient/child-1"]}, "prefetch must be a JSON object."),
        ({**hook_request(), "hookInstance": ""}, "The request has no hookInstance."),
        ({**hook_request(), "hookInstance": "d1"}, "hookInstance must be a UUID."),
        ({**hook_request(), "hookInstance": 42}, "hookInstance must be a UUID."),
        (
            {**hook_request(), "hookInstance": f"urn:uuid:{uuid.uuid4()}"},
            "hookInstance must be a UUID.",
        ),
        ({**hook_request(), "context": {"patientId": "child-1"}}, "context has no userId."),
        ({**hook_request(), "context": {"userId": "Practitioner/1"}}, "context has no patientId."),
        (
            {**hook_request(), "fhirServer": "https://ehr.example/fhir", "fhirAuthorization": "t"},
            "fhirAuthorization must be a JSON object.",
        ),
        (
            {
                **hook_request(),
                "fhirServer": "https://ehr.example/fhir",
                "fhirAuthorization": {"access_token": "t", "token_type": "Bearer"},
            },
            "fhirAuthorization has no expires_in.",
        ),
    ],
)
def test_a_request_that_cannot_be_read_is_a_400(client, imh, body, message):
    response = call(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]


def test_fhir_authorization_must_be_a_bearer_token(client, imh):
    body = {
        **hook_request(patient=patient(born(70))),
        "fhirServer": "https://ehr.example.nhs.uk/fhir",
        "fhirAuthorization": {
            "access_token": "t",
            "token_type": "MAC",
            "expires_in": 300,
            "scope": "patient/Patient.read",
            "subject": "pathway-navigator",
        },
    }
    response = call(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": 'fhirAuthorization.token_type must be "Bearer".'}
    body["fhirAuthorization"]["token_type"] = "Bearer"
    assert call(client, body).status_code == 200


@pytest.mark.parametrize("prefetch", [{}, {"prefetch": None}], ids=["absent", "null"])
def test_no_prefetch_and_no_fhir_server_is_a_412(client, imh, prefetch):
    response = call(client, {**hook_request(), **prefetch})
    assert response.status_code == 412
    assert "no fhirServer" in response.json()["error"]


def test_an_unknown_service_is_a_404(client, imh):
    path = "/cds-services/parental-mental-health-and-wellbeing"  # no entries, so no service
    token = signed(aud=f"{SITE}{path}")
    response = call(client, hook_request(patient=patient(born(70))), token=token, path=path)
    assert response.status_code == 404


# Security: the caller's JWT.


def test_a_jwt_signed_by_a_trusted_ehr_is_accepted(client, imh):
    assert call(client, hook_request(patient=patient(born(70))), token=signed()).status_code == 200


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        # Tokens are made when the test runs: made at collection, they could expire first.
        (lambda: None, "A signed JWT is required"),
        (lambda: "not-a-jwt", "not a JWT"),
        (lambda: signed(OTHER_KEY), "Signature verification failed"),
        (lambda: signed(iss="https://stranger.example.com"), "issuer is not a client"),
        (lambda: signed(exp=int(time.time()) - 600), "expired"),
        (lambda: signed(aud=f"{SITE}/cds-services/another-service"), "Audience doesn't match"),
        (lambda: signed(kid="unknown-kid"), "No key of the issuer matches"),
    ],
    ids=["unsigned", "garbage", "bad-signature", "unknown-issuer", "expired", "audience", "kid"],
)
def test_a_jwt_that_cannot_be_trusted_is_refused(client, imh, make_token, message):
    token = make_token()
    response = call(client, hook_request(patient=patient(born(70))), token=token)
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert "cards" not in response.json()
    assert response["WWW-Authenticate"] == 'Bearer realm="cds-services"'


def test_a_jwt_signed_with_a_shared_secret_is_refused(client, imh):
    # The spec forbids HMAC: a secret both sides know identifies neither of them.
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "jti": "x"}
    token = jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": KID})
    assert call(client, hook_request(patient=patient(born(70))), token=token).status_code == 401


def test_a_jwt_signed_with_another_kind_of_key_is_refused(client, imh):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "jti": "y"}
    token = jwt.encode(claims, rsa_key, algorithm="RS384", headers={"kid": KID})
    assert call(client, hook_request(patient=patient(born(70))), token=token).status_code == 401


def test_a_jwt_is_good_for_one_call_only(client, imh):
    token = signed()
    body = hook_request(patient=patient(born(70)))
    assert call(client, body, token=token).status_code == 200
    replay = call(client, body, token=token)
    assert replay.status_code == 401
    assert "used before" in replay.json()["error"]


def test_unsigned_calls_are_allowed_only_when_the_setting_says(client, imh, cds_settings):
    body = hook_request(patient=patient(born(70)))
    assert call(client, body, token=None).status_code == 401
    cds_settings.CDS_HOOKS_ALLOW_UNSIGNED = True
    assert call(client, body, token=None).status_code == 200


def test_keys_can_come_from_the_ehrs_jwks_url(client, imh, cds_settings, fhir_server):
    fhir_server.jwks = {"keys": [public_jwk(EHR_KEY)]}
    cds_settings.CDS_HOOKS_CLIENTS = {ISSUER: {"jwks_url": f"{fhir_server.url}/jwks.json"}}
    assert call(client, hook_request(patient=patient(born(70)))).status_code == 200
    assert call(client, hook_request(), token=signed(OTHER_KEY)).status_code == 401


def new_worker():
    """What another worker, or another app server, starts with: nothing this process kept
    in memory (Django's in-memory caches) since the first request."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    for cache in caches.all():
        if isinstance(cache, LocMemCache):
            cache.clear()


def test_a_jwt_replayed_to_another_worker_is_refused(client, imh):
    token = signed()
    body = hook_request(patient=patient(born(70)))
    assert call(client, body, token=token).status_code == 200
    new_worker()
    replay = call(client, body, token=token)
    assert replay.status_code == 401
    assert "used before" in replay.json()["error"]


def test_a_jwt_used_by_two_calls_at_once_is_accepted_once(imh):
    # Both calls pass every check before the jti is written: the unique constraint decides.
    from pathways.integration.cds_hooks import CdsError, record_use

    claims = {"jti": "at-once", "exp": int(time.time()) + 60}
    record_use(ISSUER, claims)
    with pytest.raises(CdsError, match="used before"):
        record_use(ISSUER, claims)
    record_use("https://another-ehr.example.nhs.uk", claims)  # a jti is unique per issuer


def test_used_jwts_are_forgotten_once_they_have_expired(client, imh):
    from pathways.models import UsedJwt

    gone = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    UsedJwt.objects.create(issuer=ISSUER, jti="long-expired", expires_at=gone)
    assert call(client, hook_request(patient=patient(born(70)))).status_code == 200
    assert not UsedJwt.objects.filter(jti="long-expired").exists()


def test_a_jwt_good_for_more_than_five_minutes_is_refused(client, imh):
    now = int(time.time())
    body = hook_request(patient=patient(born(70)))
    too_long = call(client, body, token=signed(iat=now, exp=now + 301))
    assert too_long.status_code == 401
    assert "exp is more than 300 seconds after its iat" in too_long.json()["error"]
    # Issued in the future, so that five minutes from iat reach further: refused too.
    later = call(client, body, token=signed(iat=now + 3600, exp=now + 3900))
    assert later.status_code == 401
    no_iat = call(client, body, token=signed(iat=None))
    assert no_iat.status_code == 401
    assert 'missing the "iat" claim' in no_iat.json()["error"]
    assert call(client, body, token=signed(iat=now, exp=now + 300)).status_code == 200


JWKS_URL_PATH = "/jwks.json"


@pytest.fixture
def ehr_keys_at_url(cds_settings, fhir_server):
    """The test EHR's keys served at its jwks_url (the fake FHIR server, which counts what it
    is asked), and the service configured to fetch them from there."""
    fhir_server.jwks = {"keys": [public_jwk(EHR_KEY)]}
    cds_settings.CDS_HOOKS_CLIENTS = {ISSUER: {"jwks_url": f"{fhir_server.url}{JWKS_URL_PATH}"}}
    return fhir_server


def key_fetches(server) -> int:
    return sum(path == JWKS_URL_PATH for path, _ in server.requests)


def hmac_signed() -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "jti": "h"}
    return jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": "new-kid"})


def unsigned_jwt() -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "jti": "n"}
    return jwt.encode(claims, None, algorithm="none", headers={"kid": "new-kid"})


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: "not-a-jwt",
        lambda: signed(OTHER_KEY, kid="new-kid", iss="https://stranger.example.com"),
        hmac_signed,
        unsigned_jwt,
        lambda: jwt.encode({"iss": ISSUER}, OTHER_KEY, algorithm="ES384"),  # no kid
        lambda: signed(OTHER_KEY, kid="new-kid", jti=None),
        lambda: signed(OTHER_KEY, kid="new-kid", jti="nul\x00"),
        lambda: signed(OTHER_KEY, kid="new-kid", jti="j" * 256),
        lambda: signed(OTHER_KEY, kid="new-kid", iat=None),
        lambda: signed(OTHER_KEY, kid="new-kid", exp=int(time.time()) + 3600),
        lambda: signed(OTHER_KEY, kid="new-kid", exp=int(time.time()) - 600),
        lambda: signed(OTHER_KEY, kid="new-kid", aud=f"{SITE}/cds-services/another-service"),
    ],
    ids=[
        "garbage",
        "unknown-issuer",
        "hmac",
        "alg-none",
        "no-kid",
        "no-jti",
        "jti-nul",
        "jti-too-long",
        "no-iat",
        "exp-too-far",
        "expired",
        "audience",
    ],
)
def test_a_jwt_refused_before_its_signature_is_checked_fetches_no_keys(
    client, imh, ehr_keys_at_url, make_token
):
    response = call(client, hook_request(patient=patient(born(70))), token=make_token())
    assert response.status_code == 401
    assert key_fetches(ehr_keys_at_url) == 0


def test_a_replayed_jwt_fetches_no_keys(client, imh, ehr_keys_at_url):
    token = signed()
    body = hook_request(patient=patient(born(70)))
    assert call(client, body, token=token).status_code == 200
    assert key_fetches(ehr_keys_at_url) == 1
    ehr_keys_at_url.jwks = {"keys": []}  # so that a fetch would also fail the replay
    new_worker()
    assert call(client, body, token=token).status_code == 401
    assert key_fetches(ehr_keys_at_url) == 1


def later_by(monkeypatch, seconds: int) -> None:
    """The server's clock (django.utils.timezone) moved on; the EHR signs by its own."""
    from django.utils import timezone

    real_now = datetime.datetime.now
    monkeypatch.setattr(
        timezone, "now", lambda: real_now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    )


def test_keys_are_fetched_at_most_once_a_minute_whatever_kids_callers_send(
    client, imh, ehr_keys_at_url, monkeypatch
):
    body = hook_request(patient=patient(born(70)))
    for number in range(5):
        # A caller with no trusted key, a new kid each time, on any worker.
        response = call(client, body, token=signed(OTHER_KEY, kid=f"made-up-{number}"))
        assert response.status_code == 401
        assert "No key of the issuer matches" in response.json()["error"]
        new_worker()
    assert key_fetches(ehr_keys_at_url) == 1
    # The EHR's real key was in the one set fetched: its calls go on working, unfetched.
    assert call(client, body).status_code == 200
    assert key_fetches(ehr_keys_at_url) == 1
    later_by(monkeypatch, 61)
    assert call(client, body, token=signed(OTHER_KEY, kid="made-up-5")).status_code == 401
    assert call(client, body, token=signed(OTHER_KEY, kid="made-up-6")).status_code == 401
    assert key_fetches(ehr_keys_at_url) == 2


def test_a_new_key_of_the_ehr_is_fetched_when_its_kid_is_first_seen(
    client, imh, ehr_keys_at_url, monkeypatch
):
    body = hook_request(patient=patient(born(70)))
    assert call(client, body).status_code == 200
    # The EHR rotates its key: the new kid is not in the set kept, so the set is fetched again.
    later_by(monkeypatch, 61)
    ehr_keys_at_url.jwks = {"keys": [public_jwk(EHR_KEY), public_jwk(OTHER_KEY, kid="key-2")]}
    assert call(client, body, token=signed(OTHER_KEY, kid="key-2")).status_code == 200
    assert key_fetches(ehr_keys_at_url) == 2


def test_a_key_the_ehr_withdraws_stops_working_within_six_minutes(
    client, imh, ehr_keys_at_url, monkeypatch
):
    body = hook_request(patient=patient(born(70)))
    assert call(client, body).status_code == 200
    ehr_keys_at_url.jwks = {"keys": [public_jwk(OTHER_KEY, kid="key-2")]}
    later_by(monkeypatch, 299)
    assert call(client, body).status_code == 200  # the kept set, not fetched again
    assert key_fetches(ehr_keys_at_url) == 1
    later_by(monkeypatch, 301)
    withdrawn = call(client, body)
    assert withdrawn.status_code == 401
    assert "No key of the issuer matches" in withdrawn.json()["error"]
    assert key_fetches(ehr_keys_at_url) == 2


def test_keys_that_cannot_be_fetched_again_serve_one_more_minute(
    client, imh, ehr_keys_at_url, monkeypatch
):
    body = hook_request(patient=patient(born(70)))
    assert call(client, body).status_code == 200
    ehr_keys_at_url.jwks = None  # the EHR's key URL now fails
    later_by(monkeypatch, 330)
    assert call(client, body).status_code == 200
    later_by(monkeypatch, 361)
    assert call(client, body).status_code == 401


def test_a_body_too_large_or_not_a_json_object_gets_a_json_error(client, imh):
    for body, status, message in [
        (b"{" + b" " * 10_000_000 + b"}", 413, "The request body is larger than"),
        (b"\xff\xfe not even text", 400, "The request body is not JSON."),
        (b"{not json", 400, "The request body is not JSON."),
        (b'["patient-view"]', 400, "The request body must be a JSON object."),
    ]:
        response = call(client, body)
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert message in response.json()["error"]


def test_every_refusal_is_logged_with_its_reason_and_never_the_token(client, imh, caplog):
    used = signed()
    body = hook_request(patient=patient(born(70)))
    assert call(client, body, token=used).status_code == 200
    refused = {
        "bad-signature": signed(OTHER_KEY),
        "unknown-issuer": signed(iss="https://stranger.example.com"),
        "exp-too-far": signed(exp=int(time.time()) + 3600),
        "replay": used,
        "garbage": "not-a-jwt",
    }
    for name, token in refused.items():
        caplog.clear()
        with caplog.at_level("WARNING"):
            response = call(client, body, token=token)
        assert response.status_code == 401, name
        (record,) = [r for r in caplog.records if r.name == "pathways.cds_hooks"]
        assert record.levelname == "WARNING"
        assert response.json()["error"] in record.getMessage(), name
        assert token not in caplog.text, name
        assert token.split(".")[-1] not in caplog.text, name  # not even its signature
        if name != "garbage":
            assert repr(KID) in record.getMessage()
            issuer = "https://stranger.example.com" if name == "unknown-issuer" else ISSUER
            assert repr(issuer) in record.getMessage()


# CORS.


def test_a_browser_preflight_is_answered(client, imh):
    for path in (DISCOVERY, SERVICE):
        response = client.options(
            path,
            HTTP_ORIGIN="https://ehr.example.nhs.uk",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
        assert response["Access-Control-Allow-Headers"] == "Authorization, Content-Type"


def test_answers_carry_cors_headers_and_are_never_cached(client, imh, cds_settings):
    response = call(client, hook_request(patient=patient(born(70))), HTTP_ORIGIN="https://x.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"
    refused = call(client, hook_request(), token=None, HTTP_ORIGIN="https://x.org")
    assert refused.status_code == 401
    assert refused["Access-Control-Allow-Origin"] == "*"  # the EHR's page can read why
    cds_settings.CDS_HOOKS_ALLOWED_ORIGINS = ["https://ehr.example.nhs.uk"]
    allowed = call(client, hook_request(), HTTP_ORIGIN="https://ehr.example.nhs.uk")
    assert allowed["Access-Control-Allow-Origin"] == "https://ehr.example.nhs.uk"
    assert "Origin" in allowed["Vary"]
    other = call(client, hook_request(), HTTP_ORIGIN="https://elsewhere.example.com")
    assert "Access-Control-Allow-Origin" not in other


def test_the_service_needs_no_csrf_token(imh):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert call(strict, hook_request(patient=patient(born(70)))).status_code == 200


# Fetching the child's record from the EHR's FHIR server.


class FhirServer:
    """A small FHIR server on 127.0.0.1 that serves one child's record and remembers what it
    was asked, with the Authorization header of each request."""

    def __init__(self):
        self.resources: dict[str, dict] = {}
        self.jwks: dict | None = None
        self.requests: list[tuple[str, str | None]] = []
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the name http.server calls)
                server.requests.append((self.path, self.headers.get("Authorization")))
                if server.delay:
                    time.sleep(server.delay)
                if self.path == "/jwks.json" and server.jwks:
                    return self.reply(200, server.jwks)
                if self.path == "/fhir/Patient/moved":
                    self.send_response(302)
                    self.send_header("Location", f"{server.url}/elsewhere/Patient/moved")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if self.headers.get("Authorization") != "Bearer ehr-access-token":
                    return self.reply(401, {"resourceType": "OperationOutcome"})
                path = self.path.removeprefix("/fhir/")
                if path in server.resources:
                    return self.reply(200, server.resources[path])
                if path.startswith("Observation?"):
                    return self.reply(200, {"resourceType": "Bundle", "type": "searchset"})
                return self.reply(404, {"resourceType": "OperationOutcome"})

            def reply(self, status, body):
                content = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/fhir+json")
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the service gave up waiting: that is what a timeout test wants

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fhir_server():
    with FhirServer() as server:
        yield server


def fetching_request(server: FhirServer, **fields) -> dict:
    body = hook_request()
    body["fhirServer"] = f"{server.url}/fhir"
    body["fhirAuthorization"] = {
        "access_token": "ehr-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Observation.read",
        "subject": "pathway-navigator",
    }
    return {**body, **fields}


def test_without_prefetch_the_patient_is_fetched_with_the_ehrs_token(client, imh, fhir_server):
    fhir_server.resources["Patient/child-1"] = patient(born(98))
    fhir_server.resources["Observation?patient=child-1&code=http%3A//loinc.org%7C76516-4"] = (
        gestation(32)
    )
    card = only_card(call(client, fetching_request(fhir_server)))
    assert card["summary"].endswith("(corrected age 6 weeks)")
    assert [path for path, _ in fhir_server.requests] == [
        "/fhir/Patient/child-1",
        "/fhir/Observation?patient=child-1&code=http%3A//loinc.org%7C76516-4",
    ]
    assert {auth for _, auth in fhir_server.requests} == {"Bearer ehr-access-token"}


def test_a_prefetched_patient_is_not_fetched_again(client, imh, fhir_server):
    body = fetching_request(fhir_server, prefetch={"patient": patient(born(70)), "gestation": None})
    card = only_card(call(client, body))
    assert card["summary"] == "Infant Mental Health: 6 things to consider at 10 weeks"
    assert fhir_server.requests == []


def test_a_patient_the_fhir_server_will_not_give_is_a_412(client, imh, fhir_server):
    missing = call(client, fetching_request(fhir_server))  # nothing stored: 404
    assert missing.status_code == 412
    fhir_server.resources["Patient/child-1"] = patient(born(70))
    wrong_token = fetching_request(fhir_server)
    wrong_token["fhirAuthorization"]["access_token"] = "stale"
    assert call(client, wrong_token).status_code == 412


def test_a_redirect_is_not_followed_with_the_ehrs_token(client, imh, fhir_server):
    body = fetching_request(fhir_server)
    body["context"]["patientId"] = "moved"
    assert call(client, body).status_code == 412
    assert [path for path, _ in fhir_server.requests] == ["/fhir/Patient/moved"]


def test_a_fhir_server_that_does_not_answer_in_time_is_a_412(client, imh, fhir_server, settings):
    settings.CDS_HOOKS_FHIR_TIMEOUT = 0.2
    fhir_server.delay = 1.0
    fhir_server.resources["Patient/child-1"] = patient(born(70))
    response = call(client, fetching_request(fhir_server))
    assert response.status_code == 412
    assert "could not be fetched" in response.json()["error"]


def test_a_fhir_server_that_is_not_a_web_url_is_a_400(client, imh):
    for server in ["file:///etc/passwd", "ftp://ehr.example.com", 42, "http://[::1"]:
        body = hook_request()
        body["fhirServer"] = server
        assert call(client, body).status_code == 400


def test_a_patient_id_that_is_not_a_fhir_id_is_never_fetched(client, imh, fhir_server):
    body = fetching_request(fhir_server)
    body["context"]["patientId"] = "../admin"
    assert call(client, body).status_code == 400
    assert fhir_server.requests == []


# Anything at all: never a 5xx.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
dates = st.one_of(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)).map(str),
    st.text(max_size=12),
)
shaped_requests = st.fixed_dictionaries(
    {"hook": st.sampled_from(["patient-view", "order-sign"]) | json_values},
    optional={
        "hookInstance": st.uuids().map(str) | json_values,
        "context": st.fixed_dictionaries({}, optional={"patientId": json_values}) | json_values,
        "fhirServer": json_values,
        "fhirAuthorization": json_values,
        "prefetch": st.fixed_dictionaries(
            {},
            optional={
                "patient": st.fixed_dictionaries(
                    {"resourceType": st.just("Patient")}, optional={"birthDate": dates}
                )
                | json_values,
                "gestation": st.builds(gestation, json_values, st.sampled_from(["wk", "d", "x"]))
                | json_values,
            },
        )
        | json_values,
    },
)


def the_patient_in_context(body: dict) -> dict:
    """A plausible request hands over the Patient the record has open."""
    body["prefetch"]["patient"]["id"] = body["context"]["patientId"]
    return body


# Requests an EHR might really send, with odd values where it might go wrong.
plausible_requests = st.fixed_dictionaries(
    {
        "hook": st.just("patient-view"),
        "hookInstance": st.uuids().map(str),
        "context": st.fixed_dictionaries(
            {"userId": st.just("Practitioner/hv-1"), "patientId": st.text(max_size=10)}
        ),
        "prefetch": st.fixed_dictionaries(
            {
                "patient": st.fixed_dictionaries(
                    {
                        "resourceType": st.just("Patient"),
                        "birthDate": st.integers(-30, 7 * 365).map(born) | dates,
                    }
                )
            },
            optional={
                "gestation": st.builds(
                    gestation,
                    st.integers(-5, 300) | st.floats(allow_nan=True) | json_values,
                    st.sampled_from(["wk", "d", "weeks", "mo"]),
                )
                | json_values
            },
        ),
    },
    optional={"fhirServer": json_values},
).map(the_patient_in_context)


@settings(
    max_examples=examples(200),
    deadline=None,
    # The settings and the patched urlopen are the same for every example.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=plausible_requests | shaped_requests | json_values)
def test_arbitrary_json_never_gets_a_5xx(client, imh, cds_settings, monkeypatch, body):
    cds_settings.CDS_HOOKS_ALLOW_UNSIGNED = True

    class NoNetwork:
        def open(self, *args, **kwargs):
            raise OSError("no network in this test")

    monkeypatch.setattr("pathways.integration.cds_hooks.fhir_opener", NoNetwork)
    response = call(client, body, token=None)
    event(f"status {response.status_code}")
    assert response.status_code in {200, 400, 412}
    data = response.json()
    if response.status_code == 200:
        for card in data["cards"]:
            assert len(card["summary"]) < 140
            assert card["indicator"] in {"info", "warning"}
    else:
        assert data["error"]


# No personal data leaves in a card: only the age and the gestation shape it.

person_names = st.text(st.characters(categories=["L"]), min_size=1, max_size=20)
identifiers = st.from_regex(r"[A-Za-z0-9]{1,16}", fullmatch=True)
fhir_ids = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)


def birth_date_forms(day: datetime.date) -> list[str]:
    """A date of birth as it might be written: ISO, UK numeric, with month names."""
    numeric = [
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day}/{day.month}/{day:%y}",
    ]
    numeric += [f"{day:%d-%m-%Y}", f"{day:%d.%m.%Y}", f"{day:%Y%m%d}", f"{day:%d%m%Y}"]
    named = [f"{day.day} {day:%B %Y}", f"{day:%d %B %Y}", f"{day.day} {day:%b %Y}"]
    named += [f"{day:%B} {day.day}, {day.year}", f"{day.day} {day:%B}"]
    return [day.isoformat(), *numeric, *named]


def the_child(birth: datetime.date, patient_id: str, given: str, family: str, number: str):
    person = patient(birth.isoformat(), patient_id)
    person["name"] = [{"given": [given], "family": family, "text": f"{given} {family}"}]
    person["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": number}]
    return person


@settings(
    max_examples=examples(50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    days=st.integers(0, 5 * 365 - 1),
    gestation_days=st.none() | st.integers(22 * 7, 41 * 7 + 6),
    given=person_names,
    family=person_names,
    number=identifiers,
    patient_id=fhir_ids,
)
def test_no_card_carries_the_childs_birth_date_name_or_identifiers(
    client, imh, days, gestation_days, given, family, number, patient_id
):
    birth = ages.uk_today() - datetime.timedelta(days=days)
    observed = {} if gestation_days is None else {"gestation": gestation(gestation_days, "d")}
    instance = str(uuid.uuid4())

    def answer_for(person: dict, patient_id: str) -> dict:
        body = hook_request(patient=person, **observed)
        body["hookInstance"] = instance
        body["context"]["patientId"] = patient_id
        response = call(client, body)
        assert response.status_code == 200, response.content
        return response.json()

    named = answer_for(the_child(birth, patient_id, given, family, number), patient_id)
    # The same answer for an unnamed child of the same age and gestation: so no name, no
    # identifier and no record id can be in any card's text or link.
    assert named == answer_for(patient(birth.isoformat()), "child-1")
    text = json.dumps(named, ensure_ascii=False)
    for form in birth_date_forms(birth):
        assert form not in text
    for card in named["cards"]:
        for link in card["links"]:
            query = QueryDict(link["url"].partition("?")[2])
            assert set(query) <= {"age", "born_at_weeks"}
            assert "age" not in query or re.fullmatch(r"\d+[wd]", query["age"])


# Feedback: what the practitioner did with a card.

FEEDBACK = f"{SERVICE}/feedback"


def feedback_on(card_uuid: str, outcome="overridden", **fields) -> dict:
    entry = {"card": card_uuid, "outcome": outcome, "outcomeTimestamp": "2026-12-07T10:15:00Z"}
    return {"feedback": [{**entry, **fields}]}


def test_feedback_on_a_card_is_accepted_and_logged_without_the_comment(client, imh, caplog):
    card = only_card(call(client, hook_request(patient=patient(born(70)))))
    reason = {"code": "not-relevant", "system": "https://example.org/override-reasons"}
    body = feedback_on(
        card["uuid"], overrideReason={"reason": reason, "userComment": "Mum Jane said no"}
    )
    with caplog.at_level("INFO", logger="pathways.cds_hooks"):
        response = call(client, body, path=FEEDBACK, token=signed(aud=f"{SITE}{FEEDBACK}"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"received": 1}
    (line,) = [r.getMessage() for r in caplog.records if "feedback" in r.getMessage()]
    logged = json.loads(line.split(": ", 1)[1])
    assert logged["card"] == card["uuid"]
    assert logged["outcome"] == "overridden"
    assert logged["overrideReason"] == reason
    assert logged["userComment"] is True
    assert "Jane" not in line


def test_the_same_hook_call_gets_the_same_card_uuid(client, imh):
    body = hook_request(patient=patient(born(70)))
    first, again = (only_card(call(client, body))["uuid"] for _ in range(2))
    other = only_card(call(client, hook_request(patient=patient(born(70)))))["uuid"]
    assert first == again != other


def test_feedback_signed_for_the_service_url_is_accepted(client, imh):
    response = call(client, feedback_on(str(uuid.uuid4()), "accepted"), path=FEEDBACK)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", "The request body is not JSON."),
        ({}, "The request has no feedback array."),
        ({"feedback": []}, "The request has no feedback array."),
        ({"feedback": ["x"]}, "feedback[0] must be a JSON object."),
        (feedback_on("card-1"), "feedback[0].card must be the uuid"),
        (feedback_on(str(uuid.UUID(int=1)), "ignored"), "feedback[0].outcome must be"),
        (feedback_on(str(uuid.UUID(int=1)), outcomeTimestamp="yesterday"), "outcomeTimestamp"),
        (feedback_on(str(uuid.UUID(int=1)), outcomeTimestamp="2026-02-30T10:00:00Z"), "outcomeT"),
        (
            feedback_on(str(uuid.UUID(int=1)), "accepted", overrideReason={"userComment": "x"}),
            "overrideReason is an object, for an overridden card only.",
        ),
        (feedback_on(str(uuid.UUID(int=1)), overrideReason={"reason": "no"}), "be a Coding"),
        (feedback_on(str(uuid.UUID(int=1)), acceptedSuggestions=[1]), "acceptedSuggestions"),
    ],
)
def test_feedback_that_cannot_be_read_is_a_400_in_json(client, imh, body, message):
    response = call(client, body, path=FEEDBACK)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]


feedback_entries = st.fixed_dictionaries(
    {},
    optional={
        "card": st.uuids().map(str) | json_values,
        "outcome": st.sampled_from(["accepted", "overridden"]) | json_values,
        "outcomeTimestamp": st.datetimes().map(lambda t: f"{t.isoformat()}Z") | json_values,
        "overrideReason": st.fixed_dictionaries(
            {}, optional={"reason": json_values, "userComment": json_values}
        )
        | json_values,
        "acceptedSuggestions": st.lists(st.fixed_dictionaries({"id": json_values})) | json_values,
    },
)


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    body=st.fixed_dictionaries({"feedback": st.lists(feedback_entries, max_size=3)}) | json_values
)
def test_any_feedback_gets_a_json_answer_and_never_a_5xx(client, imh, cds_settings, body):
    cds_settings.CDS_HOOKS_ALLOW_UNSIGNED = True
    response = call(client, body, path=FEEDBACK, token=None)
    assert response.status_code in {200, 400}
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["received"] >= 1 if response.status_code == 200 else answer["error"]


def test_feedback_is_authenticated_like_the_service(client, imh):
    body = feedback_on(str(uuid.uuid4()))
    assert call(client, body, path=FEEDBACK, token=None).status_code == 401
    token = signed()
    assert call(client, body, path=FEEDBACK, token=token).status_code == 200
    replayed = call(client, body, path=FEEDBACK, token=token)
    assert replayed.status_code == 401
    assert replayed.json() == {"error": "The JWT has been used before."}
    elsewhere = signed(aud=f"{SITE}/cds-services/other/feedback")
    assert call(client, body, path=FEEDBACK, token=elsewhere).status_code == 401


def test_feedback_for_an_unknown_service_is_a_json_404(client, imh):
    path = "/cds-services/parental-mental-health-and-wellbeing/feedback"
    token = signed(aud=f"{SITE}{path}")
    response = call(client, feedback_on(str(uuid.uuid4())), path=path, token=token)
    assert response.status_code == 404
    assert "There is no CDS service" in response.json()["error"]


# Settings.


def test_unsigned_calls_can_be_allowed_in_development_only(monkeypatch):
    from ..operations.test_security import PRODUCTION, load_settings

    for name in ("DJANGO_DEBUG", "CDS_HOOKS_ALLOW_UNSIGNED", "SITE_URL", "CDS_HOOKS_CLIENTS"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings(monkeypatch, DJANGO_DEBUG="1").CDS_HOOKS_ALLOW_UNSIGNED is True
    monkeypatch.delenv("DJANGO_DEBUG")
    assert load_settings(monkeypatch).CDS_HOOKS_ALLOW_UNSIGNED is False
    asked = load_settings(monkeypatch, CDS_HOOKS_ALLOW_UNSIGNED="1")
    assert asked.CDS_HOOKS_ALLOW_UNSIGNED is False  # not without debug
    monkeypatch.setenv("DJANGO_DEBUG", "1")  # production turns debug off whatever it says
    production = load_settings(monkeypatch, CDS_HOOKS_ALLOW_UNSIGNED="1", **PRODUCTION)
    assert production.CDS_HOOKS_ALLOW_UNSIGNED is False
    assert production.SITE_URL == "https://pathways.example.nhs.uk"
    assert production.CDS_HOOKS_CLIENTS == {}


def test_site_url_and_trusted_clients_come_from_the_environment(monkeypatch):
    from ..operations.test_security import load_settings

    trusted = {ISSUER: {"jwks_url": f"{ISSUER}/jwks.json"}}
    configured = load_settings(
        monkeypatch, SITE_URL=f"{SITE}/", CDS_HOOKS_CLIENTS=json.dumps(trusted)
    )
    assert configured.SITE_URL == SITE
    assert trusted == configured.CDS_HOOKS_CLIENTS


def test_a_pending_change_never_reaches_a_card_until_it_is_approved(imh, editor, approver):
    """An editor's change to a live rationale waits for a second person; the EHR's card keeps
    the approved words until then, and has the new ones once approved."""
    from django.test import Client

    from ..conftest import approve_pending
    from ..editing.test_approval import change_form_data

    entry = Entry.objects.get(pathway=imh, position=70)
    approved = entry.rationale
    staff = Client()
    staff.force_login(editor)
    data = change_form_data(entry, rationale="Proposed wording, not yet approved.")
    assert staff.post(f"/admin/pathways/entry/{entry.pk}/change/", data).status_code == 302
    ehr = Client()
    card = only_card(call(ehr, hook_request(patient=patient(born(70)))))
    assert approved in headings_in(card)
    assert "Proposed wording" not in json.dumps(card)
    assert approve_pending(approver) == 1
    card = only_card(call(ehr, hook_request(patient=patient(born(70)))))
    assert "Proposed wording, not yet approved." in headings_in(card)
    assert approved not in headings_in(card)


@pytest.mark.parametrize("header", ["Basic ZWhyOnNlY3JldA==", "Bearer ", "Bearer"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(client, imh, header):
    body = hook_request(patient=patient(born(70)))
    response = call(client, body, token=None, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"] == "The Authorization header must be: Bearer <JWT>."
    assert response["WWW-Authenticate"] == 'Bearer realm="cds-services"'


@pytest.mark.parametrize(
    ("client_settings", "message"),
    [
        ({}, "The issuer has no keys configured."),
        ({"jwks_url": 7}, "The issuer has no keys configured."),
        ({"jwks": {"keys": [{"kty": "EC", "kid": KID}]}}, "The issuer's keys could not be used."),
        ({"jwks": ["not", "a", "set"]}, "The issuer's keys could not be used."),
    ],
    ids=["nothing", "url-not-text", "key-without-its-curve", "not-a-set"],
)
def test_a_mistake_in_an_issuers_keys_refuses_the_call_and_is_logged(
    client, imh, cds_settings, caplog, client_settings, message
):
    cds_settings.CDS_HOOKS_CLIENTS = {ISSUER: client_settings}
    with caplog.at_level("WARNING"):
        response = call(client, hook_request(patient=patient(born(70))))
    assert response.status_code == 401
    assert response.json()["error"] == message
    assert "cards" not in response.json()
    if message == "The issuer's keys could not be used.":
        assert "the keys configured for an issuer are unusable" in caplog.text
