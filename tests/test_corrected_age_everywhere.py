"""Corrected age on every surface: the checklist, the CSV and the JSON API give the browser's
union of what applies at the actual and the corrected age, each entry marked the same way;
and no text typed into the age, date of birth or gestation ever gets a 5xx."""

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways import ages

from .conftest import IMH_URL, examples
from .pagetext import elements, visible_lines
from .test_child_age import SEVEN_WEEKS_BORN_AT_30, TODAY, marks

SEVEN_WEEKS_AT_30 = {"age": "7w", "born_at_weeks": "30+0"}
WORDS = {
    "actual": "actual age",
    "corrected": "corrected age",
    "both": "both actual and corrected age",
}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(ages, "uk_today", lambda: TODAY)


def test_the_browser_page_marks_the_union(client, imh):
    assert marks(client.get(IMH_URL, SEVEN_WEEKS_AT_30)) == SEVEN_WEEKS_BORN_AT_30


def test_the_checklist_gives_the_same_union(client, imh):
    response = client.get(f"{IMH_URL}checklist/", SEVEN_WEEKS_AT_30)
    content = response.content.decode()
    found = {}
    for section in elements(content, "section", "checklist__entry"):
        [heading] = elements(section.markup, "h3")
        applies = elements(section.markup, "p", "checklist__applies-at")
        position = int(heading.attrs["id"].removeprefix("checklist-entry-"))
        found[position] = applies[0].attrs["data-applies-at"] if applies else None
    assert found == SEVEN_WEEKS_BORN_AT_30
    assert list(found) == sorted(SEVEN_WEEKS_BORN_AT_30)
    # One list by age: no stage headings, each entry names its stage.
    assert "Birth - 6 weeks" not in [heading.text for heading in elements(content, "h2")]
    assert "Birth - 6 weeks · listed under Birth - 6 weeks" in content
    assert "corrected age, which is not yet due (due in 3 weeks)" in content


def test_the_csv_gives_the_same_union(client, imh):
    text = client.get(f"{IMH_URL}export.csv", SEVEN_WEEKS_AT_30).content.decode()[1:]
    table = list(csv.DictReader(io.StringIO(text)))
    found = {int(row["Entry"]): row["Applies at"] for row in table}
    assert found == {position: WORDS[mark] for position, mark in SEVEN_WEEKS_BORN_AT_30.items()}
    assert list(dict.fromkeys(int(row["Entry"]) for row in table)) == sorted(found)
    # Not corrected: the column is empty.
    plain = client.get(f"{IMH_URL}export.csv", {"age": "7w"}).content.decode()[1:]
    assert {row["Applies at"] for row in csv.DictReader(io.StringIO(plain))} == {""}


def test_the_api_gives_the_same_union(client, imh):
    body = client.get("/api/pathways/infant-mental-health/entries/", SEVEN_WEEKS_AT_30).json()
    found = {entry["position"]: entry["applies_at"] for entry in body["entries"]}
    assert found == SEVEN_WEEKS_BORN_AT_30
    assert [entry["position"] for entry in body["entries"]] == sorted(found)
    plain = client.get("/api/pathways/infant-mental-health/entries/", {"age": "7w"}).json()
    assert {entry["applies_at"] for entry in plain["entries"]} == {None}


def test_the_api_schema_takes_the_gestation_limit_from_the_filters(client, imh):
    from pathways.filters import PARAMETER_LIMITS

    assert PARAMETER_LIMITS["born_at_weeks"] >= len("32 weeks and 4 days")
    document = client.get("/api/openapi.json").json()
    parameters = document["paths"]["/api/pathways/{slug}/entries/"]["get"]["parameters"]
    [gestation] = [p for p in parameters if p["name"] == "born_at_weeks"]
    assert gestation["schema"]["maxLength"] == PARAMETER_LIMITS["born_at_weeks"]


def test_the_dob_second_birthday_holds_in_the_api(client, imh):
    url = "/api/pathways/infant-mental-health/entries/"
    day_before = client.get(url, {"dob": "24/11/24", "born_at_weeks": "30"}).json()
    birthday = client.get(url, {"dob": "23 November 2024", "born_at_weeks": "30"}).json()
    assert {entry["applies_at"] for entry in day_before["entries"]} == {"both"}
    assert {entry["applies_at"] for entry in birthday["entries"]} == {None}


AGE_LIKE = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\d{1,3}\s?[+wWdD ]?\s?\d{0,3}\s?[a-z ]{0,8}", fullmatch=True),
    st.from_regex(r"\d{1,2}[/ .\-][0-9A-Za-z]{1,9}[/ .\-]\d{1,4}", fullmatch=True),
    st.sampled_from(["32+4", "32w4d", "32 weeks 4 days", "21", "37+0", "23/9/26", "1y6m"]),
)


@settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(age=AGE_LIKE, dob=AGE_LIKE, gestation=AGE_LIKE, use=st.sampled_from(["age", "dob"]))
def test_arbitrary_age_dob_and_gestation_never_get_a_5xx(client, imh, age, dob, gestation, use):
    params = {"born_at_weeks": gestation, use: age if use == "age" else dob}
    for url in (IMH_URL, f"{IMH_URL}checklist/", f"{IMH_URL}export.csv"):
        response = client.get(url, params)
        # A control character is refused whole with a 400; anything else is read or named.
        assert response.status_code in (200, 400), (url, params)
    response = client.get("/api/pathways/infant-mental-health/entries/", params)
    assert response.status_code in (200, 400), params


def test_the_checklist_gives_the_pathways_range_at_5_years(client, imh):
    content = client.get(f"{IMH_URL}checklist/", {"age": "5y"}).content.decode()
    lines = visible_lines(content)
    empty = lines.index("There are no rationales that match your filters.")
    assert lines[empty : empty + 3] == [
        "There are no rationales that match your filters.",
        "Please amend your choices to see more rationales.",
        "This pathway covers children from birth to 5 years.",
    ]


def test_the_htmx_fragment_marks_the_union_too(client, imh):
    response = client.get(IMH_URL, SEVEN_WEEKS_AT_30, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "<html" not in content and not elements(content, "h1")
    assert marks(response) == SEVEN_WEEKS_BORN_AT_30
    listed = [line for line in visible_lines(content) if line.startswith("Listed under ")]
    assert len(listed) == len(SEVEN_WEEKS_BORN_AT_30)
