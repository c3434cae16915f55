"""Phone first (issue 15), in Chromium at 375 and 1280 px: the child's age on the first
screen, one request per submit with focus on what answers it, NHS.UK errors with and without
JavaScript, the pathway in one picture (also without JavaScript, in the checklist and with
axe), and no dead ends offline."""

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_playwright_axe import Axe

from ..conftest import ROOT
from .test_browser import DESKTOP, PHONE, SCREENSHOTS, WCAG_22_AA

pytestmark = pytest.mark.browser

VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
SCRIPTS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def in_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def new_page(browser, viewport, javascript=True):
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    return context, context.new_page()


@VIEWPORTS
def test_the_childs_age_is_on_the_first_screen_without_a_click(browser, live_imh, viewport):
    context, page = new_page(browser, viewport)
    page.goto(live_imh)
    for label in ["Child's age", "Or their date of birth", "Weeks of pregnancy at birth"]:
        field = page.get_by_label(label)
        expect(field).to_be_visible()
        expect(field).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()


@VIEWPORTS
@SCRIPTS
def test_enter_sends_one_request_and_focuses_the_count_in_view(
    browser, live_imh, viewport, javascript
):
    context, page = new_page(browser, viewport, javascript)
    page.goto(live_imh, wait_until="networkidle")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "age=" in r.url else None)
    page.get_by_label("Child's age").fill("10 weeks")
    page.get_by_label("Child's age").press("Enter")
    expect(page.locator("#result-count")).to_have_text("Showing 6 of 19 rationales")
    expect(page.locator("#result-count")).to_be_focused()
    assert in_view(page, "#result-count")
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1, sent
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    if viewport == PHONE and javascript:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "phone-after-age.png")
    # The button too: one request.
    sent.clear()
    page.get_by_label("Child's age").fill("2y")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_have_text(re.compile(r"Showing \d+ of 19"))
    expect(page.locator("#result-count")).to_be_focused()
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1, sent
    context.close()


@VIEWPORTS
@SCRIPTS
def test_an_unreadable_age_gets_the_error_summary_and_marks_the_field(
    browser, live_imh, viewport, javascript
):
    context, page = new_page(browser, viewport, javascript)
    page.goto(live_imh, wait_until="networkidle")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "age=" in r.url else None)
    page.get_by_label("Child's age").fill("ten weeks")
    page.get_by_label("Child's age").press("Enter")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    assert in_view(page, ".nhsuk-error-summary")
    link = summary.get_by_role("link")
    expect(link).to_have_attribute("href", "#id_age")
    expect(link).to_contain_text("Child's age: Enter the child's age")
    # The field itself, as NHS.UK marks it: its group, its message, the input's border.
    expect(page.locator("#age-error")).to_contain_text("Error:")
    expect(page.locator("#id_age")).to_have_class(re.compile(r"nhsuk-input--error"))
    expect(page.locator("#id_age")).to_have_attribute("aria-describedby", "age-hint age-error")
    expect(page.locator("#id_age")).to_have_value("ten weeks")
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1, sent
    # Put right, the marks go.
    page.get_by_label("Child's age").fill("10w")
    page.get_by_label("Child's age").press("Enter")
    expect(page.locator("#result-count")).to_have_text("Showing 6 of 19 rationales")
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    expect(page.locator("#age-error")).to_have_count(0)
    context.close()


@VIEWPORTS
def test_the_picture_renders_without_javascript_and_its_bars_link_to_cards(
    browser, live_imh, viewport
):
    context, page = new_page(browser, viewport, javascript=False)
    page.goto(live_imh)
    if viewport == PHONE:  # folded on a phone; a <details> opens without JavaScript
        page.get_by_text("The pathway in one picture").click()
    picture = page.locator("svg.timeline__svg")
    expect(picture).to_be_visible()
    bars = page.locator("a.timeline__bar")
    expect(bars).to_have_count(13)
    for bar in bars.all():
        target = bar.get_attribute("href")
        assert re.fullmatch(r"#entry-\d+", target), target
        expect(page.locator(target)).to_have_count(1)
        expect(bar).to_have_accessible_name(re.compile(r", .+: \d+ rationales?$"))
    birth = page.get_by_role("link", name="Health Visiting, Birth - 6 weeks: 4 rationales")
    expect(birth).to_have_count(1)
    # The text alternative says the same, the 6 to 8 weeks gap included.
    text = page.locator(".timeline__text")
    expect(text.locator(".timeline__list li")).to_have_count(13)
    expect(text).to_contain_text("No stage covers 6 weeks to 8 weeks")
    expect(text).to_contain_text("Birth - 6 weeks: 4 rationales")
    box = picture.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()


def test_a_bar_is_a_link_the_keyboard_reaches_and_follows(page: Page, live_imh):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh + "?age=10w")
    bar = page.get_by_role("link", name=re.compile(r"^Health Visiting, 8 weeks - 6 months"))
    expect(bar).to_have_class(re.compile(r"timeline__bar--child"))
    # Reached by Tab, in reading order.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('timeline__bar')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('timeline__bar')")
    bar.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?age=10w#entry-\d+$"))


