"""Several pathways in a real browser (issue 24's "Done when"): two pathways on the home page,
a search across them grouped by pathway, and the related pathway's link appearing in the
reading note once the second pathway is published, with axe at 0 violations at 375 and 1280
px."""

import pytest
from playwright.sync_api import Page, expect
from pytest_playwright_axe import Axe

from ..conftest import IMH_URL, ROOT
from ..second_pathway import PARENTAL_TITLE, PARENTAL_URL, give_entries
from .test_browser import DESKTOP, PHONE, WCAG_22_AA
from .test_home import IN_BOTH

pytestmark = pytest.mark.browser


def axe_violations(page: Page) -> list[str]:
    """What axe (WCAG 2.2 AA) finds wrong with the page, at each of the two widths."""
    found = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        results = Axe(output_directory=ROOT / "artifacts" / "axe").run(
            page,
            options={"runOnly": {"type": "tag", "values": WCAG_22_AA}},
            html_report_generated=False,
            json_report_generated=False,
        )
        assert len(results["passes"]) > 10  # axe really ran against the page
        found += [f"{viewport['width']}px {v['id']}: {v['help']}" for v in results["violations"]]
    return found


def test_two_pathways_searched_together_and_linked_once_published(
    page: Page, live_server, transactional_db, publisher
):
    base = live_server.url
    note_link = page.locator(".reading-notes a")
    page.set_viewport_size(DESKTOP)
    page.goto(base + IMH_URL)
    expect(page.locator(".reading-notes")).to_contain_text(PARENTAL_TITLE)
    expect(note_link).to_have_count(0)
    page.goto(base + "/")
    expect(page.get_by_text(f"{PARENTAL_TITLE} (not yet available)")).to_be_visible()

    give_entries(publisher)

    # The note was not edited: its pathway's name is now a link. (The pages seen before may
    # be kept by the browser for their max-age: a reload asks the server again.)
    page.goto(base + IMH_URL)
    page.reload()
    expect(note_link).to_have_count(1)
    expect(note_link).to_have_text(PARENTAL_TITLE)
    expect(note_link).to_have_attribute("href", PARENTAL_URL)
    assert axe_violations(page) == []

    # Both pathways on the home page; one search across them, typed and sent by the form.
    page.goto(base + "/")
    page.reload()
    expect(page.get_by_role("link", name="Infant Mental Health")).to_be_visible()
    expect(page.get_by_role("link", name=PARENTAL_TITLE)).to_be_visible()
    page.get_by_label("Search all pathways").fill(IN_BOTH)
    page.get_by_label("Search all pathways").press("Enter")
    groups = page.locator("h3.home-results__pathway")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_contain_text("Infant Mental Health: ")
    expect(groups.nth(1)).to_contain_text(f"{PARENTAL_TITLE}: ")
    assert axe_violations(page) == []

    # The group carries the search into its pathway's page, with that pathway's filters.
    groups.nth(1).get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(PARENTAL_TITLE)
    expect(page.locator("#id_q")).to_have_value(IN_BOTH)
    expect(page.locator("#result-count")).to_contain_text("Showing")
