"""A pathway's page text read and written (issue 24, items 1 and 2, at the level of text):
seed 000 reads into exactly the fixture's content, the writer's text reads back to what was
written, and hostile text is refused with PageTextError naming its lines."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.browsing.views import NO_MATCHES
from pathways.characters import REFUSAL
from pathways.editing.page_text import (
    FURNITURE,
    MAX_ENTRIES,
    MAX_LINE_LENGTH,
    MAX_LINES,
    MAX_PROBLEMS,
    MAX_TEXT_LENGTH,
    PageText,
    PageTextError,
    Stray,
    TextEntry,
    TextIntervention,
    TextNote,
    band_range,
    read_page_text,
    write_page_text,
)

from ..conftest import examples

DATA = Path(__file__).parent.parent / "data"
FIXTURE = Path(__file__).parent.parent.parent / "fixtures" / "infant_mental_health.json"
SEED = (DATA / "000_daf425ab71d75f66.txt").read_text(encoding="utf-8")
IMH = "infant-mental-health"


def fixture_page() -> PageText:
    """The Infant Mental Health pathway as the fixture holds it, in the page text's shape."""
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))

    def of(model):
        return [row["fields"] for row in rows if row["model"] == f"pathways.{model}"]

    def names(model, attribute):
        return {fields["slug"]: fields[attribute] for fields in of(model)}

    stages, bands = names("stage", "label"), names("ageband", "label")
    tags, services = names("tag", "name"), names("service", "name")
    title = next(p["title"] for p in of("pathway") if p["slug"] == IMH)
    notes = sorted(
        (n for n in of("readingnote") if n["pathway"] == [IMH]), key=lambda n: n["position"]
    )
    entries = sorted((e for e in of("entry") if e["pathway"] == [IMH]), key=lambda e: e["position"])
    numbers = [entry["number"] for entry in entries]
    interventions = sorted(of("intervention"), key=lambda i: i["position"])
    return PageText(
        title=title,
        notes=[TextNote(n["text"], n["is_bullet"]) for n in notes],
        entries=[
            TextEntry(
                stage=stages[e["stage"][0]],
                band=bands[e["age_band"][0]],
                rationale=e["rationale"],
                service=services[e["service"][0]],
                tag=tags[e["tag"][0]] if e["tag"] else "",
                criteria=e["criteria"],
                interventions=[
                    TextIntervention(i["text"], i["bullets"].split("\n") if i["bullets"] else [])
                    for i in interventions
                    if i["entry"] == [IMH, e["number"]]
                ],
                repeats=numbers.index(e["repeats"][1]) if e.get("repeats") else None,
            )
            for e in entries
        ],
    )


def asdict_shallow(page: PageText) -> dict:
    return {name: getattr(page, name) for name in ("title", "notes", "entries", "stray")}


def without_lines(page: PageText) -> PageText:
    for entry in page.entries:
        entry.line = 0
    return page


def known_names(page: PageText) -> dict:
    return {
        "services": {entry.service for entry in page.entries},
        "tags": {entry.tag for entry in page.entries} - {""},
    }


def test_seed_000_reads_into_exactly_the_fixtures_content():
    expected = fixture_page()
    assert len(expected.entries) == 19  # the fixture is what it was when this was written

    read = read_page_text(SEED, **known_names(expected))

    assert without_lines(read) == expected
    assert len({entry.stage for entry in read.entries}) == 5


def test_seed_000_reads_the_same_without_the_databases_names():
    """A new pathway's services and tags are not in the database yet: they read by shape."""
    assert without_lines(read_page_text(SEED)) == fixture_page()


def test_each_entry_knows_its_first_line():
    read = read_page_text(SEED)
    lines = SEED.splitlines()
    assert [entry.line for entry in read.entries][:3] == [17, 27, 40]
    assert all(lines[entry.line - 1] == entry.band for entry in read.entries)


