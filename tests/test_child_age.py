"""The child's age from a date of birth, and corrected age for babies born early: worked
examples with a fixed "today" (23 November 2026, UK time)."""

from datetime import date, timedelta

import pytest

from pathways import ages
from pathways.ages import ChildAge
from pathways.models import Entry

from .conftest import IMH_URL
from .pagetext import Element, element, elements

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


def listed_items(html: str) -> dict[str, Element]:
    """The results listed by age: each card's id and the item that holds it."""
    items = {}
    for item in elements(html, "div", "results__item"):
        [card] = elements(item.markup, "article")
        items[card.attrs["id"]] = item
    return items


def marks(response) -> dict[int, str | None]:
    """Each shown entry's position and the age it is marked as applying at, read from the
    page's own markup (outside the cached card)."""
    items = listed_items(response.content.decode())
    found = {}
    for entry in response.context["entries"]:
        item = items.get(f"entry-{entry.number}")
        found[entry.position] = item.attrs.get("data-applies-at") if item else None
    return found


# PRODUCT.md "Corrected age": the union of what applies at the actual and corrected ages.
SEVEN_WEEKS_BORN_AT_30 = {
    **dict.fromkeys([10, 20, 30, 40, 60], "corrected"),  # at birth: not yet due
    **dict.fromkeys([50, 80, 90, 130], "actual"),  # 3 - 8 weeks, 6 weeks - 6 months, - 1 year
    **dict.fromkeys(BIRTH_TO_5, "both"),
}
TEN_WEEKS_BORN_AT_32 = {
    **dict.fromkeys([10, 20, 30, 40, 60], "corrected"),  # 2 weeks corrected
    **dict.fromkeys([70, 80, 90, 130], "actual"),
    **dict.fromkeys(BIRTH_TO_5, "both"),
}


@pytest.mark.parametrize(
    ("params", "expected", "sentence"),
    [
        (
            {"age": "7w", "born_at_weeks": "30"},
            SEVEN_WEEKS_BORN_AT_30,
            "Showing what applies at the child&#x27;s actual age, 7 weeks, and at their "
            "corrected age, which is not yet due (due in 3 weeks): what applies at birth is "
            "shown for it.",
        ),
        (
            {"age": "10w", "born_at_weeks": "32"},
            TEN_WEEKS_BORN_AT_32,
            "Showing what applies at the child&#x27;s actual age, 10 weeks, and at their "
            "corrected age, 2 weeks.",
        ),
        (
            {"dob": born(70), "born_at_weeks": "32"},
            TEN_WEEKS_BORN_AT_32,
            "Showing what applies at the child&#x27;s actual age, 10 weeks today, and at "
            "their corrected age, 2 weeks.",
        ),
        (
            # 32+4 is 7 weeks 3 days early: corrected 2 weeks 4 days, still the birth set.
            {"age": "10w", "born_at_weeks": "32+4"},
            TEN_WEEKS_BORN_AT_32,
            "Showing what applies at the child&#x27;s actual age, 10 weeks, and at their "
            "corrected age, 2 weeks 4 days.",
        ),
    ],
)
def test_corrected_age_adds_to_the_actual_age(client, imh, params, expected, sentence):
    response = get(client, **params)
    assert marks(response) == expected
    assert shown(response) == sorted(expected)  # seed order, each entry once
    content = response.content.decode()
    assert sentence in content
    assert "each rationale says which age it applies at" in content
    # The visit schedule from birth is not hidden by the corrected age.
    if params.get("age") == "7w":
        assert "Additional Visit following New Birth Visit" in content


@pytest.mark.parametrize("written", ["32+4", "32w4d", "32 weeks 4 days", "32 Weeks and 4 days"])
def test_gestation_as_clinicians_write_it(client, imh, written):
    response = get(client, age="10w", born_at_weeks=written)
    child = response.context["filter"].child_age
    assert (child.gestation_days, child.corrected_days) == (228, 70 - 52)
    assert marks(response) == TEN_WEEKS_BORN_AT_32
    assert "born at 32+4 weeks, 7 weeks 3 days early" in response.content.decode()
    active = {(item["label"], item["text"]) for item in response.context["active"]}
    assert ("Born at", "32+4 weeks") in active


