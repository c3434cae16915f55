"""An area on the data surfaces (issue 25): the CSV, the JSON API and CDS Hooks cards. With
area A, A's example services are there; with none, or with area B, none of A's; an unknown
area is refused where a program reads the answer (a 400 naming the parameter) and national
for the EHR's cards (a warning in the log). Without an area every answer is byte for byte what
it was before any area existed. The examples in docs/integration.md's "Local services" are
checked here against the running code."""

import csv
import datetime
import io
import json
import logging
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways import ages
from pathways.integration.cds_cards import DETAIL_LIMIT
from pathways.integration.cds_hooks import applicable
from pathways.integration.exports import HEADER
from pathways.local.models import Area, LocalService
from pathways.local.reading import area_named, directory
from pathways.models import Entry, Pathway, Service, Status
from pathways.operations import caching
from tests.local_area import EXAMPLE_SERVICES, IMH, MBU_ENTRY, MBU_ROUTE, make_example_area

from ..conftest import IMH_URL
from .test_cds_hooks import (
    ISSUER,
    born,
    call,
    hook_request,
    only_card,
    patient,
    trust_the_test_ehr,
    unescaped,
)
from .test_integration_docs import shown_in

CSV_URL = f"{IMH_URL}export.csv"
ENTRIES = f"/api/pathways/{IMH}/entries/"
NORTH = [fields["name"] for fields, _ in EXAMPLE_SERVICES.values()]
NORTH_NOTE = "In North Example, the Mother and Baby Unit"
DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def says_north(text: str) -> bool:
    return any(name in text for name in [*NORTH, NORTH_NOTE])


def rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def bump():
    """What bulk writes do not say: the content changed, as a worker reads it."""
    caching.bump_content_version()
    caching.forget_version()


# The CSV.


def test_the_csv_with_an_area_has_its_services_beside_the_entries_they_serve(client, example_area):
    response = client.get(CSV_URL, {"area": "north-example"})
    assert response.status_code == 200
    name = 'attachment; filename="infant-mental-health-area-north-example.csv"'
    assert response["Content-Disposition"] == name
    table = rows(response)
    assert list(table[0]) == [
        *HEADER,
        "Local services in North Example",
        "Local services overdue for checking",
        "Local note",
    ]
    mbu = [row for row in table if row["Entry"] == str(MBU_ENTRY)]
    assert mbu
    for row in mbu:
        services = row["Local services in North Example"].splitlines()
        assert (
            "North Example Perinatal Mental Health Team (Example, not a real service): refer: "
            f"{MBU_ROUTE}; phone 0161 496 0000; email perinatal.team@example.nhs.uk"
        ) in services
        assert row["Local note"].startswith(NORTH_NOTE)
        assert row["Local services overdue for checking"] == ""
    # Each service beside the entries it serves: by entry, by service, by tag.
    entries = {e.number: e for e in Entry.objects.filter(pathway__slug=IMH)}
    for row in table:
        entry = entries[int(row["Entry"])]
        shown = row["Local services in North Example"]
        assert ("Postnatal Health Promotion Group" in shown) == (
            entry.service.slug == "childrens-centres-eyfs"
        )
        assert ("Primary Care Liaison" in shown) == (
            entry.tag is not None and entry.tag.slug == "targeted-support"
        )


def test_the_csv_names_a_service_overdue_for_checking(client, example_area):
    yesterday = datetime.date.today() - datetime.timedelta(days=400)
    LocalService.objects.filter(slug="perinatal-mental-health").update(
        last_verified=yesterday - datetime.timedelta(days=30), next_verification_due=yesterday
    )
    bump()
    table = rows(client.get(CSV_URL, {"area": "north-example"}))
    mbu = [row for row in table if row["Entry"] == str(MBU_ENTRY)]
    overdue = {row["Local services overdue for checking"] for row in mbu}
    assert overdue == {"North Example Perinatal Mental Health Team"}


def test_local_cells_are_kept_as_text_in_a_spreadsheet(client, example_area):
    example_area.note.__class__.objects.filter(pk=example_area.note.pk).update(
        text='=HYPERLINK("https://evil.example","Click")'
    )
    bump()
    table = rows(client.get(CSV_URL, {"area": "north-example"}))
    [note] = {row["Local note"] for row in table if row["Entry"] == str(MBU_ENTRY)}
    assert note == '\'=HYPERLINK("https://evil.example","Click")'


