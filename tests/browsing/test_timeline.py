"""The pathway in one picture: the timeline's geometry (pathways/browsing/timeline.py), on
plain data and on the seed's own content."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.ages import ChildAge, to_days
from pathways.browsing import timeline
from pathways.browsing.timeline import END_DAYS, build_timeline, layout, linked, position, x_of
from pathways.models import Entry, Stage

STAGES = [("Birth - 6 weeks", 0, 42), ("8 weeks - 6 months", 56, 183), ("3 - 5 years", 1096, 1826)]
SERVICES = [("health-visiting", "Health Visiting"), ("gp", "Primary Care & GP")]
ENTRIES = [
    # number, service, band, start, end (in the pathway's order)
    (10, "health-visiting", "Birth - 6 weeks", 0, 42),
    (20, "health-visiting", "Birth - 6 weeks", 0, 42),
    (30, "health-visiting", "3 - 8 weeks", 21, 56),
    (40, "health-visiting", "8 weeks - 6 months", 56, 183),
    (50, "gp", "Birth - 5 years", 0, 1826),
]


def bars_by_band(picture):
    return {(bar.service, bar.band): bar for bar in picture.bars}


def test_the_axis_runs_from_birth_to_five_years_and_gives_the_first_weeks_room():
    assert position(0) == 0
    assert position(END_DAYS) == 1
    assert position(10_000) == 1  # older than the picture: at its right edge
    ages = [0, 21, 42, 56, 183, 365, 1096, 1826]
    places = [position(days) for days in ages]
    assert places == sorted(places) and len(set(places)) == len(places)
    # Birth to 6 weeks is 2.3% of five years, but gets at least a sixth of the width.
    assert position(42) > 1 / 6
    # Years still read as years: 1 to 3 years is wider than 3 to 5 years (log-like).
    assert position(1096) - position(365) > position(1826) - position(1096)


def test_rationales_sharing_a_band_in_a_lane_are_one_bar_labelled_with_their_count():
    picture = layout(STAGES, SERVICES, ENTRIES)
    bars = bars_by_band(picture)
    assert [lane.service for lane in picture.lanes] == ["Health Visiting", "Primary Care & GP"]
    assert len(picture.bars) == 4
    birth = bars[("Health Visiting", "Birth - 6 weeks")]
    assert birth.count == 2 and birth.numbers == (10, 20)
    assert birth.description == "Health Visiting, Birth - 6 weeks: 2 rationales"
    assert bars[("Primary Care & GP", "Birth - 5 years")].count == 1
    assert bars[("Primary Care & GP", "Birth - 5 years")].description.endswith("1 rationale")


def test_bars_span_their_bands_and_overlapping_bands_stack_in_rows_of_their_lane():
    picture = layout(STAGES, SERVICES, ENTRIES)
    bars = bars_by_band(picture)
    birth = bars[("Health Visiting", "Birth - 6 weeks")]
    weeks = bars[("Health Visiting", "3 - 8 weeks")]
    later = bars[("Health Visiting", "8 weeks - 6 months")]
    assert birth.x == x_of(0) and birth.x + birth.width == pytest.approx(x_of(42), abs=0.11)
    assert weeks.x == x_of(21)
    # 3 - 8 weeks overlaps birth - 6 weeks: a row lower. 8 weeks - 6 months starts where
    # 3 - 8 weeks ends (bands are half-open), so it shares the first row.
    assert (birth.row, weeks.row, later.row) == (0, 1, 0)
    assert weeks.y > birth.y and later.y == birth.y
    # Lanes do not overlap, and every bar is inside its lane and inside the picture.
    first, second = picture.lanes
    assert first.y + first.height <= second.y
    for lane in picture.lanes:
        for bar in lane.bars:
            assert lane.y <= bar.y and bar.y + bar.height <= lane.y + lane.height
            assert bar.x >= 0 and bar.x + bar.width <= timeline.WIDTH
    assert picture.height >= second.y + second.height


def test_a_stretch_no_stage_covers_is_a_visible_unlabelled_gap():
    picture = layout(STAGES, SERVICES, ENTRIES)
    gaps = [segment for segment in picture.stages if segment.is_gap]
    assert [(gap.start_days, gap.end_days) for gap in gaps] == [(42, 56), (183, 1096)]
    six_to_eight = gaps[0]
    assert six_to_eight.width > 0
    assert six_to_eight.gap_words == "No stage covers 6 weeks to 8 weeks"
    labelled = [segment.label for segment in picture.stages if not segment.is_gap]
    assert labelled == [label for label, *_ in STAGES]
    assert [tick.label for tick in picture.ticks][:3] == ["Birth", "6w", "8w"]
    # 6 and 8 weeks are close on the axis: their labels take different rows.
    six, eight = picture.ticks[1], picture.ticks[2]
    assert six.y != eight.y


def test_no_child_no_lines_and_a_term_baby_has_one_line_at_their_age():
    picture = layout(STAGES, SERVICES, ENTRIES)
    assert picture.for_child(None).lines == ()
    child = picture.for_child(ChildAge(to_days(weeks=10)))
    [line] = child.lines
    assert line.kind == "age" and line.days == 70 and line.x == x_of(70)
    assert line.label == "Child's age 10w"
    covering = {bar.band for bar in child.bars if child.covers_child(bar)}
    assert covering == {"8 weeks - 6 months", "Birth - 5 years"}
    assert child.height > picture.height  # room for the line's label
    assert picture.lines == ()  # the version-wide picture is not changed


def test_a_premature_baby_has_lines_at_actual_and_corrected_age():
    # 14 weeks old, born at 32 weeks: 8 weeks early, corrected age 6 weeks.
    picture = layout(STAGES, SERVICES, ENTRIES).for_child(ChildAge(98, 32 * 7))
    actual, corrected = picture.lines
    assert (actual.kind, actual.days, actual.label) == ("actual", 98, "Actual age 14w")
    assert (corrected.kind, corrected.days) == ("corrected", 42)
    assert corrected.label == "Corrected age 6w"
    assert corrected.x < actual.x
    assert corrected.label_y != actual.label_y
    # The bars marked are those of both ages: what applies at either is shown.
    covering = {bar.band for bar in picture.bars if picture.covers_child(bar)}
    assert covering == {"3 - 8 weeks", "8 weeks - 6 months", "Birth - 5 years"}


def test_bars_link_to_a_card_on_this_page_or_else_to_the_unfiltered_page():
    picture = layout(STAGES, SERVICES, ENTRIES)
    lanes = linked(picture, {20, 40}, "#entry-", "/p/#entry-")
    items = {item.bar.band: item for _, bars in lanes for item in bars}
    assert items["Birth - 6 weeks"].href == "#entry-20"  # its shown card, not its first
    assert items["Birth - 6 weeks"].shown
    assert items["3 - 8 weeks"].href == "/p/#entry-30"
    assert items["3 - 8 weeks"].description.endswith("(not in these results)")


def test_the_seed_pathway_in_one_picture(imh):
    entries = Entry.objects.published()
    stages = list(Stage.objects.all())
    with CaptureQueriesContext(connection) as queries:
        picture = build_timeline(imh, entries, stages)
    assert len(queries) == 1  # however many bars
    assert [lane.service for lane in picture.lanes] == [
        "Health Visiting",
        "Childrens Centres & EYFS",
        "Primary Care & GP",
    ]
    assert sum(bar.count for bar in picture.bars) == entries.filter(pathway=imh).count() == 19
    hv = {bar.band: bar.count for bar in picture.lanes[0].bars}
    assert hv["Birth - 6 weeks"] == 4 and hv["1 - 3 years"] == 3
    # The seed's stages leave 6 to 8 weeks uncovered.
    gaps = [(s.start_days, s.end_days) for s in picture.stages if s.is_gap]
    assert gaps == [(42, 56)]
    assert len(picture.stages) == 6


def test_every_text_in_the_drawing_is_escaped():
    def hostile(what):
        return f'<b>"{what}\'s" & co</b>'

    def escaped(what):
        return f"&lt;b&gt;&quot;{what}&#x27;s&quot; &amp; co&lt;/b&gt;"

    picture = layout(
        [(hostile("stage"), 0, 42)],
        [("gp", hostile("service"))],
        [(10, "gp", hostile("band"), 0, 42), (20, "gp", "3 - 8 weeks", 21, 56)],
    ).for_child(ChildAge(70))
    lanes = linked(picture, {10}, hostile("here"), hostile("everything"))
    drawn = timeline.draw(picture, timeline.draw_lanes(lanes), hostile("title"))
    assert "<b>" not in drawn and "'" not in drawn
    # Where each text appears: in the picture, in its links' titles, in the list.
    assert drawn.count(escaped("stage")) == 1
    assert drawn.count(escaped("title")) == 1
    assert drawn.count(escaped("service")) == 2 + 2
    assert drawn.count(escaped("band")) == 1 + 1
    assert drawn.count(escaped("here")) == drawn.count(escaped("everything")) == 2
    assert drawn.startswith('<figure class="timeline"') and drawn.endswith("</details>")
