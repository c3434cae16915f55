"""The pathway pages in a real browser (Debian's Chromium through Playwright): htmx updates,
history, no-JavaScript fallback, keyboard use, accessibility and layout at phone and desktop
widths. Skip them in a quick run with `-m "not browser"`."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_playwright_axe import Axe

from ..conftest import ROOT

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def count(page: Page):
    return page.locator("#result-count")


def test_filter_updates_results_in_place_and_back_restores_them(page: Page, live_imh):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh)
    expect(count(page)).to_have_text("Showing 19 of 19 rationales")
    # A marker on the window and on the live region: both survive an in-place update.
    page.evaluate("window.loadedOnce = true; document.getElementById('result-count').kept = 1")

    page.get_by_label("Primary Care & GP").check()
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    expect(page).to_have_url(re.compile(r"\?service=primary-care-gp$"))
    assert page.evaluate("window.loadedOnce") is True
    assert page.evaluate("document.getElementById('result-count').kept") == 1
    expect(page.locator("#results .entry")).to_have_count(1)

    page.get_by_label("Core Purpose 2").check()
    expect(count(page)).to_have_text("Showing 0 of 19 rationales")
    expect(page.locator("#results")).to_contain_text(
        "There are no rationales that match your filters."
    )
    expect(page).to_have_url(re.compile(r"\?service=primary-care-gp&tag=core-purpose-2$"))

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?service=primary-care-gp$"))
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    expect(page.get_by_label("Core Purpose 2")).not_to_be_checked()
    expect(page.get_by_label("Primary Care & GP")).to_be_checked()

    page.go_back()
    expect(count(page)).to_have_text("Showing 19 of 19 rationales")
    expect(page.get_by_label("Primary Care & GP")).not_to_be_checked()


def test_back_pressed_while_the_page_is_still_loading_still_restores_its_results(browser, live_imh):
    """Back reloads the page, and htmx listens for the next Back only once the page has
    started. A second Back pressed before then (here: while the page's script is held back)
    must still end with the results of the address it lands on, not the previous ones.
    Without the service worker, whose copies of static files the test could not hold back."""
    context = browser.new_context(service_workers="block", viewport=DESKTOP)
    page = context.new_page()
    page.goto(live_imh)
    page.get_by_label("Primary Care & GP").check()
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    page.get_by_label("Core Purpose 2").check()
    expect(count(page)).to_have_text("Showing 0 of 19 rationales")

    held = []

    def hold(route):
        held.append(route)

    page.route("**/static/pathways/site.js", hold)
    page.go_back()
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    assert held, "the reload asked for the page's script"
    page.go_back(wait_until="commit")
    expect(page).to_have_url(live_imh)
    for route in held:
        route.continue_()
    page.unroute("**/static/pathways/site.js", hold)

    expect(count(page)).to_have_text("Showing 19 of 19 rationales")
    expect(page.get_by_label("Primary Care & GP")).not_to_be_checked()
    expect(page.locator("#results .entry")).to_have_count(19)
    context.close()


def test_every_request_stays_on_our_own_site(page: Page, live_imh, live_server):
    """No CDN, no web fonts, nothing fetched from anywhere but us: it must work on a
    network that blocks outside hosts, and nothing about a visit leaves the site (styles.css
    has none of NHS.UK's Frutiger web font rules, so no request for it is even tried)."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_viewport_size(PHONE)
    page.goto(live_imh, wait_until="networkidle")
    page.locator(".filters-panel summary").click()
    page.get_by_label("Health Visiting").check()
    expect(count(page)).to_have_text("Showing 13 of 19 rationales")
    assert len(requested) > 5
    assert [url for url in requested if not url.startswith(live_server.url)] == []


def test_removing_an_active_filter_keeps_form_and_results_in_step(page: Page, live_imh):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh + "?stage=3-5-years&service=childrens-centres-eyfs")
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    page.evaluate("window.loadedOnce = true")
    page.get_by_role("link", name="Remove filter Service: Childrens Centres & EYFS").click()
    expect(count(page)).to_have_text("Showing 3 of 19 rationales")
    expect(page.get_by_label("Childrens Centres & EYFS")).not_to_be_checked()
    expect(page.locator("#stage-3-5-years")).to_be_checked()
    expect(page).to_have_url(re.compile(r"\?stage=3-5-years$"))
    assert page.evaluate("window.loadedOnce") is True
    # Focus went with the removed link; it lands on the results, not the top of the page.
    assert page.evaluate("document.activeElement.id") == "results-panel"


def test_child_age_and_search_update_in_place(page: Page, live_imh):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh)
    page.get_by_label("Child's age").fill("6w")
    page.get_by_label("Child's age").press("Enter")
    expect(count(page)).to_have_text("Showing 6 of 19 rationales")
    expect(page).to_have_url(re.compile(r"age=6w"))
    # A typed field waits for Enter (or the button): one request per search, not per pause.
    page.get_by_label("Search the pathway").fill("massage")
    page.get_by_label("Search the pathway").press("Enter")
    expect(count(page)).to_have_text("Showing 2 of 19 rationales")
    expect(page).to_have_url(re.compile(r"\?age=6w&q=massage$"))
    page.get_by_label("Child's age").fill("ten weeks")
    page.get_by_label("Child's age").press("Enter")
    expect(page.locator(".results__notices")).to_contain_text("Child's age: Enter the child's age")


