"""Children's ages and age band labels in days: PRODUCT.md's units and rounding."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways import ages
from pathways.ages import MAX_AGE_DAYS, AgeError, parse_band_label, read_age, to_days


@pytest.mark.parametrize(
    ("kwargs", "days"),
    [
        ({"weeks": 6}, 42),
        ({"weeks": 8}, 56),
        ({"months": 6}, 183),  # 182.625 rounds up
        ({"months": 3}, 91),  # 91.3125 rounds down
        ({"months": 12}, 365),  # 365.25
        ({"years": 1}, 365),
        ({"years": 2}, 731),  # 730.5: halves round up
        ({"years": 3}, 1096),  # 1095.75
        ({"years": 5}, 1826),  # 1826.25
        ({"years": 1, "months": 6}, 548),  # 547.875
        ({"months": 2}, 61),  # 60.875
        ({}, 0),
    ],
)
def test_to_days(kwargs, days):
    assert to_days(**kwargs) == days


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("45d", 45),
        ("10w", 70),
        ("3m", 91),
        ("2y", 731),
        ("1y6m", 548),
        ("1Y6M", 548),
        (" 1y 6m ", 548),
        ("1 year 6 months", 548),
        ("1 year, 6 months", 548),
        ("1 year and 6 months", 548),
        ("10 weeks", 70),
        ("2 wks 3 days", 17),
        ("6 mths", 183),
        ("0d", 0),
        ("1y2m3w4d", to_days(1, 2, 3, 4)),
    ],
)
def test_parse_age(text, days):
    assert read_age(text)[0] == days


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the child's age"),
        ("10", "Add a unit"),
        ("ten weeks", "using d, w, m or y"),
        ("6m1y", "using d, w, m or y"),  # units out of order are ambiguous
        ("-3w", "using d, w, m or y"),
        ("1.5y", "using d, w, m or y"),
        ("3x", "using d, w, m or y"),
        ("20y", "under 19 years"),
        ("99999d", "under 19 years"),
        ("1" * 41, "too long"),
    ],
)
def test_parse_age_refuses_with_a_message(text, message):
    with pytest.raises(AgeError, match=message):
        read_age(text)


@given(st.text(max_size=60))
def test_parse_age_never_fails_any_other_way(text):
    try:
        days, _ = read_age(text)
    except AgeError:
        return
    assert 0 <= days <= MAX_AGE_DAYS


@given(st.integers(0, 18), st.integers(0, 11), st.integers(0, 4), st.integers(0, 6))
def test_parse_age_agrees_with_to_days(years, months, weeks, days):
    expected = to_days(years, months, weeks, days)
    if expected > MAX_AGE_DAYS:
        return
    assert read_age(f"{years}y{months}m{weeks}w{days}d")[0] == expected


@pytest.mark.parametrize(
    ("label", "bounds"),
    [
        ("Birth - 6 weeks", (0, 42)),
        ("3 - 8 weeks", (21, 56)),
        ("0 - 6 weeks", (0, 42)),
        ("8 weeks - 6 months", (56, 183)),
        ("6 weeks - 6 months", (42, 183)),
        ("6-12 months", (183, 365)),
        ("6 months - 1 year", (183, 365)),
        ("6 weeks - 1 year", (42, 365)),
        ("1 - 3 years", (365, 1096)),
        ("3 - 5 years", (1096, 1826)),
        ("Birth - 5 years", (0, 1826)),
    ],
)
def test_parse_band_label(label, bounds):
    assert parse_band_label(label) == bounds


def test_parse_band_label_refuses_what_is_not_a_band():
    with pytest.raises(ValueError, match="Not an age band label"):
        parse_band_label("Core Purpose 2")


# Ranges are half-open [start, end): a band that ends on the day a stage starts (or starts on
# the day it ends) sits right next to it and does not overlap it; one more day does.


@pytest.mark.parametrize(
    ("band", "overlaps"),
    [
        ((0, 56), False),  # Birth - 8 weeks ends where 8 weeks - 6 months starts
        ((0, 57), True),
        ((183, 365), False),  # 6-12 months starts where 8 weeks - 6 months ends
        ((182, 365), True),
        ((56, 183), True),  # the stage's own range
    ],
)
def test_a_band_right_next_to_a_stage_does_not_overlap_it(band, overlaps):
    from pathways.models import AgeBand, Stage

    stage = Stage(label="8 weeks - 6 months", start_days=56, end_days=183)
    age_band = AgeBand(label="band", start_days=band[0], end_days=band[1])
    assert age_band.overlaps(stage) is overlaps
    assert stage.overlaps(age_band) is overlaps


def test_an_entry_whose_band_only_touches_its_stage_is_refused(imh):
    from django.core.exceptions import ValidationError

    from pathways.models import AgeBand, Entry

    entry = Entry.objects.get(pathway=imh, position=10)  # under Birth - 6 weeks
    entry.age_band = AgeBand.objects.create(label="6 weeks - 8 weeks", start_days=42, end_days=56)
    with pytest.raises(ValidationError, match="does not overlap the stage"):
        entry.full_clean()


@pytest.mark.parametrize(
    "value, unit, days",
    [
        (32, "wk", 224),
        (32.5, "wk", 228),  # 227.5 days: half up, as CQL's Round
        (226.5, "d", 227),  # half up, where Python's round() gives 226
        (226.4, "days", 226),
        (30, "weeks", 210),
        (30, "mo", None),
    ],
)
def test_a_quantity_of_gestation_is_whole_days_rounded_half_up_as_cql_rounds(value, unit, days):
    assert ages.quantity_days(value, unit) == days