def test_the_national_csv_is_unchanged_and_another_area_has_none_of_this_ones(
    client, imh, publisher
):
    before = client.get(CSV_URL, {"age": "3w"}).content
    make_example_area(publisher)
    make_example_area(publisher, slug="south-example", name="South Example", prefix="s")
    national = client.get(CSV_URL, {"age": "3w"})
    assert national.content == before
    assert not says_north(national.content.decode())
    south = client.get(CSV_URL, {"age": "3w", "area": "south-example"}).content.decode()
    assert "South Example Perinatal Mental Health Team" in south and not says_north(south)


@pytest.mark.parametrize("area", ["nope", "north-example-draft", "<script>" * 20])
def test_the_csv_refuses_an_area_it_cannot_find(client, example_area, area):
    Area.objects.create(name="Draft area", slug="north-example-draft", status=Status.DRAFT)
    response = client.get(CSV_URL, {"area": area})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("The parameter area names no published area:")
    assert not says_north(text)


def test_an_empty_area_is_no_area(client, example_area):
    assert client.get(CSV_URL, {"area": ""}).content == client.get(CSV_URL).content


# The JSON API.


def test_the_api_with_an_area_adds_its_services_and_notes(client, example_area):
    answer = client.get(ENTRIES, {"area": "north-example", "age": "3w"}).json()
    assert answer["area"] == {"slug": "north-example", "name": "North Example"}
    listed = [entry["number"] for entry in answer["entries"]]
    by_slug = {service["slug"]: service for service in answer["local_services"]}
    perinatal = by_slug["perinatal-mental-health"]
    fields = EXAMPLE_SERVICES["perinatal-mental-health"][0]
    assert {key: perinatal[key] for key in fields} == fields
    assert perinatal["serves"] == [MBU_ENTRY] and MBU_ENTRY in listed
    assert perinatal["is_example"] is True
    assert perinatal["verification_overdue"] is False
    assert perinatal["last_verified"] is None
    assert perinatal["verification_status"] == "Not yet verified."
    for service in answer["local_services"]:
        assert service["serves"] and set(service["serves"]) <= set(listed)
    assert answer["local_notes"] == [{"entry": MBU_ENTRY, "text": example_area.note.text}]


def test_the_api_lists_only_services_serving_the_entries_listed(client, example_area):
    # At 3 years no entry is the Mother and Baby Unit's.
    answer = client.get(ENTRIES, {"area": "north-example", "age": "3y"}).json()
    assert MBU_ENTRY not in [entry["number"] for entry in answer["entries"]]
    assert "perinatal-mental-health" not in [s["slug"] for s in answer["local_services"]]
    assert answer["local_notes"] == []


def test_the_national_api_is_unchanged_and_another_area_has_none_of_this_ones(
    client, imh, publisher
):
    before = client.get(ENTRIES).content
    make_example_area(publisher)
    make_example_area(publisher, slug="south-example", name="South Example", prefix="s")
    national = client.get(ENTRIES)
    assert national.content == before
    assert set(national.json()) == {"pathway", "count", "total", "entries"}
    south = client.get(ENTRIES, {"area": "south-example"}).content.decode()
    assert "South Example Perinatal Mental Health Team" in south and not says_north(south)