def test_without_javascript_the_form_filters_by_full_page_load(browser, live_imh):
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    page.goto(live_imh)
    page.get_by_label("Childrens Centres & EYFS").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]service=childrens-centres-eyfs(&|$)"))
    expect(count(page)).to_have_text("Showing 5 of 19 rationales")
    expect(page.get_by_label("Childrens Centres & EYFS")).to_be_checked()
    # Removing the filter is a plain link too.
    with page.expect_navigation():
        page.get_by_role("link", name="Remove filter Service: Childrens Centres & EYFS").click()
    expect(count(page)).to_have_text("Showing 19 of 19 rationales")
    context.close()


FOCUS_VISIBLE = """el => {
  const style = getComputedStyle(el);
  if (el.type === 'checkbox') {
    const mark = getComputedStyle(el.labels[0], '::before');
    return mark.boxShadow !== 'none';
  }
  const yellow = 'rgb(255, 235, 59)';
  return style.boxShadow !== 'none' || style.backgroundColor === yellow
      || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
          && style.outlineColor !== 'rgba(0, 0, 0, 0)');
}"""


def test_keyboard_reaches_and_operates_every_control_with_visible_focus(page: Page, live_imh):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh)
    controls = page.locator("#filters input, #filters button, #filters a")
    expected = {el.get_attribute("id") or el.inner_text().strip() for el in controls.all()}
    reached, not_visible = set(), []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        name = page.evaluate("el => el.id || el.innerText.trim()", focused)
        if page.evaluate("el => !!el.closest('#filters')", focused):
            reached.add(name)
        if not page.evaluate(FOCUS_VISIBLE, focused):
            not_visible.append(name)
        if expected <= reached:
            break
    assert expected <= reached, f"never reached by Tab: {expected - reached}"
    assert not not_visible, f"focus not visible on: {not_visible}"

    # Operate by keyboard: Space ticks a checkbox, Enter submits the age.
    page.focus("#service-primary-care-gp")
    page.keyboard.press("Space")
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    page.focus("#id_age")
    page.keyboard.type("2y")
    page.keyboard.press("Enter")
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    expect(page).to_have_url(re.compile(r"service=primary-care-gp.*age=2y|age=2y.*service="))
    # The skip link is the first stop and takes focus to the main content.
    page.goto(live_imh)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#maincontent$"))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/pathways/infant-mental-health/",
        "/pathways/infant-mental-health/?service=childrens-centres-eyfs&age=3m&stage=nope",
        "/pathways/infant-mental-health/?service=primary-care-gp&tag=core-purpose-2",
        "/pathways/infant-mental-health/?age=7w&born_at_weeks=30%2B4",
        "/pathways/infant-mental-health/checklist/?age=7w&born_at_weeks=30",
        "/documents/pimh-delivery-plan-2021-2022/",
    ],
    ids=["home", "pathway", "filtered", "empty", "corrected", "checklist", "delivery-plan"],
)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_accessibility_violations(page: Page, live_imh, live_server, path, viewport):
    page.set_viewport_size(viewport)
    page.goto(live_server.url + path)
    expect(page.locator("h1")).to_be_visible()
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
    assert len(results["passes"]) > 10  # axe really ran against the page