@pytest.mark.parametrize(
    ("path", "viewport"),
    [
        ("?age=14w&born_at_weeks=32", PHONE),
        ("?age=14w&born_at_weeks=32", DESKTOP),
        ("checklist/?age=10w", DESKTOP),
        ("checklist/?age=10w", PHONE),
    ],
    ids=["pathway-375", "pathway-1280", "checklist-1280", "checklist-375"],
)
def test_no_accessibility_violations_with_the_picture(page: Page, live_imh, path, viewport):
    page.set_viewport_size(viewport)
    page.goto(live_imh + path)
    for summary in page.locator(".timeline-panel > summary:visible").all():
        summary.click()
    expect(page.locator("svg.timeline__svg")).to_be_visible()
    expect(page.locator(".timeline__child--corrected, .timeline__child--age")).to_have_count(1)
    results = Axe(output_directory=ROOT / "artifacts" / "axe").run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}},
        html_report_generated=False,
        json_report_generated=False,
    )
    violations = [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
        for v in results["violations"]
    ]
    assert violations == []
    assert len(results["passes"]) > 10
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_the_checklist_prints_with_the_picture(page: Page, live_imh):
    page.set_viewport_size({"width": 794, "height": 1123})
    page.goto(live_imh + "checklist/?age=14w&born_at_weeks=32")
    page.emulate_media(media="print")
    picture = page.locator("svg.timeline__svg")
    expect(picture).to_be_visible()
    expect(page.locator(".timeline__child--actual")).to_have_count(1)
    expect(page.locator(".timeline__child--corrected")).to_have_count(1)
    assert picture.bounding_box()["width"] <= 794


# Offline: no dead ends. -------------------------------------------------------------------


def offline_ready(page: Page) -> None:
    """Waits until the service worker is installed (its install saved the start pages) and
    in charge of this page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")


def test_home_and_pathway_open_offline_after_one_visit_to_the_home_page(page: Page, live_imh):
    home = live_imh.removesuffix("infant-mental-health/").removesuffix("pathways/")
    page.goto(home)
    offline_ready(page)
    page.context.set_offline(True)
    # Never opened online: the pathway was saved when offline support started.
    page.goto(live_imh + "?age=10w")
    expect(page.locator(".offline-notice p").first).to_contain_text(
        "You are offline: showing the copy saved on"
    )
    expect(page.locator("#result-count")).to_have_text("Showing 6 of 19 rationales")
    expect(page.locator("svg.timeline__svg")).to_have_count(1)
    page.goto(home)
    expect(page.locator("h1")).to_have_text("Care pathways")
    expect(page.locator(".offline-notice")).to_contain_text("You are offline")
    # The pathway's link works, and says nothing.
    link = page.get_by_role("link", name="Infant Mental Health")
    expect(link).not_to_have_attribute("data-offline-unavailable", "")
    link.click()
    expect(page.locator("#result-count")).to_have_text("Showing 19 of 19 rationales")


def test_offline_links_that_cannot_work_say_so_and_are_not_followed(page: Page, live_imh):
    page.goto(live_imh)
    offline_ready(page)
    page.context.set_offline(True)
    page.goto(live_imh + "?service=primary-care-gp")
    expect(page.locator("#result-count")).to_have_text("Showing 1 of 19 rationales")
    note = "(needs a signal: not saved on this device)"
    csv = page.locator(".results__download a")
    checklist = page.get_by_role("link", name=re.compile("Visit checklist for these results"))
    report = page.locator(".entry__actions a").first
    for link in (csv, checklist, report):
        expect(link).to_contain_text(note)
        expect(link).to_have_attribute("aria-disabled", "true")
    address = page.url
    for link in (checklist, csv, report):
        link.click(force=True)  # Playwright itself will not click what says it is disabled
    expect(page.locator("#result-count")).to_have_text("Showing 1 of 19 rationales")
    assert page.url == address
    # A saved page's link is left alone: home was saved when offline support started.
    expect(page.locator(".nhsuk-breadcrumb__link", has_text="Home")).not_to_contain_text(note)
    # Back online, the links are links again.
    page.context.set_offline(False)
    expect(csv).not_to_contain_text(note)
    expect(csv).not_to_have_attribute("aria-disabled", "true")


def test_an_unsaved_page_offline_leads_to_the_saved_home_page(page: Page, live_imh, live_server):
    page.goto(live_server.url + "/")
    offline_ready(page)
    page.context.set_offline(True)
    page.goto(live_server.url + "/documents/pimh-delivery-plan-2021-2022/")
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(page.locator("main")).to_contain_text("This page has not been saved on this device.")
    page.get_by_role("link", name="home page").click()
    expect(page.locator("h1")).to_have_text("Care pathways")
    expect(page.locator(".offline-notice")).to_contain_text("showing the copy saved on")


def test_what_applies_at_10_weeks_fits_in_about_three_phone_screens(page: Page, live_imh):
    page.set_viewport_size(PHONE)
    page.goto(live_imh + "?age=10w")
    expect(page.locator("#results .entry")).to_have_count(6)
    height = page.locator("#results").bounding_box()["height"]
    assert height <= 3.3 * PHONE["height"], height
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
