"""The JSON API: the pathways, and a pathway's entries for the browser's own parameters, in
the browser's order; a 400 naming the parameter for anything it cannot use; documented."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import expect

from ..browsing.test_views import add_entries
from ..conftest import IMH_URL
from ..test_filters import ALL, BIRTH_TO_5_YEARS, CHILDRENS_CENTRES, HEALTH_VISITING

API = "/api/pathways/"
IMH_API = f"{API}infant-mental-health/"
ENTRIES = f"{IMH_API}entries/"
HOST = "http://testserver"


def positions(response) -> list[int]:
    return [entry["position"] for entry in response.json()["entries"]]


def test_lists_the_public_pathways_with_the_addresses_of_their_data(client, imh):
    response = client.get(API)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "pathways": [
            {
                "slug": "infant-mental-health",
                "title": "Infant Mental Health",
                "summary": "",
                "url": f"{HOST}{IMH_URL}",
                "api_url": f"{HOST}{IMH_API}",
                "entries_url": f"{HOST}{ENTRIES}",
                "csv_url": f"{HOST}{IMH_URL}export.csv",
                "fhir_url": f"{HOST}{IMH_API}fhir",
                "last_reviewed": "2026-03-02",
                "next_review_due": "2027-03-02",
                "reviewed_by": "Infant Mental Health clinical lead, Health Visiting",
                "review_overdue": False,
                "review_status": "Last reviewed 2 March 2026 by Infant Mental Health clinical "
                "lead, Health Visiting; next review due 2 March 2027.",
            }
        ]
    }  # Parental Mental Health and Wellbeing has no entries, so no page and no data


def test_pathway_detail_has_reading_notes_policy_context_and_filter_values(client, imh):
    data = client.get(IMH_API).json()
    assert data["entry_count"] == 19
    assert data["reading_notes"][0] == {
        "text": "The following pathway should not be read as stand-alone and MUST be read in "
        "conjunction with Section 3: Pathways.",
        "is_bullet": False,
    }
    assert [note["is_bullet"] for note in data["reading_notes"]] == [False, True, True]
    assert data["policy_context"]["url"] == f"{HOST}/documents/pimh-delivery-plan-2021-2022/"
    assert data["filters"]["stage"] == [
        {"slug": "birth-6-weeks", "label": "Birth - 6 weeks", "start_days": 0, "end_days": 42},
        {
            "slug": "8-weeks-6-months",
            "label": "8 weeks - 6 months",
            "start_days": 56,
            "end_days": 183,
        },
        {"slug": "6-12-months", "label": "6-12 months", "start_days": 183, "end_days": 365},
        {"slug": "1-3-years", "label": "1 - 3 years", "start_days": 365, "end_days": 1096},
        {"slug": "3-5-years", "label": "3 - 5 years", "start_days": 1096, "end_days": 1826},
    ]
    assert [s["slug"] for s in data["filters"]["service"]] == [
        "health-visiting",
        "childrens-centres-eyfs",
        "primary-care-gp",
    ]
    assert [t["name"] for t in data["filters"]["tag"]] == ["Core Purpose 2", "Targeted Support"]


def test_an_entry_in_full(client, imh):
    data = client.get(ENTRIES, {"q": "NICU"}).json()
    assert data["count"] == 1
    assert data["total"] == 19
    assert data["pathway"]["slug"] == "infant-mental-health"
    assert data["entries"] == [
        {
            "applies_at": None,
            "number": 20,
            "position": 20,
            "url": f"{HOST}{IMH_URL}#entry-20",
            "report_url": f"{HOST}{IMH_URL}entries/20/report/",
            "stage": {
                "slug": "birth-6-weeks",
                "label": "Birth - 6 weeks",
                "start_days": 0,
                "end_days": 42,
            },
            "age_band": {
                "slug": "birth-6-weeks",
                "label": "Birth - 6 weeks",
                "start_days": 0,
                "end_days": 42,
            },
            "tag": None,
            "service": {"slug": "health-visiting", "name": "Health Visiting"},
            "rationale": "Ensure appropriate ongoing and consistent care provision.",
            "criteria": None,
            "interventions": [
                {
                    "text": "In partnership with SW/HV team and family Assess who will care for "
                    "baby and support family and transfer as required to:",
                    "bullets": ["NICU", "Post Natal Ward", "Home with relative", "Paediatric Ward"],
                }
            ],
        }
    ]


def test_criteria_tag_and_an_age_band_beyond_the_stage(client, imh):
    entry = next(e for e in client.get(ENTRIES).json()["entries"] if e["position"] == 190)
    assert entry["stage"]["label"] == "3 - 5 years"
    assert entry["age_band"] == {
        "slug": "birth-5-years",
        "label": "Birth - 5 years",
        "start_days": 0,
        "end_days": 1826,
    }
    assert entry["tag"] == {"slug": "targeted-support", "name": "Targeted Support"}
    with_criteria = [e for e in client.get(ENTRIES).json()["entries"] if e["criteria"]]
    assert with_criteria and all(e["criteria"].startswith("In cases where") for e in with_criteria)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("service=health-visiting", HEALTH_VISITING),
        ("service=childrens-centres-eyfs", CHILDRENS_CENTRES),
        ("stage=birth-6-weeks", [10, 20, 30, 40, 50, 60, *BIRTH_TO_5_YEARS]),
        ("stage=3-5-years&stage=birth-6-weeks", [10, 20, 30, 40, 50, 60, 170, 180, 190]),
        ("age=6w", [50, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("age=1y6m&service=health-visiting", [140, 150, 160]),
        (
            "tag=core-purpose-2&tag=targeted-support",
            [60, 80, 90, 110, 120, 130, 150, 160, 180, 190],
        ),
        ("q=massage", [50, 60, 70, 80, 100, 140, 170]),
        ("service=primary-care-gp&tag=core-purpose-2", []),
        # The browser form sends empty fields; they mean "not chosen" here too.
        ("age=&q=&service=health-visiting", HEALTH_VISITING),
    ],
)
def test_entries_are_the_browsers_for_the_same_parameters(client, imh, query, expected):
    page = client.get(f"{IMH_URL}?{query}")
    shown = [entry.position for entry in page.context["entries"]]
    response = client.get(f"{ENTRIES}?{query}")
    assert response.status_code == 200
    assert positions(response) == shown == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("service=nope", "service", 'Not recognised: "nope". Use one of: health-visiting, '),
        ("service=health-visiting&service=nope", "service", 'Not recognised: "nope".'),
        ("stage=0-2-weeks", "stage", 'Not recognised: "0-2-weeks". Use one of: birth-6-weeks, '),
        ("tag=urgent", "tag", 'Not recognised: "urgent".'),
        ("age=ten+weeks", "age", "Enter the child's age using d, w, m or y"),
        ("age=10", "age", "Add a unit to the child's age"),
        ("age=" + "1" * 41, "age", "Ensure this value has at most 40 characters (it has 41)."),
        ("q=" + "a" * 201, "q", "Ensure this value has at most 200 characters (it has 201)."),
        ("services=health-visiting", "services", "Unknown parameter: use stage, age, dob, "),
        ("dob=2000-01-01", "dob", "Enter a date of birth less than 19 years ago."),
        (
            "age=10w&born_at_weeks=forty",
            "born_at_weeks",
            "Enter the weeks of pregnancy at birth like",
        ),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client, imh, query, parameter, message):
    response = client.get(f"{ENTRIES}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["detail"] == "Some query parameters could not be used."
    assert [error["parameter"] for error in body["errors"]] == [parameter]
    assert body["errors"][0]["message"].startswith(message)


def test_every_problem_is_named_at_once(client, imh):
    body = client.get(f"{ENTRIES}?service=nope&tag=x&tag=y&age=zz&colour=red").json()
    assert [error["parameter"] for error in body["errors"]] == ["colour", "service", "tag", "age"]
    assert body["errors"][2]["message"].startswith('Not recognised: "x", "y".')


def test_the_browser_page_only_warns_where_the_api_refuses(client, imh):
    assert client.get(IMH_URL, {"service": "nope"}).status_code == 200
    assert client.get(ENTRIES, {"service": "nope"}).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        f"{API}no-such-pathway/",
        f"{API}no-such-pathway/entries/",
        f"{API}parental-mental-health-and-wellbeing/entries/",
    ],
)
def test_unknown_or_empty_pathway_is_a_json_404(client, imh, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("slug", ["no-such-pathway", "parental-mental-health-and-wellbeing"])
def test_an_unknown_or_empty_pathways_fhir_is_a_fhir_404(client, imh, slug):
    """FHIR's error shape (tests/integration/test_fhir_server.py checks it is valid R4)."""
    response = client.get(f"{API}{slug}/fhir")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "OperationOutcome"
    assert [issue["code"] for issue in response.json()["issue"]] == ["not-found"]


