"""Arbitrary text into the page-text reader (pathways/editing/page_text.py): whatever comes in,
it gives a PageText or refuses with PageTextError, never anything else; and what it reads, it
writes back so that it reads the same again."""

import os
from dataclasses import asdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.editing.page_text import PageTextError, read_page_text, write_page_text

from ..conftest import examples
from .counts import record

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
# The reader is pure and quick, so it takes ten times the examples a request does.
FUZZ = settings(
    max_examples=examples(10 * EXAMPLES),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEED_LINES = (
    (Path(__file__).parent.parent / "data" / "000_daf425ab71d75f66.txt")
    .read_text(encoding="utf-8")
    .splitlines()
)
FRAGMENTS = st.sampled_from(
    [
        "",
        "\x00",
        "\ufeff",
        "\r",
        "\u00a0",
        "<script>alert(1)</script>",
        "  • ",
        "•",
        "- ",
        "1 - 3 yrs",
        "Birth - 6 weeks",
        "6-12 months",
        "As above in 1 - 3 years age range plus:",
        "Back to top if required.",
        "Show…",
        "There are no rationales that match your filters.",
        "Health Visiting",
        "9" * 6000,
    ]
)
LINE = st.text(max_size=80) | FRAGMENTS | st.sampled_from(SEED_LINES)


@st.composite
def seed_mutations(draw) -> str:
    """Seed 000 with lines dropped, repeated, moved or replaced by anything."""
    lines = list(SEED_LINES)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "move", "replace", "insert"]))
        if action == "drop":
            del lines[at]
        elif action == "repeat":
            lines.insert(at, lines[at])
        elif action == "move":
            lines.insert(draw(st.integers(0, len(lines))), lines.pop(at))
        else:
            new = draw(LINE)
            lines[at : at + (action == "replace")] = [new]
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


TEXT = st.text() | st.lists(LINE, max_size=30).map("\n".join) | seed_mutations()


@FUZZ
@given(text=TEXT, services=st.lists(LINE, max_size=3), tags=st.lists(LINE, max_size=3))
def test_the_page_text_reader_with_arbitrary_text(text, services, tags):
    try:
        page = read_page_text(text, services=services, tags=tags)
    except PageTextError as error:
        assert error.problems and all(line >= 1 and what for line, what in error.problems)
        record("page text reader", 400)
        return
    record("page text reader", 200)
    if any(e.interventions and e.interventions[0].text == e.service for e in page.entries):
        return  # the one ambiguity the module documents: it reads as the service written twice
    again = read_page_text(write_page_text(page), services=services, tags=tags)
    for entry in page.entries + again.entries:
        entry.line = 0
    assert (asdict(again) | {"stray": []}) == (asdict(page) | {"stray": []})