def test_as_above_proposes_the_entry_it_names():
    """Entry 170, "As above in 1 - 3 years age range plus:", repeats entry 140: the nearest
    earlier entry in 1 - 3 years with the same rationale and service (not 150 or 160)."""
    read = read_page_text(SEED)
    repeating = [
        (index, entry.repeats)
        for index, entry in enumerate(read.entries)
        if entry.repeats is not None
    ]
    assert repeating == [(16, 13)]
    assert read.entries[13].band == "1 - 3 years"
    assert read.entries[13].rationale == read.entries[16].rationale


def test_entries_with_no_interventions_keep_an_empty_list():
    read = read_page_text(SEED)
    assert read.entries[2].interventions == []  # seed lines 40-44
    assert read.entries[11].interventions == []  # seed lines 197-203


def read_seed(text: str) -> PageText:
    return without_lines(read_page_text(text))


# Writing


def test_the_writer_writes_seed_000s_lines_in_its_order():
    """Every line of the seed, bar the service it writes twice (lines 234/236), and with the
    spaces the non-breaking ones read as; blank lines between every block."""
    written = write_page_text(fixture_page()).splitlines()
    seed = [line.replace("\u00a0", " ") for line in SEED.splitlines()]
    del seed[235]  # line 236: "Health Visiting" again
    assert [line for line in written if line] == [line for line in seed if line]
    together = [(a, b) for a, b in zip(written, written[1:], strict=False) if a and b]
    assert together and all(
        (a, b) == ("Show…", "Filter by…") or (a.startswith("  • ") and b.startswith("  • "))
        for a, b in together
    )


def test_the_writer_writes_each_stage_heading_once():
    written = write_page_text(fixture_page()).splitlines()
    assert written.count("1 - 3 years") == 1 + 3  # the heading and its three entries' bands
    assert written.count("3 - 5 years") == 1 + 1


def test_writing_what_was_read_gives_the_same_page_back():
    page = read_seed(SEED)
    assert read_seed(write_page_text(page)) == page


# Variants of the same page


@pytest.mark.parametrize("mark", ["•", "·", "◦", "▪", "‣", "-", "*"])
def test_bullets_may_be_marked_other_ways(mark):
    assert read_seed(SEED.replace("  • ", f"{mark} ")) == fixture_page()


def test_a_numbered_line_is_a_paragraph_because_its_number_may_be_content():
    text = SEED.replace("  • NICU", "1. NICU")
    entry = read_seed(text).entries[1]
    assert [i.text for i in entry.interventions][1] == "1. NICU"
    assert entry.interventions[1].bullets == [
        "Post Natal Ward",
        "Home with relative",
        "Paediatric Ward",
    ]


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_read_the_same(ending):
    read = read_page_text(SEED.replace("\n", ending))
    assert [entry.line for entry in read.entries] == [e.line for e in read_page_text(SEED).entries]
    assert without_lines(read) == fixture_page()


def test_non_breaking_spaces_read_as_the_spaces_the_fixture_holds():
    assert "Core Purpose\u00a02" in SEED
    read = read_seed(SEED)
    assert read.entries[7].tag == "Core Purpose 2"
    assert "share information" in read.entries[5].interventions[0].bullets[3]


def test_blank_lines_are_not_needed_between_blocks():
    """Seed lines 175-177 are three interventions with no blank line between them."""
    squeezed = "\n".join(line for line in SEED.splitlines() if line.strip())
    assert read_seed(squeezed) == fixture_page()
    assert len(read_seed(SEED).entries[9].interventions) == 4


def test_a_service_written_twice_in_a_row_is_one_service():
    entry = read_seed(SEED).entries[13]  # seed lines 228-254
    assert entry.service == "Health Visiting"
    assert entry.interventions[0].text == "Targeted support to:"


