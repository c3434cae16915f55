"""One rule for a child past the pathway's 5 years, whether the age is typed or worked out
from a date of birth: the empty state with the pathway's range on the page and the checklist,
nothing in the CSV, the API and CDS Hooks; past the oldest age read, a clear message."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pathways import ages
from pathways.ages import MAX_AGE_DAYS, PATHWAY_END_DAYS, PATHWAY_RANGE

from .conftest import IMH_URL, examples
from .pagetext import visible_lines

TODAY = date(2026, 11, 23)
NO_MATCHES = [
    "There are no rationales that match your filters.",
    "Please amend your choices to see more rationales.",
]
API_ENTRIES = "/api/pathways/infant-mental-health/entries/"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(ages, "uk_today", lambda: TODAY)


def born(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def results_text(response) -> list[str]:
    """The visible lines of the results: the empty state and the range, or the cards."""
    assert response.status_code == 200
    return visible_lines(response.content.decode(), within_id="results")


def said_about_6_years(client, url: str, params: dict) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, params
    return response.content.decode()


@pytest.mark.parametrize("given_as", [{"age": "6y"}, {"dob": born(6 * 365 + 2)}])
def test_a_child_of_6_gets_the_empty_state_and_the_range_however_the_age_is_given(
    client, imh, given_as
):
    response = client.get(IMH_URL, given_as)
    assert response.context["entries"] == []
    assert response.context["filter"].form.errors == {}
    text = results_text(response)
    for sentence in [*NO_MATCHES, PATHWAY_RANGE]:
        assert sentence in text
    checklist = said_about_6_years(client, f"{IMH_URL}checklist/", given_as)
    assert 'class="checklist__range">This pathway covers children from birth to 5 years.' in (
        checklist
    )
    csv_text = said_about_6_years(client, f"{IMH_URL}export.csv", given_as)
    assert csv_text.lstrip("\ufeff").strip().count("\n") == 0  # the header row alone
    api = client.get(API_ENTRIES, given_as)
    assert api.status_code == 200
    assert api.json()["entries"] == []


def test_the_day_before_the_5th_birthday_is_still_in_the_pathway(client, imh):
    for given_as in ({"age": f"{PATHWAY_END_DAYS - 1}d"}, {"dob": born(PATHWAY_END_DAYS - 1)}):
        response = client.get(IMH_URL, given_as)
        assert response.context["entries"], given_as
        assert PATHWAY_RANGE not in results_text(response)


@hypothesis_settings(
    max_examples=examples(10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(days=st.integers(min_value=PATHWAY_END_DAYS - 3, max_value=MAX_AGE_DAYS))
def test_an_age_and_a_date_of_birth_of_the_same_days_say_the_same(client, imh, days):
    typed = client.get(IMH_URL, {"age": f"{days}d"})
    from_birth = client.get(IMH_URL, {"dob": born(days)})
    assert [e.pk for e in typed.context["entries"]] == [e.pk for e in from_birth.context["entries"]]
    past = days >= PATHWAY_END_DAYS
    for response in (typed, from_birth):
        assert (PATHWAY_RANGE in results_text(response)) == past
        assert response.context["filter"].child_age.beyond_pathway == past


@pytest.mark.parametrize(
    ("given_as", "message"),
    [
        ({"age": f"{MAX_AGE_DAYS + 1}d"}, ages.AGE_MESSAGES["too_old"]),
        ({"dob": born(MAX_AGE_DAYS + 1)}, ages.AGE_MESSAGES["born_too_long_ago"]),
        ({"dob": "0001-01-01"}, ages.AGE_MESSAGES["born_too_long_ago"]),
    ],
)
def test_past_the_oldest_age_read_is_a_clear_message_never_a_5xx(client, imh, given_as, message):
    page = client.get(IMH_URL, given_as)
    assert page.status_code == 200
    assert message in visible_lines(page.content.decode())
    assert PATHWAY_RANGE not in results_text(page)
    for url in (f"{IMH_URL}checklist/", f"{IMH_URL}export.csv"):
        assert client.get(url, given_as).status_code == 200
    api = client.get(API_ENTRIES, given_as)
    assert api.status_code == 400
    assert [error["message"] for error in api.json()["errors"]] == [message]
