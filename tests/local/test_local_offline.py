"""An area's page offline (issue 25): the service worker keeps an area's unfiltered page by its
own address, and answers any of that area's addresses with it, never with the national copy,
which lacks the area's referral routes; the cards filtered on the device keep their local
sections, which the server put in them."""

import re

import pytest
from playwright.sync_api import Page, expect

from ..local_area import MBU_ENTRY, MBU_ROUTE
from ..offline.test_offline import NOTICE, open_and_save

pytestmark = pytest.mark.browser

PERINATAL = "North Example Perinatal Mental Health Team"
AREA = "?area=north-example"


def saved_urls(page: Page) -> list[str]:
    return page.evaluate(
        """async () => {
          const names = (await caches.keys()).filter((name) => name.startsWith("pathways-saved"));
          const cache = await caches.open(names[0]);
          return (await cache.keys()).map((request) => new URL(request.url).pathname
            + new URL(request.url).search);
        }"""
    )


def test_an_areas_address_is_never_answered_by_the_national_copy(
    page: Page, live_imh, example_area
):
    open_and_save(page, live_imh)  # the national page only
    page.context.set_offline(True)
    page.goto(live_imh + AREA + "&age=2w")
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(page.locator("main")).to_contain_text("This page has not been saved on this device.")
    # The national address still has its own copy, with nothing local in it.
    page.goto(live_imh + "?age=2w")
    expect(page.locator(".offline-notice p").first).to_have_text(NOTICE)
    expect(page.locator(f"#entry-{MBU_ENTRY}")).to_be_visible()
    expect(page.get_by_text(PERINATAL)).to_have_count(0)


def test_an_areas_saved_copy_filters_offline_and_keeps_its_local_sections(
    page: Page, live_imh, example_area
):
    open_and_save(page, live_imh + AREA + "&service=health-visiting")
    path = re.sub(r"^https?://[^/]+", "", live_imh)
    assert path + AREA in saved_urls(page)  # the unfiltered page, in its area
    page.context.set_offline(True)
    page.goto(live_imh + AREA + "&age=2w")
    expect(page.locator(".offline-notice p").first).to_have_text(NOTICE)
    card = page.locator(f"#entry-{MBU_ENTRY}")
    card.locator("summary", has_text=PERINATAL).click()
    expect(card.get_by_text(MBU_ROUTE)).to_be_visible()
    # Filtering on the device keeps the area in the address and in the links it makes.
    page.get_by_label("Child's age").fill("3y")
    page.get_by_label("Child's age").press("Enter")
    expect(page).to_have_url(re.compile(r"\?area=north-example&age=3y$"))
    expect(page.locator(f"#entry-{MBU_ENTRY}")).to_have_count(0)
    checklist = page.get_by_role("link", name="Visit checklist for these results")
    expect(checklist).to_have_attribute("href", re.compile(r"area=north-example"))