@pytest.mark.parametrize(("written", "days"), [("32", 224), ("32 weeks", 224), ("32w", 224)])
def test_whole_weeks_of_gestation(client, imh, written, days):
    response = get(client, age="10w", born_at_weeks=written)
    assert response.context["filter"].child_age.gestation_days == days
    assert marks(response) == TEN_WEEKS_BORN_AT_32


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("21", "born at 21 weeks: age is corrected only for a birth from 22+0 to 36+6 weeks"),
        ("21+6", "born at 21+6 weeks: age is corrected only for a birth from 22+0 to 36+6"),
        ("37", "born at 37 weeks: a baby born at 37 weeks or later is not corrected"),
        ("37+0", "born at 37 weeks: a baby born at 37 weeks or later is not corrected"),
        ("40", "born at 40 weeks: a baby born at 37 weeks or later is not corrected"),
    ],
)
def test_gestation_outside_the_corrected_range_is_said_beside_the_age(client, imh, written, why):
    response = get(client, age="10w", born_at_weeks=written)
    assert not response.context["filter"].form.errors
    assert shown(response) == EIGHT_WEEKS_TO_6_MONTHS
    assert set(marks(response).values()) == {None}
    [age_line] = elements(response.content.decode(), "div", "child-age")
    assert age_line.lines[0] == "Showing what applies to a child aged 10 weeks (actual age)."
    assert why in age_line.text and "so the actual age is used" in age_line.text


@pytest.mark.parametrize(("written", "days"), [("22", 154), ("22+0", 154), ("36+6", 258)])
def test_the_edges_of_the_corrected_range_are_corrected(client, imh, written, days):
    child = get(client, age="10w", born_at_weeks=written).context["filter"].child_age
    assert (child.gestation_days, child.is_corrected) == (days, True)


@pytest.mark.parametrize("written", ["thirty", "32+7", "324", "32-4", "32++4", "w4"])
def test_unreadable_gestation_filters_by_actual_age_and_says_so(client, imh, written):
    response = get(client, age="10w", born_at_weeks=written)
    content = response.content.decode()
    assert "Enter the weeks of pregnancy at birth like 32, 32+4, 32w4d or 32 weeks 4 days." in (
        content
    )
    assert "The weeks of pregnancy at birth could not be read, so the age is not corrected" in (
        content
    )
    assert shown(response) == EIGHT_WEEKS_TO_6_MONTHS


# The second birthday, by the calendar: TODAY is 23 November 2026.
DAY_BEFORE_SECOND_BIRTHDAY = "2024-11-24"  # 729 days old
SECOND_BIRTHDAY = "2024-11-23"  # 730 days old: under the 731 days of "2y"


def test_the_day_before_the_second_birthday_is_corrected(client, imh):
    response = get(client, dob=DAY_BEFORE_SECOND_BIRTHDAY, born_at_weeks="30")
    child = response.context["filter"].child_age
    assert (child.actual_days, child.is_corrected, child.days) == (729, True, 659)
    assert marks(response) == dict.fromkeys(ONE_TO_3_YEARS, "both")
    content = response.content.decode()
    assert "actual age, 1 year 11 months 4 weeks today, and at their corrected age" in content
    assert "23 months" not in content


def test_the_second_birthday_is_not_corrected(client, imh):
    response = get(client, dob=SECOND_BIRTHDAY, born_at_weeks="30")
    child = response.context["filter"].child_age
    assert (child.actual_days, child.is_corrected) == (730, False)
    assert marks(response) == dict.fromkeys(ONE_TO_3_YEARS)
    content = response.content.decode()
    assert "Showing what applies to a child aged 2 years today (actual age)." in content
    assert "from the second birthday age is not corrected for prematurity" in content
    assert "23 months" not in content


def test_a_birthday_on_29_february_is_kept_on_1_march():
    born_on = date(2024, 2, 29)
    before = ChildAge(0, 30 * 7, born=born_on, today=date(2026, 2, 28))
    on = ChildAge(0, 30 * 7, born=born_on, today=date(2026, 3, 1))
    assert (before.past_second_birthday, on.past_second_birthday) == (False, True)


