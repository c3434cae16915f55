"""The child's age from a date of birth, and corrected age for babies born early: worked
examples with a fixed "today" (23 November 2026, UK time)."""

from datetime import date, timedelta

import pytest

from pathways import ages
from pathways.ages import ChildAge, to_days

from .conftest import IMH_URL

TODAY = date(2026, 11, 23)
REAL_UK_TODAY = ages.uk_today
BIRTH_TO_5 = [180, 190]
BIRTH = [10, 20, 30, 40, 60, *BIRTH_TO_5]  # 0 - 20 days
TWO_WEEKS = BIRTH
EIGHT_WEEKS_TO_6_MONTHS = [70, 80, 90, 130, *BIRTH_TO_5]
SIX_TO_12_MONTHS = [100, 110, 120, 130, *BIRTH_TO_5]
ONE_TO_3_YEARS = [140, 150, 160, *BIRTH_TO_5]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(ages, "uk_today", lambda: TODAY)


def born(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def get(client, **params):
    response = client.get(IMH_URL, params)
    assert response.status_code == 200
    return response


def shown(response) -> list[int]:
    return [entry.position for entry in response.context["entries"]]


def test_date_of_birth_gives_the_age_today(client, imh):
    response = get(client, dob=born(73))
    assert shown(response) == EIGHT_WEEKS_TO_6_MONTHS
    assert "Showing what applies to a child aged 10 weeks 3 days today." in (
        response.content.decode()
    )


@pytest.mark.parametrize("typed", ["14/09/2026", "14-09-2026", "14.09.2026", "2026-09-14"])
def test_date_of_birth_as_typed_in_the_uk_or_iso(client, imh, typed):
    response = get(client, dob=typed)
    assert response.context["filter"].child_age.actual_days == 70


def test_born_today_is_0_days(client, imh):
    response = get(client, dob=TODAY.isoformat())
    assert shown(response) == BIRTH
    assert "aged 0 days today" in response.content.decode()


def test_ten_weeks_old_born_at_32_weeks_uses_2_weeks_corrected(client, imh):
    for params in ({"age": "10w"}, {"dob": born(70)}):
        response = get(client, born_at_weeks="32", **params)
        child = response.context["filter"].child_age
        assert (child.actual_days, child.days, child.is_corrected) == (70, 14, True)
        assert shown(response) == TWO_WEEKS
        content = response.content.decode()
        assert "Showing what applies to a child aged 2 weeks (corrected age)." in content
        assert "is 10 weeks old" in content and "born at 32 weeks, 8 weeks early" in content


def test_25_months_old_born_at_30_weeks_uses_actual_age(client, imh):
    response = get(client, age="25m", born_at_weeks="30")
    child = response.context["filter"].child_age
    assert (child.actual_days, child.days, child.is_corrected) == (761, 761, False)
    assert shown(response) == ONE_TO_3_YEARS
    content = response.content.decode()
    assert "aged 2 years 1 month (actual age)" in content
    assert "from 2 years old age is not corrected for prematurity" in content


@pytest.mark.parametrize(
    ("age", "weeks", "days_used", "expected"),
    [
        # Corrected age crosses the 1-year boundary exactly: 10 weeks early is 70 days.
        ("434d", "30", 364, SIX_TO_12_MONTHS),
        ("435d", "30", 365, ONE_TO_3_YEARS),
        # The last day before 2 years is corrected; 2 years (731 days) is not.
        ("730d", "23", 730 - 17 * 7, ONE_TO_3_YEARS),
        ("731d", "23", 731, ONE_TO_3_YEARS),
        ("2y", "23", 731, ONE_TO_3_YEARS),
        # 36 weeks is the latest preterm gestation: 4 weeks early.
        ("10w", "36", 42, [50, 80, 90, 130, *BIRTH_TO_5]),
        # Before the due date: read at birth.
        ("2w", "28", 0, BIRTH),
    ],
)
def test_corrected_age_edges(client, imh, age, weeks, days_used, expected):
    response = get(client, age=age, born_at_weeks=weeks)
    assert response.context["filter"].child_age.days == days_used
    assert shown(response) == expected


def test_before_the_due_date_says_so(client, imh):
    content = get(client, age="2w", born_at_weeks="28").content.decode()
    assert "Showing what applies at birth (corrected age 0 days)." in content
    assert "they have not reached their due date, which is 10 weeks away" in content


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dob": born(-1)}, "The date of birth is in the future."),
        ({"dob": born(to_days(years=5) + 2)}, "Enter a date of birth in the last 5 years"),
        ({"dob": "2026-02-30"}, "Enter the date of birth as a real date"),
        ({"dob": "2026/11/23"}, "Enter the date of birth as a real date"),
        ({"dob": "31/02/2026"}, "Enter the date of birth as a real date"),
        ({"dob": "9" * 300}, "Enter the date of birth as a real date"),
        ({"age": "10w", "born_at_weeks": "37"}, "only for a baby born early: 36 or fewer"),
        ({"age": "10w", "born_at_weeks": "22"}, "from 23 to 36"),
        ({"age": "10w", "born_at_weeks": "32.5"}, "as a whole number"),
        ({"born_at_weeks": "32"}, "Give the child&#x27;s age or date of birth as well"),
        (
            {"age": "10w", "dob": born(70)},
            "Give the child&#x27;s age or their date of birth, not both.",
        ),
    ],
)
def test_bad_ages_get_a_clear_message(client, imh, params, message):
    response = get(client, service="primary-care-gp", **params)
    assert message in response.content.decode()
    child = response.context["filter"].child_age
    if "born_at_weeks" in params and "age" in params and "dob" not in params:
        # The age still applies; only the gestation was set aside.
        assert child == ChildAge(70)
    else:
        assert child is None
        assert shown(response) == [190]


def test_date_of_birth_exactly_5_years_ago_is_allowed(client, imh):
    five_years_ago = TODAY.replace(year=TODAY.year - 5).isoformat()
    response = get(client, dob=five_years_ago)
    assert (
        response.context["filter"].child_age.actual_days == (TODAY - TODAY.replace(year=2021)).days
    )
    assert "Enter a date of birth" not in response.content.decode()


def test_uk_today_follows_the_uk_calendar():
    from datetime import UTC, datetime
    from unittest import mock

    from django.utils import timezone

    # 23:30 UTC on 30 June is already 1 July in London (BST); in winter they agree.
    with mock.patch.object(timezone, "now", return_value=datetime(2026, 6, 30, 23, 30, tzinfo=UTC)):
        assert REAL_UK_TODAY() == date(2026, 7, 1)
    with mock.patch.object(timezone, "now", return_value=datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
        assert REAL_UK_TODAY() == date(2026, 12, 1)


def test_active_filters_show_age_inputs(client, imh):
    response = get(client, dob=born(70), born_at_weeks="32")
    active = {(a["label"], a["text"]) for a in response.context["active"]}
    assert active == {("Date of birth", born(70)), ("Born at", "32 weeks")}


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0, "0 days"),
        (1, "1 day"),
        (6, "6 days"),
        (7, "1 week"),
        (73, "10 weeks 3 days"),
        (181, "25 weeks 6 days"),
        (183, "6 months"),
        (200, "6 months 2 weeks"),
        (365, "12 months"),
        (729, "23 months 4 weeks"),
        (731, "2 years"),
        (761, "2 years 1 month"),
        (1826, "5 years"),
    ],
)
def test_describe_days(days, words):
    assert ages.describe_days(days) == words
