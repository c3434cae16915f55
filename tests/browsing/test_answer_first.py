"""The answer first (issue 23, PRODUCT.md): after a child's age, the count, the ages used and
the first card open the results, on the first screen of a phone and of a desktop; with
nothing to show, the empty state comes right after the count and no picture counts what is
hidden. The tools, the picture and the pathway's links follow the results."""

import pytest
from playwright.sync_api import Page, expect

from ..conftest import HTMX, IMH_URL
from ..pagetext import visible_lines
from .test_browser import DESKTOP, PHONE

EMPTY = "?service=primary-care-gp&tag=core-purpose-2"
EMPTY_STATE = [
    "There are no rationales that match your filters.",
    "Please amend your choices to see more rationales.",
]
# What a person sees, not what prints or only a screen reader reads.
UNSEEN = {"print-only", "nhsuk-u-visually-hidden"}


def seen(html: str, within_id: str | None = None) -> list[str]:
    return visible_lines(html, within_id=within_id, skip_classes=UNSEEN)


def where(lines: list[str], start: str) -> int:
    """The index of the first line that starts with `start`."""
    return next(i for i, line in enumerate(lines) if line.startswith(start))


def after_count(html: str) -> list[str]:
    lines = seen(html)
    return lines[where(lines, "Showing ") :]


def test_with_nothing_to_show_the_empty_state_comes_right_after_the_count(client, imh):
    page = client.get(IMH_URL + EMPTY).content.decode()
    assert after_count(page)[:3] == ["Showing 0 of 19 rationales", *EMPTY_STATE]
    # The update says the same, in the same order, in the panel it replaces.
    fragment = client.get(IMH_URL + EMPTY, headers=HTMX).content.decode()
    assert seen(fragment, within_id="results-panel")[:2] == EMPTY_STATE
    # No picture whose bars count what the filters hide: it is left out.
    for html in (page, fragment):
        assert "The pathway in one picture" not in seen(html)
        assert "timeline__bar" not in html


def test_beyond_the_pathway_the_range_follows_the_empty_state_before_the_ages_used(client, imh):
    lines = after_count(client.get(IMH_URL, {"age": "6y"}).content.decode())
    assert lines[:4] == [
        "Showing 0 of 19 rationales",
        *EMPTY_STATE,
        "This pathway covers children from birth to 5 years.",
    ]
    assert lines.index("Showing what applies to a child aged 6 years.") > 3


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_after_an_age_the_ages_used_and_the_cards_come_before_the_tools(client, imh, htmx):
    html = client.get(
        IMH_URL, {"age": "10w", "born_at_weeks": "32"}, headers=HTMX if htmx else {}
    ).content.decode()
    lines = seen(html, within_id="results-panel")
    ages_used = "Showing what applies at the child's actual age, 10 weeks, and at their"
    first_card = "Ensure appropriate care pathways in place for mother and baby when mother"
    later = ["Download these results (CSV)", "Copy link to these results"]
    later += ["Visit checklist for these results", "The pathway in one picture"]
    order = [where(lines, start) for start in ["Filters in use", ages_used, first_card, *later]]
    assert order == sorted(order), lines
    # The related pathway and the policy context stay on the page, after the results.
    if not htmx:
        rest = after_count(html)
        assert rest.index("Related pathway") > rest.index("The pathway in one picture")
        assert rest.index("Policy context") > rest.index("Related pathway")


# In Chromium: what a practitioner sees on the first screen. --------------------------------


def enter_age(page: Page, age: str, born_at: str = "") -> None:
    """Types the child's age (and weeks at birth) and presses Enter, as a practitioner would;
    returns once the count has focus, which scrolls the page as it will stay."""
    page.get_by_label("Child's age").fill(age)
    page.get_by_label("Weeks of pregnancy at birth").fill(born_at)
    page.get_by_label("Child's age").press("Enter")
    expect(page.locator("#result-count")).to_be_focused()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("age", "born_at", "shown"),
    [("10 weeks", "32", 11), ("2 years 3 months", "", 5)],
    ids=["10w-born-at-32", "2y3m"],
)
def test_on_a_phone_the_count_the_ages_used_and_the_first_card_share_the_first_screen(
    page: Page, live_imh, age, born_at, shown
):
    page.set_viewport_size(PHONE)
    page.goto(live_imh, wait_until="networkidle")
    enter_age(page, age, born_at)
    count = page.locator("#result-count")
    expect(count).to_have_text(f"Showing {shown} of 19 rationales")
    expect(count).to_be_in_viewport(ratio=1)
    expect(page.locator(".child-age p").first).to_be_in_viewport(ratio=1)
    # The test does not scroll: the first card starts on the screen the update left.
    first_card = page.locator("#results .entry").first
    expect(first_card).to_be_in_viewport()
    assert first_card.bounding_box()["y"] < PHONE["height"]


@pytest.mark.browser
def test_on_a_desktop_the_empty_state_and_the_first_card_are_on_the_first_screen(
    page: Page, live_imh
):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh + EMPTY)
    for sentence in EMPTY_STATE:
        expect(page.get_by_text(sentence)).to_be_in_viewport(ratio=1)
    page.goto(live_imh, wait_until="networkidle")
    enter_age(page, "10 weeks", "32")
    expect(page.locator("#result-count")).to_have_text("Showing 11 of 19 rationales")
    first_card = page.locator("#results .entry").first
    expect(first_card).to_be_in_viewport()
    assert first_card.bounding_box()["y"] < DESKTOP["height"]


@pytest.mark.browser
def test_on_a_phone_with_an_area_the_answer_still_comes_first(page: Page, live_imh, example_area):
    """The area's line above the form is one row, and its services fold to their names, so
    the count, the ages used and the first card still share the first screen."""
    page.set_viewport_size(PHONE)
    page.goto(live_imh + "?area=north-example", wait_until="networkidle")
    line = page.locator(".area-line")
    expect(line).to_contain_text("Area: North Example")
    one_row = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.area-line')).lineHeight)"
    )
    assert line.bounding_box()["height"] < 2 * one_row
    enter_age(page, "2 weeks")
    count = page.locator("#result-count")
    expect(count).to_have_text("Showing 7 of 19 rationales")  # as without an area
    expect(count).to_be_in_viewport(ratio=1)
    expect(page.locator(".child-age p").first).to_be_in_viewport(ratio=1)
    first_card = page.locator("#results .entry").first
    expect(first_card).to_be_in_viewport()
    assert first_card.bounding_box()["y"] < PHONE["height"]
    expect(page.locator("#results .entry__local-service")).not_to_have_count(0)
    expect(page.locator("#results .entry__local-service[open]")).to_have_count(0)
