"""What a printout carries, read back from the PDF Chromium makes (pdftotext): the reading
notes, related pathway, policy context and review status travel with the entries; screen-only
links stay off the paper, and nothing is cut off at the right edge."""

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page

from pathways.models import ContextDocument

from .test_browser import SCREENSHOTS

pytestmark = pytest.mark.browser

A4_AT_96_DPI = {"width": 794, "height": 1123}
MUST_READ = (
    "The following pathway should not be read as stand-alone and MUST be read in conjunction "
    "with Section 3: Pathways."
)


def printed_text(page: Page, name: str) -> str:
    """The page printed to an A4 PDF, as text with its line breaks folded into spaces."""
    pdf = Path(SCREENSHOTS.parent / name)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=pdf, format="A4", prefer_css_page_size=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())


def overflowing(page: Page, selector: str) -> list[str]:
    """Elements whose right edge lies past the printable width."""
    return page.evaluate(
        """(selector) => {
          const width = document.documentElement.clientWidth;
          return [...document.querySelectorAll(selector)]
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.id || el.className || el.tagName);
        }""",
        selector,
    )


@pytest.mark.parametrize("path", ["", "checklist/"])
def test_the_printout_carries_how_to_read_the_pathway(page: Page, live_imh, path):
    page.set_viewport_size(A4_AT_96_DPI)
    page.goto(f"{live_imh}{path}?stage=1-3-years")
    page.emulate_media(media="print")
    name = "pathway-print-notes.pdf" if not path else "checklist-print-notes.pdf"
    text = printed_text(page, name)
    assert MUST_READ in text
    assert "Related pathway Parental Mental Health and Wellbeing" in text
    policy = ContextDocument.objects.get().title
    assert f"Policy context {policy}" in text
    assert "Infant Mental Health clinical lead, Health Visiting" in text  # the review
    for screen_only in ("Copy link", "Visit checklist for these results", "Download these"):
        assert screen_only not in text


def test_printed_cards_keep_their_right_border_on_the_page(page: Page, live_imh):
    page.set_viewport_size(A4_AT_96_DPI)
    page.goto(live_imh)
    page.emulate_media(media="print")
    assert overflowing(page, ".nhsuk-card, .pathway-links, .reading-notes, main *") == []
    text = printed_text(page, "pathway-print-cards.pdf")
    # The last words of the longest lines are on the paper, not past its edge.
    assert "monitor results in partnership with HV team." in text