def test_phone_layout_opens_on_the_age_and_folds_the_other_filters(page: Page, live_imh):
    page.set_viewport_size(PHONE)
    page.goto(live_imh)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "pathway-375.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_label("Child's age")).to_be_in_viewport()
    expect(page.get_by_label("Health Visiting")).to_be_hidden()
    summary = page.get_by_text("Stage, service, tag and search")
    expect(summary).to_be_visible()
    panel_box = page.locator(".filters-panel").bounding_box()
    results_box = page.locator("#results").bounding_box()
    assert panel_box["y"] < results_box["y"]
    summary.click()
    page.get_by_label("Health Visiting").check()
    expect(count(page)).to_have_text("Showing 13 of 19 rationales")
    page.screenshot(path=SCREENSHOTS / "pathway-375-filtered.png", full_page=False)


def test_desktop_layout_puts_the_filters_beside_the_results(page: Page, live_imh):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "pathway-1280.png", full_page=True)
    expect(page.locator("#filters")).to_be_visible()
    expect(page.get_by_label("Health Visiting")).to_be_visible()
    expect(page.get_by_text("Stage, service, tag and search")).to_be_hidden()
    form_box = page.locator("#filters").bounding_box()
    results_box = page.locator("#results").bounding_box()
    assert form_box["x"] + form_box["width"] <= results_box["x"]
    # The form starts level with the right-hand column.
    column = page.locator(".nhsuk-grid-column-two-thirds").first.bounding_box()
    assert abs(form_box["y"] - column["y"]) < 40


def test_print_shows_filters_in_words_and_every_entry_without_the_chrome(page: Page, live_imh):
    page.set_viewport_size(DESKTOP)
    page.goto(live_imh + "?service=childrens-centres-eyfs")
    page.emulate_media(media="print")
    expect(page.locator("#filters")).to_be_hidden()
    expect(page.locator(".nhsuk-header")).to_be_hidden()
    expect(page.locator(".nhsuk-footer")).to_be_hidden()
    summary = page.locator(".results__print-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Filters: Service: Childrens Centres & EYFS")
    expect(summary).to_contain_text(f"Printed from {live_imh}?service=childrens-centres-eyfs on")
    expect(page.locator("#results .entry")).to_have_count(5)
    for entry in page.locator("#results .entry").all():
        expect(entry).to_be_visible()
    pdf = Path(SCREENSHOTS.parent / "pathway-print.pdf")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=pdf, format="A4", prefer_css_page_size=True)
    assert pdf.stat().st_size > 10_000


def test_copy_link_copies_the_address_of_these_results(browser, live_imh):
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(live_imh)
    page.get_by_label("Primary Care & GP").check()
    expect(count(page)).to_have_text("Showing 1 of 19 rationales")
    page.get_by_role("link", name="Copy link to these results").click()
    expect(page.locator(".share-link__status")).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_imh}?service=primary-care-gp"
    context.close()


def test_visit_checklist_prints_on_a4_without_cut_off_text(page: Page, live_imh):
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.goto(live_imh + "checklist/?stage=1-3-years&age=2y&service=health-visiting")
    page.emulate_media(media="print")
    expect(page.locator(".nhsuk-header")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to the pathway")).to_be_hidden()
    # Entries 140 (1 + 9 bullets + 3), 150 (5 + 2 bullets) and 160 (1).
    expect(page.locator(".checklist__action")).to_have_count(21)
    overflowing = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          return [...document.querySelectorAll('.checklist *')]
            .filter(el => el.getBoundingClientRect().right > width + 1)
            .map(el => el.className || el.tagName);
        }"""
    )
    assert overflowing == []
    pdf = SCREENSHOTS.parent / "checklist-a4.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=pdf, format="A4", prefer_css_page_size=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