def test_the_api_refuses_an_unknown_area_naming_the_parameter(client, example_area, second_area):
    response = client.get(ENTRIES, {"area": "nope"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some query parameters could not be used.",
        "errors": [
            {
                "parameter": "area",
                "message": 'Not recognised: "nope". Use one of: north-example, south-example.',
            }
        ],
    }


def test_a_draft_service_never_reaches_the_api(client, example_area):
    LocalService.objects.filter(slug="perinatal-mental-health").update(status=Status.DRAFT)
    bump()
    text = client.get(ENTRIES, {"area": "north-example"}).content.decode()
    assert "Perinatal Mental Health Team" not in text
    services = client.get("/api/areas/north-example/services/").content.decode()
    assert "Perinatal Mental Health Team" not in services


def test_the_api_lists_the_published_areas_and_their_directories(client, example_area, second_area):
    Area.objects.create(name="Draft area", slug="draft-area", status=Status.DRAFT)
    areas = client.get("/api/areas/").json()
    assert areas == {
        "areas": [
            {"slug": "north-example", "name": "North Example"},
            {"slug": "south-example", "name": "South Example"},
        ]
    }
    directory = client.get("/api/areas/north-example/services/").json()
    assert directory["area"] == {"slug": "north-example", "name": "North Example"}
    by_slug = {service["slug"]: service for service in directory["services"]}
    assert sorted(s["name"] for s in directory["services"]) == sorted(NORTH)
    perinatal = by_slug["perinatal-mental-health"]
    assert perinatal["serves_entries"] == [{"pathway": IMH, "number": MBU_ENTRY}]
    assert by_slug["postnatal-groups"]["serves_services"] == ["childrens-centres-eyfs"]
    assert by_slug["gp-liaison"]["serves_tags"] == ["targeted-support"]
    for slug in ("nope", "draft-area"):
        assert client.get(f"/api/areas/{slug}/services/").status_code == 404


def add_services(area: Area, count: int) -> None:
    """Published services of `area`, each serving an entry, a service and a tag."""
    service = Service.objects.get(slug="health-visiting")
    entry = Entry.objects.get(pathway__slug=IMH, number=MBU_ENTRY)
    made = LocalService.objects.bulk_create(
        LocalService(
            area=area,
            name=f"Generated service {n}",
            slug=f"generated-{n}",
            offers="Generated.",
            referral_phone="0161 496 0999",
            status=Status.PUBLISHED,
        )
        for n in range(count)
    )
    for relation, value in [("serves_entries", entry), ("serves_services", service)]:
        through = getattr(LocalService, relation).through
        field = {"serves_entries": "entry", "serves_services": "service"}[relation]
        through.objects.bulk_create(
            through(localservice=made_one, **{field: value}) for made_one in made
        )
    bump()


def test_the_apis_query_count_does_not_grow_with_the_services(client, example_area):
    def queries() -> int:
        with CaptureQueriesContext(connection) as counted:
            response = client.get(ENTRIES, {"area": "north-example"})
        assert response.status_code == 200
        return len(counted), len(response.json()["local_services"])

    bump()
    small, listed_small = queries()
    add_services(example_area.area, 27)
    large, listed_large = queries()
    assert (listed_small, listed_large) == (3, 30)
    assert large == small


# CDS Hooks.


@pytest.fixture(autouse=True)
def cds_settings(settings):
    return trust_the_test_ehr(settings)


def issuer_area(settings, slug):
    settings.CDS_HOOKS_CLIENTS = {ISSUER: {**settings.CDS_HOOKS_CLIENTS[ISSUER], "area": slug}}


BODY = hook_request(patient=patient(born(21)))


def two_cards(response) -> tuple[dict, dict]:
    """The pathway's card and the area's card beside it."""
    assert response.status_code == 200, response.content
    national, local = response.json()["cards"]
    return national, local


def test_an_issuers_area_adds_a_card_of_its_services_and_changes_the_pathways_card_not(
    client, example_area, settings
):
    without = only_card(call(client, BODY))
    issuer_area(settings, "north-example")
    national, local = two_cards(call(client, BODY))
    # The area adds; it takes nothing from the national card (only its link carries the area).
    assert {k: v for k, v in national.items() if k != "links"} == {
        k: v for k, v in without.items() if k != "links"
    }
    assert national["links"][0]["url"] == without["links"][0]["url"] + "&area=north-example"
    assert local["summary"].startswith("North Example: ")
    assert (
        "**In North Example:** North Example Perinatal Mental Health Team (Example, not a real "
        f"service) — refer: {MBU_ROUTE.rstrip('.')}; phone 0161 496 0000"
    ) in unescaped(local["detail"]).split("\n\n")
    assert local["links"][0]["url"] == national["links"][0]["url"]
    assert local["uuid"] != national["uuid"]
    assert len(local["detail"]) <= DETAIL_LIMIT


def test_a_service_overdue_for_checking_says_so_on_the_card(client, example_area, settings):
    issuer_area(settings, "north-example")
    LocalService.objects.filter(slug="perinatal-mental-health").update(
        next_verification_due=datetime.date(2020, 1, 1)
    )
    bump()
    _, local = two_cards(call(client, BODY))
    [line] = [line for line in unescaped(local["detail"]).split("\n\n") if "Perinatal" in line]
    assert line.endswith("; details overdue for checking")


def test_the_area_card_names_the_services_that_fit_and_counts_the_rest(
    client, example_area, settings
):
    issuer_area(settings, "north-example")
    add_services(example_area.area, 40)
    born_on = ages.uk_today() - datetime.timedelta(days=21)
    filterset, _ = applicable(Pathway.objects.get(slug=IMH), born_on, None)
    area = area_named("north-example", None)
    serving = directory(area, None).serving(list(filterset.qs))
    _, local = two_cards(call(client, BODY))
    detail = unescaped(local["detail"])
    shown = [line for line in detail.split("\n\n") if line.startswith("**In North Example:**")]
    named = [line.split(":** ")[1].split(" — ")[0] for line in shown]
    expected = [s.name for s in serving[: len(shown)]]
    assert [name.removesuffix(" (Example, not a real service)") for name in named] == expected
    assert 0 < len(shown) < len(serving)
    assert f"Not shown here: {len(serving) - len(shown)} more local services." in detail
    assert f"{len(serving)} local services" in local["summary"]
    assert len(local["detail"]) <= DETAIL_LIMIT


def test_a_route_too_long_for_a_card_sends_the_reader_to_the_page(client, example_area, settings):
    issuer_area(settings, "north-example")
    LocalService.objects.filter(slug="perinatal-mental-health").update(
        referral_route="Telephone the duty worker. " * 40
    )
    bump()
    _, local = two_cards(call(client, BODY))
    [line] = [line for line in unescaped(local["detail"]).split("\n\n") if "Perinatal" in line]
    assert line.endswith("how to refer is on the pathway page (link below)")
    assert len(local["detail"]) <= DETAIL_LIMIT


def test_cards_without_an_area_are_unchanged_and_another_areas_have_none_of_this_ones(
    client, imh, publisher, settings
):
    before = only_card(call(client, BODY))
    make_example_area(publisher)
    make_example_area(publisher, slug="south-example", name="South Example", prefix="s")
    assert only_card(call(client, BODY)) == before
    issuer_area(settings, "south-example")
    national, south = two_cards(call(client, BODY))
    assert "South Example Perinatal Mental Health Team" in unescaped(south["detail"])
    assert not says_north(json.dumps([national, south]))


def test_an_issuer_mapped_to_an_unknown_area_gets_national_cards_and_a_warning(
    client, example_area, settings, caplog
):
    national = only_card(call(client, BODY))
    issuer_area(settings, "nope")
    with caplog.at_level(logging.WARNING, logger="pathways.cds_hooks"):
        card = only_card(call(client, BODY))
    assert card == national
    assert "mapped to area 'nope', which is not published" in caplog.text


# docs/integration.md, "Local services": its examples are what the code answers.


def local_examples() -> dict[str, object]:
    pattern = r"<!-- local-example: ([a-z-]+) -->\n```json\n(.*?)\n```"
    return {name: json.loads(block) for name, block in re.findall(pattern, DOC.read_text(), re.S)}


def test_the_guide_has_every_local_example():
    assert set(local_examples()) == {"api-entries", "healthcare-service", "plan-action", "card"}


def test_the_local_examples_are_what_the_code_answers(client, example_area, settings):
    settings.SITE_URL = "https://pathways.example.nhs.uk"
    documented = local_examples()
    shown_in(
        documented["api-entries"],
        client.get(ENTRIES, {"age": "3w", "area": "north-example"}).json(),
        "api-entries",
    )
    service = client.get("/fhir/HealthcareService/north-example--perinatal-mental-health")
    shown_in(documented["healthcare-service"], json.loads(service.content), "healthcare-service")
    plan = client.get(f"/api/pathways/{IMH}/fhir", {"area": "north-example"}).json()
    [action] = [
        entry
        for stage in plan["action"]
        for entry in stage.get("action", [])
        if entry["id"] == f"entry-{MBU_ENTRY}"
    ]
    shown_in(documented["plan-action"], action, "plan-action")
    issuer_area(settings, "north-example")
    shown_in(documented["card"], two_cards(call(client, BODY))[1], "card")
