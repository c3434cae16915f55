"""A policy document's page text (pathways/editing/document_text.py): seed 004 reads as the
fixtures hold the delivery plan, character for character; writing and reading again gives the
same document; a browser's variants read the same; hostile text is refused naming its lines."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.editing.document_text import (
    MAX_BYTES,
    MAX_SECTIONS,
    DocumentText,
    DocumentTextError,
    TextSection,
    read_document_text,
    write_document_text,
)

from ..conftest import ROOT

SEED = (ROOT / "tests" / "data" / "004_45ee33944793d219.txt").read_text(encoding="utf-8")
FIXTURE = json.loads((ROOT / "fixtures" / "delivery_plan.json").read_text(encoding="utf-8"))


def fixture_document() -> DocumentText:
    """The delivery plan exactly as fixtures/delivery_plan.json holds it."""
    fields = next(row["fields"] for row in FIXTURE if row["model"] == "pathways.contextdocument")
    sections = [
        TextSection(
            number=row["fields"]["number"],
            title=row["fields"]["title"],
            paragraphs=row["fields"]["body"].split("\n\n"),
        )
        for row in FIXTURE
        if row["model"] == "pathways.documentsection"
    ]
    names = ["title", "introduction", "annex_title", "aims_heading", "aims"]
    labels = {"section_label": fields["section_label"], "body_label": fields["body_label"]}
    return DocumentText(**{n: fields[n] for n in names}, **labels, sections=sections)


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(DocumentTextError) as raised:
        read_document_text(text)
    return raised.value.problems


def test_seed_004_reads_as_the_fixtures_hold_the_delivery_plan():
    document = read_document_text(SEED)
    assert document == fixture_document()
    # Section 3's number is on its label's line ("Area of focus: 3."), the others' on the title's.
    assert [s.number for s in document.sections] == list(range(1, 11))
    assert document.sections[2].title.startswith("Develop a framework")


def test_each_section_knows_the_line_it_starts_at():
    document = read_document_text(SEED)
    lines = SEED.split("\n")
    assert [lines[s.line - 1] for s in document.sections[:3]] == [
        "Area of focus:",
        "Area of focus:",
        "Area of focus: 3.",
    ]


def test_written_text_reads_back_as_the_same_document():
    written = write_document_text(fixture_document())
    assert read_document_text(written) == fixture_document()
    assert "Back to top" not in written
    assert written.startswith(fixture_document().title + "\n\n")


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(SEED.replace("\n", "\r\n"), id="windows line endings"),
        pytest.param(SEED.replace("\n", "\r"), id="old mac line endings"),
        pytest.param("\ufeff" + SEED, id="byte order mark"),
        pytest.param(SEED.replace(" the ", "\u00a0the "), id="non-breaking spaces"),
        pytest.param(SEED.replace("Area of focus:\n\n", "Area of focus:\n"), id="no blank line"),
        pytest.param(SEED.replace("\n\n", "\n"), id="no blank lines at all"),
        pytest.param(SEED.replace("\n\n", "\n \t\n\n"), id="lines of spaces"),
        pytest.param(
            SEED.replace("Area of focus:\n\n1. ", "Area of focus: 1.\n\n"), id="number on label"
        ),
        pytest.param(
            SEED.replace("Area of focus: 3.\n\nDevelop", "Area of focus:\n\n3. Develop"),
            id="number on title",
        ),
        pytest.param(SEED.removesuffix("Back to top"), id="without back to top"),
        pytest.param("  " + SEED.replace("\n", "  \n"), id="trailing spaces"),
    ],
)
def test_variants_read_as_the_seed(variant):
    assert read_document_text(variant) == fixture_document()


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("", 0, "empty"),
        (" \n\n\t\n", 0, "empty"),
        (SEED.replace("What we did:\n\nA series", "A series"), 16, "What we did:"),
        (SEED.replace("\n\n1. Leadership", "\n\nLeadership"), 14, "number and title"),
        (SEED.replace("2. Raise", "1. Raise"), 22, "numbered twice"),
        (SEED.replace("Area of focus:\n\n4.", "Areas of focus:\n\n4."), 38, "“Area of focus:”"),
        (SEED.replace("What we did:\n\nWave 3", "What was done:\n\nWave 3"), 58, "What we did:"),
        (SEED.split("Area of focus:")[0], 10, "a first section"),
        (
            SEED.replace("Annex 2 - Summary of 2020/21 Progress for Infant Mental Health\n\n", ""),
            10,
            "aims",
        ),
        (SEED.replace("Area of focus:\n\n1.", "Area of focus:\n\n0."), 14, "from 1"),
    ],
)
def test_text_that_cannot_be_read_names_the_line_and_what_was_expected(text, line, expected):
    found = problems(text)
    assert any(at == line and expected in what for at, what in found), found


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("x" * (MAX_BYTES + 1), 0, "over 1,000,000 bytes"),
        (SEED.replace("Innovation", "Inno\x00vation"), 90, "control character"),
        (SEED.replace("Innovation", "Inno\x1bvation"), 90, "(U+001B)"),
        (SEED.replace("Innovation", "<script>alert(1)</script>"), 90, "markup (<script>)"),
        (SEED.replace("Innovation", "<!-- a comment -->"), 90, "markup (<!--)"),
        (SEED.replace("Innovation", "x" * 4997), 90, "5,001 characters long"),
        (SEED.replace("Innovation", "Inno\ud800vation"), 90, "not text"),
    ],
)
def test_hostile_text_is_refused_before_it_is_read(text, line, expected):
    found = problems(text)
    assert any(at == line and expected in what for at, what in found), found


def test_ages_written_with_a_less_than_sign_are_not_markup():
    text = SEED.replace("Innovation", "Children aged <5 and > 2")
    assert read_document_text(text).sections[-1].title == "Children aged <5 and > 2"


def test_thousands_of_sections_are_refused_at_the_named_maximum():
    head = SEED.split("Area of focus:")[0]
    sections = "".join(
        f"Area of focus:\n\n{n}. Title {n}\n\nWhat we did:\n\nText.\n\n" for n in range(1, 5001)
    )
    found = problems(head + sections)
    assert len(found) == 1
    assert f"at most {MAX_SECTIONS} sections" in found[0][1]
    assert found[0][0] == len(head.split("\n")) + 8 * MAX_SECTIONS


def test_many_problems_are_listed_up_to_a_limit():
    text = "\n".join(f"line {n} \x01" for n in range(100))
    found = problems(text)
    assert len(found) == 21
    assert found[-1] == (0, "and 80 more problems like these")


def test_a_document_without_a_heading_the_text_needs_cannot_be_written():
    document = fixture_document()
    document.annex_title = ""
    with pytest.raises(DocumentTextError, match="no annex title"):
        write_document_text(document)


# Documents the text can hold: one paragraph per line, no line that reads as a section's
# label, page chrome or markup, no spaces but single ones between words.
WORD = st.text(
    alphabet=st.characters(
        codec="utf-8",
        categories=["L", "N", "P", "S"],
        exclude_characters="<&:\ufeff",
    ),
    min_size=1,
    max_size=8,
)
LINE = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
LABEL = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
SECTIONS = st.lists(
    st.builds(
        TextSection,
        number=st.integers(1, 9999),
        title=LINE,
        paragraphs=st.lists(LINE, max_size=3),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda s: s.number,
)
DOCUMENTS = st.builds(
    DocumentText,
    title=LINE,
    introduction=LINE,
    annex_title=LINE,
    aims_heading=LINE,
    aims=LINE,
    section_label=LABEL,
    body_label=LABEL,
    sections=SECTIONS,
).filter(
    lambda d: "Back to top" not in [line for s in d.sections for line in [s.title, *s.paragraphs]]
)


@given(DOCUMENTS)
def test_reading_what_was_written_gives_the_document(document):
    assert read_document_text(write_document_text(document)) == document


@given(DOCUMENTS)
def test_writing_what_was_read_gives_the_same_text(document):
    written = write_document_text(document)
    assert write_document_text(read_document_text(written)) == written