def test_a_pasted_stray_line_is_reported_not_imported():
    lines = SEED.splitlines()
    lines.insert(120, "Back to top if required.")  # among entry 70's interventions
    lines.insert(0, "Back to top")
    read = read_page_text("\n".join(lines))
    stray = [Stray(1, "Back to top"), Stray(122, "Back to top if required.")]
    assert read.stray == stray
    assert without_lines(read) == PageText(**{**asdict_shallow(fixture_page()), "stray": stray})


def test_leading_and_trailing_whitespace_and_a_bom_are_ignored():
    padded = "\ufeff" + "\n".join(f" \t{line}  \t" for line in SEED.splitlines()) + "\n\n  \n"
    assert read_seed(padded) == fixture_page()


def test_the_show_and_filter_controls_and_the_empty_state_are_dropped():
    read = read_seed(SEED.replace("Show…", "Show...").replace("Filter by…", "Filter by..."))
    notes = [note.text for note in read.notes]
    assert not set(NO_MATCHES) & set(notes)
    assert read.title == "Infant Mental Health"


def test_a_new_service_and_tag_read_by_their_shape():
    page = read_page_text(
        minimal("Birth - 6 weeks\nUniversal Offer\nA rationale.\nSchool Nursing\nVisit:")
    )
    entry = page.entries[0]
    assert (entry.tag, entry.rationale, entry.service) == (
        "Universal Offer",
        "A rationale.",
        "School Nursing",
    )


def test_the_names_the_caller_knows_settle_what_shape_cannot():
    """A short unpunctuated rationale after a tag: by shape alone the tag would be the
    rationale; the database's names say which is which."""
    text = minimal("Birth - 6 weeks\nCore Purpose 2\nShort rationale\nHealth Visiting\nVisit.")
    by_shape = read_page_text(text).entries[0]
    assert (by_shape.tag, by_shape.rationale, by_shape.service) == (
        "",
        "Core Purpose 2",
        "Short rationale",
    )
    known = read_page_text(text, tags=["Core Purpose 2"], services=["Health Visiting"])
    entry = known.entries[0]
    assert (entry.tag, entry.rationale, entry.service) == (
        "Core Purpose 2",
        "Short rationale",
        "Health Visiting",
    )
    assert entry.interventions == [TextIntervention("Visit.")]


def test_a_bullet_list_apart_from_the_last_starts_an_intervention_of_its_own():
    text = minimal("Birth - 6 weeks\nR.\nS\n• first\n\nP:\n• a\n• b\n\n• c")
    assert read_page_text(text).entries[0].interventions == [
        TextIntervention("", ["first"]),
        TextIntervention("P:", ["a", "b"]),
        TextIntervention("", ["c"]),
    ]


def test_as_above_with_no_entry_that_fits_proposes_nothing():
    text = minimal(
        ENTRY, "1 - 3 years\nA rationale.\nHealth Visiting\nAs above in 6-12 months plus:"
    )
    assert read_page_text(text).entries[1].repeats is None


# Hostile text: refused with every problem's line and what was expected there


def refused(text: str, **names) -> list[tuple[int, str]]:
    with pytest.raises(PageTextError) as raised:
        read_page_text(text, **names)
    assert str(raised.value)  # says what is wrong, line by line
    return raised.value.problems


def minimal(*entries: str) -> str:
    return "Title\n\nBirth - 6 weeks\n" + "\n".join(entries)


ENTRY = "Birth - 6 weeks\nA rationale.\nHealth Visiting\nAn intervention."


def test_a_minimal_page_reads():
    page = read_page_text(minimal(ENTRY))
    assert page.title == "Title"
    assert page.entries[0].interventions == [TextIntervention("An intervention.")]


def test_text_of_a_million_characters_is_refused():
    assert MAX_TEXT_LENGTH == 999_999
    [(line, what)] = refused("a" * 1_000_000)
    assert line == 1 and "999,999" in what