def test_read_only(client, imh):
    assert client.post(ENTRIES).status_code == 405
    assert client.delete(IMH_API).status_code == 405


def test_query_count_does_not_grow_with_the_data(client, imh):
    url = f"{ENTRIES}?stage=birth-6-weeks&q=support"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add_entries(imh, 200)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.json()["total"] == 219
    # pathway, stages, services, tags, entries, interventions, total; and the search's
    # glossary and words (SQLite: entries and interventions; PostgreSQL: typo candidates).
    assert len(large) == len(small) <= 10


def test_openapi_document_describes_every_endpoint_and_parameter(client, imh):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Pathway Navigator API"
    assert set(document["paths"]) == {
        "/api/pathways/",
        "/api/pathways/{slug}/",
        "/api/pathways/{slug}/entries/",
        "/api/pathways/{slug}/fhir",
        "/api/areas/",
        "/api/areas/{slug}/services/",
    }
    entries = document["paths"]["/api/pathways/{slug}/entries/"]["get"]
    query = {p["name"]: p for p in entries["parameters"] if p["in"] == "query"}
    assert list(query) == ["stage", "age", "dob", "born_at_weeks", "service", "tag", "q", "area"]
    assert query["stage"]["schema"]["type"] == "array"
    assert query["age"]["schema"]["maxLength"] == 40
    assert set(entries["responses"]) == {"200", "400", "404"}
    fhir = document["paths"]["/api/pathways/{slug}/fhir"]["get"]["responses"]["200"]
    assert list(fhir["content"]) == ["application/fhir+json"]


