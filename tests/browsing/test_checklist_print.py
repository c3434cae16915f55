"""The visit checklist on paper, read page by page (pypdf) from the A4 PDF Chromium prints:
every page numbered and saying whose ages it is for, the rationales from page 1 on, as few
pages as they need, and everything the screen checklist says about each entry, in order."""

import io

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

pytestmark = pytest.mark.browser

# Each entry's words as the screen checklist shows them, in page order.
ENTRY_TEXT = (
    ".checklist__rationale, .checklist__applies-at, .checklist__meta, .checklist__criteria, "
    ".checklist__repeats > p, .checklist__action label"
)


def words(text: str) -> str:
    return " ".join(text.split())


def printed_pages(page: Page, url: str) -> list[str]:
    """The checklist at `url` printed to A4, as each page's text with line breaks folded."""
    page.goto(url)
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [words(printed.extract_text()) for printed in reader.pages]


def test_eleven_rationales_print_on_numbered_pages_with_the_ages_on_each(page: Page, live_imh):
    pages = printed_pages(page, f"{live_imh}checklist/?age=10w&born_at_weeks=32")
    rationales = [words(text) for text in page.locator(".checklist__rationale").all_inner_texts()]
    assert len(rationales) == 11
    assert len(pages) <= 4  # 6 before the print rules were tightened
    running = (
        "Visit checklist: Infant Mental Health · Child's age: Showing what applies at the "
        "child's actual age, 10 weeks, and at their corrected age, 2 weeks."
    )
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert running in text
    # Not half empty: the answer starts on the first page, under the picture.
    assert rationales[0] in pages[0]
    # Faithful on paper: every rationale, criterion and action, in full and in order.
    printed, position = " ".join(pages), 0
    for said in map(words, page.locator(ENTRY_TEXT).all_inner_texts()):
        position = printed.index(said, position) + len(said)


def test_without_an_age_every_page_says_every_age(page: Page, live_imh):
    pages = printed_pages(page, f"{live_imh}checklist/?service=health-visiting")
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Visit checklist: Infant Mental Health · Child's age: Not given: every age" in text
