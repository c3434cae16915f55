"""The CSV of a filtered view: the browser's entries for the same parameters, in the same
order, one row per intervention line, opening cleanly and safely in Excel."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.integration.exports import HEADER, safe_cell
from pathways.models import Entry, Intervention

from ..browsing.test_views import add_entries
from ..conftest import IMH_URL
from ..pagetext import links

CSV_URL = f"{IMH_URL}export.csv"


def rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def entries_in(table: list[dict]) -> list[int]:
    """Entry positions in the order the CSV first lists them."""
    return list(dict.fromkeys(int(row["Entry"]) for row in table))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "service=health-visiting",
        "stage=birth-6-weeks&stage=3-5-years",
        "age=6w&tag=core-purpose-2",
        "q=support&service=childrens-centres-eyfs",
        "service=primary-care-gp&service=nope&age=ten+weeks",  # lenient, as on the page
        "service=primary-care-gp&tag=core-purpose-2",  # nothing matches
    ],
)
def test_csv_has_exactly_the_browsers_entries_in_the_browsers_order(client, imh, query):
    page = client.get(f"{IMH_URL}?{query}")
    shown = [entry.position for entry in page.context["entries"]]
    exported = rows(client.get(f"{CSV_URL}?{query}"))
    assert entries_in(exported) == shown


def test_download_headers(client, imh):
    response = client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="infant-mental-health.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf" + ",".join(HEADER).encode())


def test_one_row_per_paragraph_and_per_bullet_with_the_entry_on_every_row(client, imh):
    table = rows(client.get(CSV_URL, {"q": "NICU"}))
    assert [(row["Intervention"], row["Line type"]) for row in table] == [
        (
            "In partnership with SW/HV team and family Assess who will care for baby and "
            "support family and transfer as required to:",
            "paragraph",
        ),
        ("NICU", "bullet point"),
        ("Post Natal Ward", "bullet point"),
        ("Home with relative", "bullet point"),
        ("Paediatric Ward", "bullet point"),
    ]
    for row in table:
        assert row["Entry"] == "20"
        assert row["Stage"] == "Birth - 6 weeks"
        assert row["Age band"] == "Birth - 6 weeks"
        assert row["Service"] == "Health Visiting"
        assert row["Rationale"] == "Ensure appropriate ongoing and consistent care provision."


def test_every_intervention_line_of_the_pathway_is_a_row(client, imh):
    table = rows(client.get(CSV_URL))
    lines = sum(
        bool(i.text) + len(i.bullet_points) for i in Intervention.objects.filter(entry__pathway=imh)
    )
    without_interventions = Entry.objects.filter(pathway=imh, interventions__isnull=True).count()
    assert without_interventions > 0  # the seed has some; they must not vanish
    assert len(table) == lines + without_interventions
    assert entries_in(table) == list(range(10, 200, 10))


def test_an_entry_without_interventions_still_has_its_row(client, imh):
    entry = Entry.objects.filter(pathway=imh, interventions__isnull=True).first()
    table = [row for row in rows(client.get(CSV_URL)) if row["Entry"] == str(entry.position)]
    assert len(table) == 1
    assert table[0]["Rationale"] == entry.rationale
    assert table[0]["Intervention"] == table[0]["Line type"] == ""


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(client, imh):
    entry = Entry.objects.get(pathway=imh, position=190)
    entry.rationale = '=HYPERLINK("http://evil.example","Click")'
    entry.criteria = "+44 7700 900000"
    entry.save()
    first, second = entry.interventions.order_by("position")
    first.text = "@SUM(A1:A2)"
    first.bullets = "-2+3\nPlain, with a comma"
    first.save()
    second.text = "\t=1+1"
    second.save()
    table = rows(client.get(CSV_URL, {"service": "primary-care-gp"}))
    assert {row["Rationale"] for row in table} == {'\'=HYPERLINK("http://evil.example","Click")'}
    assert {row["Criteria"] for row in table} == {"'+44 7700 900000"}
    assert [row["Intervention"] for row in table] == [
        "'@SUM(A1:A2)",
        "'-2+3",
        "Plain, with a comma",
        "'\t=1+1",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Birth - 6 weeks", "Birth - 6 weeks"),
        ("", ""),
        (None, ""),
        (190, "190"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_unknown_or_empty_pathway_is_404(client, imh):
    assert client.get("/pathways/no-such-pathway/export.csv").status_code == 404
    assert (
        client.get("/pathways/parental-mental-health-and-wellbeing/export.csv").status_code == 404
    )


def test_the_pathway_page_links_the_csv_of_what_it_shows(client, imh):
    content = client.get(IMH_URL, {"service": "health-visiting", "age": "6w"}).content.decode()
    download = "Download these results (CSV)"
    assert links(content)[download] == f"{CSV_URL}?service=health-visiting&age=6w"
    assert links(client.get(IMH_URL).content.decode())[download] == CSV_URL
    fragment = client.get(IMH_URL, {"tag": "core-purpose-2"}, headers={"HX-Request": "true"})
    assert f'href="{CSV_URL}?tag=core-purpose-2"' in fragment.content.decode()


def test_query_count_does_not_grow_with_the_data(client, imh):
    url = f"{CSV_URL}?stage=birth-6-weeks&q=support"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add_entries(imh, 200)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(rows(response)) > 0
    # Up to 6, and the search's glossary and words (see test_api's).
    assert len(large) == len(small) <= 9


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "infant-mental-health.csv"),
        ("age=10w", "infant-mental-health-age-10w.csv"),
        ("age=10+weeks", "infant-mental-health-age-10w.csv"),
        (
            "service=health-visiting&age=1y6m&stage=1-3-years",
            "infant-mental-health-stage-1-3-years-age-1y6m-service-health-visiting.csv",
        ),
        (
            "tag=core-purpose-2&q=Massage+%C3%A9t%C3%A9%22%3B%2F..",
            "infant-mental-health-tag-core-purpose-2-search-massage-ete.csv",
        ),
        ("age=14w&born_at_weeks=32", "infant-mental-health-age-14w-at-32-weeks.csv"),
        ("age=14w&born_at_weeks=32%2B4", "infant-mental-health-age-14w-at-32-weeks-4-days.csv"),
        # What was not used names nothing: an unreadable age, an unknown service.
        ("age=ten+weeks&service=nope", "infant-mental-health.csv"),
    ],
)
def test_the_csv_file_name_names_the_filters_in_safe_characters(client, imh, query, name):
    response = client.get(f"{CSV_URL}?{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_a_long_search_gives_a_file_name_of_bounded_length(client, imh):
    response = client.get(CSV_URL, {"q": "word " * 39})
    name = response["Content-Disposition"].removeprefix('attachment; filename="')[:-1]
    assert name.endswith(".csv") and len(name) <= 124
    assert re.fullmatch(r"[a-z0-9-]+\.csv", name)
