"""An area in a real browser at 375 px (issue 25's "Done when"): a health visitor chooses North
Example on the home page, opens Infant Mental Health, types the baby's age and finds the
Mother and Baby Unit's local referral route on its card; the home page offers the area back
when she returns; with the network off, the same address shows the same card and route from
the area's saved copy. axe finds nothing wrong on the home page, the area's page and its
checklist."""

import pytest
from playwright.sync_api import Page, expect

from ..browsing.test_browser import PHONE
from ..browsing.test_several_pathways import axe_violations
from ..local_area import MBU_ENTRY, MBU_ROUTE
from ..offline.test_offline import NOTICE, SAVED

pytestmark = pytest.mark.browser

PERINATAL = "North Example Perinatal Mental Health Team"
MBU = "Mental health admisisons to Mother and Baby Unit where possible."


def no_violations(page: Page) -> None:
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)


def shows_the_route(page: Page) -> None:
    """The Mother and Baby Unit card, its local service opened, says how to refer."""
    card = page.locator(f"#entry-{MBU_ENTRY}")
    expect(card.get_by_text(MBU)).to_be_visible()
    card.locator("summary", has_text=PERINATAL).click()
    expect(card.get_by_text(MBU_ROUTE)).to_be_visible()
    expect(card.get_by_text("Example, not a real service", exact=True)).to_be_visible()


def test_a_health_visitor_finds_the_local_route_online_and_offline_on_a_phone(
    page: Page, live_imh, live_server, example_area
):
    home = live_server.url + "/"
    page.set_viewport_size(PHONE)
    page.goto(home)
    expect(page.locator("#your-area")).to_contain_text("North Example")
    no_violations(page)
    page.locator("#your-area").get_by_role("link", name="North Example").click()
    expect(page.locator("body")).to_have_attribute("data-area", "north-example")
    page.locator(".pathway-list").get_by_role("link", name="Infant Mental Health").click()
    # The area's own page, saved on this device for use without a signal.
    expect(page.locator(".area-line")).to_contain_text("Area: North Example")
    expect(page.get_by_text(SAVED)).to_be_visible()
    no_violations(page)
    page.get_by_label("Child's age").fill("2w")
    page.get_by_label("Child's age").press("Enter")
    expect(page.locator("#result-count")).to_be_focused()
    expect(page).to_have_url(live_imh + "?area=north-example&age=2w")
    shows_the_route(page)
    page.get_by_role("link", name="Visit checklist for these results").click()
    expect(page.locator("h1")).to_contain_text("Infant Mental Health")
    expect(page.get_by_text("Contacts to hand over")).to_be_visible()
    expect(page.get_by_text(MBU_ROUTE)).to_be_visible()
    no_violations(page)
    # Back at the home page another day: the area chosen last is offered.
    page.goto(home)
    offer = page.get_by_role("link", name="Continue with North Example")
    expect(offer).to_be_visible()
    # With no signal: the same address, from the area's saved copy, filtered on the device.
    page.context.set_offline(True)
    page.goto(live_imh + "?area=north-example&age=2w")
    expect(page.locator(".offline-notice p").first).to_have_text(NOTICE)
    expect(page.locator("#result-count")).to_contain_text("Showing")
    shows_the_route(page)


def test_no_area_forgets_the_area_kept_on_this_device(page: Page, live_server, example_area):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/?area=north-example")
    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name="Continue with North Example")).to_be_visible()
    page.locator("#area-offer-north-example").get_by_role("link", name="No area").click()
    expect(page.locator("#your-area")).to_be_visible()
    expect(page.get_by_role("link", name="Continue with North Example")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('pathways:area')") is None
    # Nothing of it ever reached the server: no cookie was set.
    assert page.context.cookies() == []