def test_25_months_old_born_at_30_weeks_uses_actual_age(client, imh):
    response = get(client, age="25m", born_at_weeks="30")
    child = response.context["filter"].child_age
    assert (child.actual_days, child.days, child.is_corrected) == (761, 761, False)
    assert shown(response) == ONE_TO_3_YEARS
    content = response.content.decode()
    assert "aged 25 months (actual age)" in content
    assert "from the second birthday age is not corrected for prematurity" in content


@pytest.mark.parametrize(
    ("age", "weeks", "ages_used", "expected"),
    [
        # Corrected age crosses the 1-year boundary exactly: 10 weeks early is 70 days.
        (
            "434d",
            "30",
            [434, 364],
            {
                **dict.fromkeys([100, 110, 120, 130], "corrected"),
                **dict.fromkeys([140, 150, 160], "actual"),
                **dict.fromkeys(BIRTH_TO_5, "both"),
            },
        ),
        ("435d", "30", [435, 365], dict.fromkeys(ONE_TO_3_YEARS, "both")),
        # A typed age is corrected below 2 years by the same units: 730 days is, 2y is not.
        ("730d", "23", [730, 730 - 17 * 7], dict.fromkeys(ONE_TO_3_YEARS, "both")),
        ("731d", "23", [731], dict.fromkeys(ONE_TO_3_YEARS)),
        ("2y", "23", [731], dict.fromkeys(ONE_TO_3_YEARS)),
        ("24m", "23", [731], dict.fromkeys(ONE_TO_3_YEARS)),
        # 36 weeks is 4 weeks early: corrected 6 weeks, on the edge of 0 - 6 weeks.
        (
            "10w",
            "36",
            [70, 42],
            {50: "corrected", 70: "actual", **dict.fromkeys([80, 90, 130, *BIRTH_TO_5], "both")},
        ),
        # Before the due date: birth is the corrected set.
        ("2w", "28", [14, 0], dict.fromkeys(BIRTH, "both")),
    ],
)
def test_corrected_age_edges(client, imh, age, weeks, ages_used, expected):
    response = get(client, age=age, born_at_weeks=weeks)
    assert response.context["filter"].child_age.ages == ages_used
    assert marks(response) == expected
    assert shown(response) == sorted(expected)


def test_before_the_due_date_says_so(client, imh):
    content = get(client, age="2w", born_at_weeks="28").content.decode()
    assert "corrected age, which is not yet due (due in 10 weeks)" in content


def test_a_child_of_5_or_more_is_told_the_range_of_the_pathway(client, imh):
    for age in ("5y", "6y", "1826d"):
        response = get(client, age=age)
        content = response.content.decode()
        assert shown(response) == []
        [empty] = elements(content, "div", "results__empty")
        assert empty.lines == [
            "There are no rationales that match your filters.",
            "Please amend your choices to see more rationales.",
            "This pathway covers children from birth to 5 years.",
        ]
    content = get(client, age="1825d", service="primary-care-gp").content.decode()
    assert "This pathway covers children" not in element(content, "results").text


def test_filtered_by_age_there_are_no_stage_headings(client, imh):
    response = get(client, age="10w")
    content = response.content.decode()
    stages = ("6-12 months", "3 - 5 years", "8 weeks - 6 months")
    headings = [heading.text for heading in elements(content, "h2")]
    assert not set(stages) & set(headings)
    # Each card names its own band and the stage it is listed under.
    listed = response.context["entries"]
    bands = dict(
        Entry.objects.filter(pk__in=[e.pk for e in listed]).values_list("pk", "age_band__label")
    )
    items = listed_items(content)
    assert len(items) == len(listed)
    for entry in listed:
        item = items[f"entry-{entry.number}"]
        [card] = elements(item.markup, "article")
        assert bands[entry.pk] in card.lines
        assert item.lines[0] == f"Listed under {entry.stage.label}"
    # Without an age, the stage headings stay.
    headings = [heading.text for heading in elements(get(client).content.decode(), "h2")]
    assert set(stages) <= set(headings)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dob": born(-1)}, "The date of birth is in the future: enter a date up to today"),
        ({"dob": born(ages.MAX_AGE_DAYS + 1)}, "Enter a date of birth less than 19 years ago."),
        ({"dob": "2026-02-30"}, "Enter the date of birth as a real date"),
        ({"dob": "2026/11/23"}, "Enter the date of birth as a real date"),
        ({"dob": "31/02/2026"}, "Enter the date of birth as a real date"),
        ({"dob": "9" * 300}, "Enter the date of birth as a real date"),
        ({"age": "10w", "born_at_weeks": "32.5"}, "like 32, 32+4, 32w4d or 32 weeks 4 days"),
        ({"age": "10w", "born_at_weeks": "3" * 30}, "like 32, 32+4, 32w4d or 32 weeks 4 days"),
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
        # The age still applies; only the gestation was set aside, and the page says so.
        assert child == ChildAge(70, words="10 weeks", gestation_unreadable=True)
        assert not child.is_corrected
    else:
        assert child is None
        assert shown(response) == [190]