def test_docs_page_runs_swagger_ui_from_our_own_static_files(client, imh):
    response = client.get("/api/docs")
    content = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/ninja/swagger-ui-bundle.js" defer></script>' in content
    assert '<script src="/static/pathways/api-docs.js" defer></script>' in content
    assert '<link rel="stylesheet" href="/static/ninja/swagger-ui.css">' in content
    settings = re.search(r'data-swagger-settings="([^"]+)"', content)[1]
    assert json.loads(settings.replace("&quot;", '"'))["url"] == "/api/openapi.json"
    # Nothing from a CDN: every script and stylesheet is ours.
    for address in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', content):
        assert address.startswith("/static/"), address


@pytest.mark.browser
def test_docs_page_explores_the_api_without_leaving_the_site(page, live_imh, live_server):
    # Chromium announces the font requests our CSP then blocks: count what is answered.
    requested = []
    page.on("response", lambda response: requested.append(response.url))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/api/docs")
    operations = page.locator(".opblock-summary-path")
    expect(operations).to_have_count(6)  # pathways, a pathway, entries, FHIR; areas, an area
    expect(page.locator(".swagger-ui")).to_contain_text("/api/pathways/{slug}/entries/")
    assert errors == []
    assert [url for url in requested if not url.startswith(live_server.url)] == []


def test_the_filters_offer_only_what_the_published_entries_use(client, imh):
    # Issue 16, defect 2: a service and a tag used only by a draft, or by nothing, stay out.
    from pathways.models import Entry, Service, Status, Tag

    secret_service = Service.objects.create(name="Secret Service", slug="secret-service")
    secret_tag = Tag.objects.create(name="Secret Tag", slug="secret-tag")
    Tag.objects.create(name="Unused Tag", slug="unused-tag")
    source = Entry.objects.get(pathway=imh, position=10)
    Entry.objects.create(
        pathway=imh,
        position=15,
        stage=source.stage,
        age_band=source.age_band,
        rationale="A draft.",
        service=secret_service,
        tag=secret_tag,
        status=Status.DRAFT,
    )
    data = client.get(IMH_API).json()
    assert [s["slug"] for s in data["filters"]["service"]] == [
        "health-visiting",
        "childrens-centres-eyfs",
        "primary-care-gp",
    ]
    assert [t["slug"] for t in data["filters"]["tag"]] == ["core-purpose-2", "targeted-support"]
    assert [s["slug"] for s in data["filters"]["stage"]] == [
        "birth-6-weeks",
        "8-weeks-6-months",
        "6-12-months",
        "1-3-years",
        "3-5-years",
    ]
    refused = client.get(ENTRIES, {"tag": "secret-tag"})
    assert refused.status_code == 400
    assert "secret-tag" not in refused.json()["errors"][0]["message"].split("Use one of:")[1]
