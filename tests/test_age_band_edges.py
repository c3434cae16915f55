"""Issue 21, the band rule's test gap: a band [start, end) holds a child from its first day
(start) to its last (end - 1), and not on the day after (end). Each band of the fixtures is
tried at those three days through both copies of the rule, the database's
(EntryQuerySet.for_ages, and so the page filtered by age) and ChildAge.in_band, and at the
corrected age, which ChildAge.applies_at judges by a rule of its own."""

import json
from pathlib import Path

import pytest

from pathways.ages import CORRECT_UNTIL_DAYS, FULL_TERM_DAYS, ChildAge
from pathways.models import AgeBand, Entry

from .conftest import FIXTURES, IMH_URL

BANDS = sorted(
    (item["fields"]["slug"], item["fields"]["start_days"], item["fields"]["end_days"])
    for path in FIXTURES
    for item in json.loads(Path(path).read_text())
    if item["model"] == "pathways.ageband"
)
BAND_IDS = [slug for slug, _, _ in BANDS]


def edges(start: int, end: int) -> list[tuple[str, int, bool]]:
    """The band's first day, last day and the day after, with whether the band holds it."""
    return [("first day", start, True), ("last day", end - 1, True), ("day after", end, False)]


def test_every_band_of_the_fixtures_is_tried():
    assert len(BANDS) == 11


@pytest.mark.parametrize(("slug", "start", "end"), BANDS, ids=BAND_IDS)
def test_in_band_holds_a_child_from_the_first_day_to_the_last(slug, start, end):
    for edge, days, held in edges(start, end):
        assert ChildAge(days).in_band(start, end) is held, (slug, edge, days)


@pytest.mark.parametrize(("slug", "start", "end"), BANDS, ids=BAND_IDS)
def test_the_database_and_the_page_hold_a_child_from_the_first_day_to_the_last(
    client, imh, slug, start, end
):
    band = AgeBand.objects.get(slug=slug)
    assert (band.start_days, band.end_days) == (start, end)
    entries = Entry.objects.filter(age_band=band)
    assert entries.exists(), f"no entry uses {slug}"
    published = set(entries.published().filter(pathway=imh).values_list("position", flat=True))
    assert published, f"no published entry of the seed pathway uses {slug}"
    for edge, days, held in edges(start, end):
        assert set(entries.for_age(days)) == (set(entries) if held else set()), (edge, days)
        response = client.get(IMH_URL, {"age": f"{days}d"})
        assert response.status_code == 200
        shown = {entry.position for entry in response.context["entries"]}
        assert (published <= shown) is held, (edge, days)
        assert held or not (published & shown), (edge, days)


# Born at 33 weeks: read at the actual age and at the corrected one, 7 weeks younger.
GESTATION = 33 * 7
EARLY = FULL_TERM_DAYS - GESTATION
# The bands whose edges a corrected age reaches before the second birthday.
CORRECTED_BANDS = [band for band in BANDS if band[2] + EARLY < CORRECT_UNTIL_DAYS]
CORRECTED_IDS = [slug for slug, _, _ in CORRECTED_BANDS]


def test_the_corrected_age_reaches_the_first_year_bands():
    assert {slug for slug, _, _ in CORRECTED_BANDS} >= {"birth-6-weeks", "6-months-1-year"}


@pytest.mark.parametrize(("slug", "start", "end"), CORRECTED_BANDS, ids=CORRECTED_IDS)
def test_a_corrected_age_is_held_from_the_first_day_to_the_last(slug, start, end):
    for edge, days, held in edges(start, end):
        child = ChildAge(days + EARLY, gestation_days=GESTATION)
        assert child.is_corrected and child.days == days
        # The actual age, 7 weeks older, is past the band on its last day and after.
        assert child.in_band(start, end) is (held or child.actual_days < end), (edge, days)
        assert (child.applies_at(start, end) in {"corrected", "both"}) is held, (edge, days)


@pytest.mark.parametrize(("slug", "start", "end"), CORRECTED_BANDS, ids=CORRECTED_IDS)
def test_the_actual_age_of_a_corrected_child_is_held_from_the_first_day_to_the_last(
    slug, start, end
):
    for edge, days, held in edges(start, end):
        child = ChildAge(days, gestation_days=GESTATION)
        assert child.is_corrected, (edge, days)
        assert (child.applies_at(start, end) in {"actual", "both"}) is held, (edge, days)


@pytest.mark.parametrize(("slug", "start", "end"), CORRECTED_BANDS, ids=CORRECTED_IDS)
def test_the_page_holds_a_corrected_age_from_the_first_day_to_the_last(
    client, imh, slug, start, end
):
    published = set(
        Entry.objects.published()
        .filter(pathway=imh, age_band__slug=slug)
        .values_list("position", flat=True)
    )
    assert published, f"no published entry of the seed pathway uses {slug}"
    for edge, days, held in edges(start, end):
        actual = days + EARLY
        response = client.get(IMH_URL, {"age": f"{actual}d", "born_at_weeks": "33"})
        shown = {entry.position for entry in response.context["entries"]}
        actual_held = start <= actual < end
        assert (published <= shown) is (held or actual_held), (edge, days)