def test_date_of_birth_exactly_5_years_ago_is_allowed(client, imh):
    five_years_ago = TODAY.replace(year=TODAY.year - 5).isoformat()
    response = get(client, dob=five_years_ago)
    assert (
        response.context["filter"].child_age.actual_days == (TODAY - TODAY.replace(year=2021)).days
    )
    assert response.context["filter"].form.errors == {}


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
    ("typed", "born_on"),
    [
        ("23/9/26", date(2026, 9, 23)),
        ("23/09/2026", date(2026, 9, 23)),
        ("23/09/26", date(2026, 9, 23)),
        ("23 Sep 2026", date(2026, 9, 23)),
        ("23 sept 2026", date(2026, 9, 23)),
        ("23 September 2026", date(2026, 9, 23)),
        ("23 september 26", date(2026, 9, 23)),
        ("2026-09-23", date(2026, 9, 23)),
        (" 1/1/25 ", date(2025, 1, 1)),
        ("1 Jan 2025", date(2025, 1, 1)),
    ],
)
def test_dates_of_birth_as_people_type_them(client, imh, typed, born_on):
    child = get(client, dob=typed).context["filter"].child_age
    assert (child.born, child.actual_days) == (born_on, (TODAY - born_on).days)


@pytest.mark.parametrize("typed", ["24/11/26", "24 November 2026", "2027-01-01", "1/1/99"])
def test_a_date_of_birth_in_the_future_is_refused(client, imh, typed):
    response = get(client, dob=typed)
    assert "The date of birth is in the future: enter a date up to today, for example" in (
        response.content.decode()
    )
    assert response.context["filter"].child_age is None


@pytest.mark.parametrize("typed", ["yesterday", "23 Smarch 2026", "23/13/2026", "2026"])
def test_an_unreadable_date_of_birth_gets_an_example(client, imh, typed):
    response = get(client, dob=typed)
    assert (
        "Enter the date of birth as a real date, for example 23/09/2026, 23 September 2026 or "
        "2026-09-23." in response.content.decode()
    )
    assert response.context["filter"].child_age is None


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("2 months", "2 months"),
        ("2m", "2 months"),
        ("10w", "10 weeks"),
        ("1y6m", "1 year 6 months"),
        ("1 year 6 months", "1 year 6 months"),
        ("45d", "45 days"),
        ("1 week", "1 week"),
        ("18m", "18 months"),
    ],
)
def test_a_typed_age_is_restated_in_the_words_used(client, imh, typed, words):
    content = get(client, age=typed).content.decode()
    assert f"Showing what applies to a child aged {words}." in content


def test_the_age_box_is_wide_enough_for_words(client, imh):
    content = get(client).content.decode()
    assert "nhsuk-input--width-20" in element(content, "id_age").classes


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
        (365, "1 year"),
        (400, "1 year 1 month"),
        (729, "1 year 11 months 4 weeks"),
        (730, "1 year 11 months 4 weeks"),
        (731, "2 years"),
        (761, "2 years 1 month"),
        (1826, "5 years"),
    ],
)
def test_describe_days(days, words):
    assert ages.describe_days(days) == words