def test_a_control_character_is_refused_with_its_line():
    text = minimal(ENTRY).replace("A rationale.", "A rat\x00ionale.")
    assert refused(text) == [(5, f"{REFUSAL} (U+0000)")]


def test_ten_thousand_entries_are_refused():
    for text in (
        minimal(*[ENTRY] * 10_000),
        write_page_text(
            PageText("Title", entries=[read_page_text(minimal(ENTRY)).entries[0]] * 10_000)
        ),
    ):
        [(line, what)] = refused(text)
        assert line == 1 and f"expected at most {MAX_LINES:,}" in what


def test_one_entry_more_than_the_most_is_refused():
    problems = refused(minimal(*[ENTRY] * (MAX_ENTRIES + 1)))
    assert problems == [(4 + 4 * MAX_ENTRIES, f"expected at most {MAX_ENTRIES:,} entries")]
    assert len(read_page_text(minimal(*[ENTRY] * MAX_ENTRIES)).entries) == MAX_ENTRIES


def test_the_longest_text_of_distinct_age_ranges_is_read_to_its_last_line():
    """The longest text the limits allow is read whole (each line against the band rule
    once: its time is measured in docs/benchmarks.md, not asserted here)."""
    labels = "".join(f"{n} - {n + 1} weeks\n" for n in range(MAX_LINES - 2))
    [(line, what)] = refused("Title\n" + labels)
    assert line == MAX_LINES - 1 and what == "expected the rationale after the age range"


def test_reading_stops_after_the_most_problems():
    problems = refused(minimal(ENTRY, *["<b>x</b>"] * 200))
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1][1].startswith(f"stopped reading after {MAX_PROBLEMS} problems")
    problems = refused(minimal(*[ENTRY + "\n1 - 3 yrs"] * 200))
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1][1].startswith(f"stopped reading after {MAX_PROBLEMS} problems")


@pytest.mark.parametrize(
    "markup", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<!-- x -->", "</p>"]
)
def test_markup_is_refused_with_its_line(markup):
    [(line, what)] = refused(minimal(ENTRY + f"\nSee {markup} here."))
    assert line == 8 and "markup" in what


def test_less_than_signs_in_prose_are_not_markup():
    page = read_page_text(minimal(ENTRY + "\nFor a child <2 years, or a score < 5 > 3."))
    assert page.entries[0].interventions[-1].text == "For a child <2 years, or a score < 5 > 3."


def test_a_line_too_long_is_refused():
    [(line, what)] = refused(minimal(ENTRY + "\n" + "x" * (MAX_LINE_LENGTH + 1) + "."))
    assert line == 8 and f"{MAX_LINE_LENGTH:,}" in what


@pytest.mark.parametrize("text", ["", "   \n\t\n", "\ufeff", "Show…\nFilter by…\n"])
def test_an_empty_text_is_refused(text):
    [(line, what)] = refused(text)
    assert line <= 2 and "title" in what


def test_text_with_no_title_is_refused():
    [(line, what)] = refused("Show…\nFilter by…\n\nBirth - 6 weeks\n" + ENTRY)
    assert line == 4 and what == "expected the pathway's title before the first stage"


def test_an_entry_with_no_service_is_refused():
    text = minimal("Birth - 6 weeks\nA rationale.\nIn cases of need.\nAn intervention.")
    [(line, what)] = refused(text)
    assert line == 6 and what.startswith("expected the service")


def test_a_band_label_the_band_rule_cannot_read_is_refused():
    [(line, what), (then, expected)] = refused("Title\n\n1 - 3 yrs\n" + ENTRY)
    assert line == 3 and "“1 - 3 yrs” cannot be read as one" in what
    assert then == 4 and expected.startswith("expected a stage heading")
    assert band_range("1 - 3 yrs") is None


def test_every_problem_is_reported_not_just_the_first():
    text = minimal(
        ENTRY,
        "Birth - 6 weeks\nA rationale.\nNo service line here.\nAn intervention.",
        ENTRY,
        "1 - 3 yrs",
        ENTRY,
        "Birth - 6 weeks",
    )
    problems = refused(text)
    assert [line for line, _ in problems] == [10, 16, 21]
    assert [what.split(" ")[1] for _, what in problems] == ["the", "an", "the"]


def test_prose_with_no_stages_reads_as_a_title_and_notes():
    page = read_page_text("Just one line of prose.\n\nAnd another one.")
    assert page == PageText("Just one line of prose.", [TextNote("And another one.")])


# Properties: what the writer writes reads back to what was written


BANDS = [
    "Birth - 6 weeks",
    "3 - 8 weeks",
    "0 - 6 weeks",
    "8 weeks - 6 months",
    "6 weeks - 6 months",
    "6-12 months",
    "6 months - 1 year",
    "6 weeks - 1 year",
    "1 - 3 years",
    "3 - 5 years",
    "Birth - 5 years",
]
FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzéÉ"
INNER = FIRST + "0123456789’‘“”•&/()-'é"
WORD = st.builds(str.__add__, st.sampled_from(FIRST), st.text(alphabet=INNER, max_size=6))
SPACE = st.sampled_from([" ", " ", "\u00a0"])


@st.composite
def words(draw, most: int) -> str:
    parts = draw(st.lists(WORD, min_size=1, max_size=most))
    return "".join(part + draw(SPACE) for part in parts[:-1]) + parts[-1]


def is_plain(text: str) -> bool:
    """Not a line the page's own furniture, an "As above" or an age range could be."""
    plain = text.replace("\u00a0", " ")
    return (
        band_range(plain) is None
        and plain.rstrip(".").lower() not in FURNITURE
        and not plain.lower().startswith("as above")
        and plain not in NO_MATCHES
    )


NAME = words(4).filter(is_plain)  # at most 31 characters: name-shaped
SENTENCE = st.builds(str.__add__, words(12), st.sampled_from([".", ":", "?"])).filter(is_plain)


@st.composite
def interventions(draw) -> list[TextIntervention]:
    made = []
    for _ in range(draw(st.integers(0, 4))):
        bullets = draw(st.lists(SENTENCE | NAME, max_size=3))
        # A bullet list with no paragraph starts an intervention only where the page shows
        # it apart: first, or after another bullet list.
        bare_allowed = bullets and (not made or made[-1].bullets)
        text = draw(st.just("") | SENTENCE) if bare_allowed else draw(SENTENCE)
        made.append(TextIntervention(text, bullets))
    return made


ENTRIES = st.builds(
    TextEntry,
    stage=st.sampled_from(BANDS),
    band=st.sampled_from(BANDS),
    rationale=SENTENCE,
    service=NAME,
    tag=st.just("") | NAME,
    criteria=st.just("") | SENTENCE,
    interventions=interventions(),
)
PAGES = st.builds(
    PageText,
    title=NAME | SENTENCE,
    notes=st.lists(st.builds(TextNote, SENTENCE | NAME, st.booleans()), max_size=4),
    entries=st.lists(ENTRIES, max_size=8),
)
PROPERTIES = settings(max_examples=examples(100), deadline=None)


def as_read(page: PageText) -> dict:
    """The page as reading gives it back: non-breaking spaces read as spaces."""
    return json.loads(json.dumps(asdict(page)).replace("\\u00a0", " "))


@PROPERTIES
@given(page=PAGES)
def test_reading_what_was_written_gives_the_page_back(page):
    written = write_page_text(page)
    assert asdict(without_lines(read_page_text(written))) == as_read(page)
    assert asdict(without_lines(read_page_text(written, **known_names(page)))) == as_read(page)


@PROPERTIES
@given(page=PAGES)
def test_writing_what_was_read_changes_nothing(page):
    written = write_page_text(page)
    assert write_page_text(read_page_text(written)) == written
