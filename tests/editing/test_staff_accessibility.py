"""The staff pages in a real browser, as accessible as the public ones (issue 27): axe
(WCAG 2.2 AA) finds nothing at desktop and phone widths on every page an editor or a
publisher uses, no page scrolls sideways at 375 px (a data table scrolls inside its own box),
and a publisher approves a change from the admin home with the keyboard alone."""

import copy

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_playwright_axe import Axe

from ..browsing.test_browser import DESKTOP, PHONE, WCAG_22_AA
from ..conftest import ROOT
from .test_approval_browser import sign_in

pytestmark = pytest.mark.browser

MOST_KEY_PRESSES = 25
SEED = ROOT / "tests" / "data" / "000_daf425ab71d75f66.txt"
# The minified axe-core: the same rules, injected (twice a run) in half the time.
AXE = Axe(output_directory=ROOT / "artifacts" / "axe", use_minified_file=True)


def problems(page: Page) -> list[str]:
    """What axe finds on the page, and sideways scrolling of the page itself."""
    expect(page.locator("#content")).to_be_visible()
    results = AXE.run(
        page,
        # No frames on these pages; passes counted, not listed node by node (faster).
        options={
            "runOnly": {"type": "tag", "values": WCAG_22_AA},
            "iframes": False,
            "resultTypes": ["violations"],
        },
        html_report_generated=False,
        json_report_generated=False,
    )
    found = [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:5]})"
        for v in results["violations"]
    ]
    assert len(results["passes"]) > 10  # axe really ran against the page
    width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        found.append(f"scrolls sideways: {width[0]} px wide in {width[1]} px")
    return found


def propose_rationale(entry, user, rationale: str):
    """`user`'s pending change to a published entry's rationale, as saving the form makes."""
    from pathways.publishing import state_of, submit

    state = copy.deepcopy(state_of(entry))
    state["fields"]["rationale"] = rationale
    return submit(entry, state, user=user, reason="Clearer wording")


@pytest.fixture
def staff_pages(live_imh, editor, publisher, approver):
    """The pages to check, each with who opens it: one of every kind of content, a pending
    change (Erin's), the entry's history and first version, a reader's problem report, and a
    local editor's list of their area's services and one service's form."""
    from pathways.models import (
        AgeBand,
        ContextDocument,
        Entry,
        GlossaryTerm,
        Pathway,
        Service,
        Stage,
        Tag,
    )
    from pathways.problem_reports.models import ProblemReport
    from tests.local_area import make_example_area

    entry = Entry.objects.get(pathway__slug="infant-mental-health", position=20)
    change = propose_rationale(entry, editor, f"{entry.rationale} Agreed with the family.")
    report = ProblemReport.objects.create(entry=entry, text="The phone number is out of date.")
    version = entry.history.earliest("history_date")
    local = make_example_area(publisher)
    service = local.services["perinatal-mental-health"]
    pages = [
        ("pia", "/admin/"),
        ("erin", "/admin/"),
        ("erin", "/admin/pathways/"),
        ("erin", "/admin/password_change/"),
        ("pia", "/admin/pathways/pendingchange/"),
        ("pia", "/admin/pathways/entry/"),
        ("erin", f"/admin/pathways/pendingchange/{change.pk}/change/"),
        ("pia", f"/admin/pathways/pendingchange/{change.pk}/change/"),
        ("pia", "/admin/pathways/pendingchange/notifications/"),
        ("erin", f"/admin/pathways/entry/{entry.pk}/history/"),
        ("erin", f"/admin/pathways/entry/{entry.pk}/history/{version.history_id}/"),
        ("erin", "/admin/pathways/problemreport/"),
        ("erin", f"/admin/pathways/problemreport/{report.pk}/change/"),
        ("erin", "/admin/pathways/pathway/import-text/"),
        ("erin", "/admin/pathways/contextdocument/import-text/"),
        ("n-editor", "/admin/pathways/localservice/"),
        ("n-editor", f"/admin/pathways/localservice/{service.pk}/change/"),
    ]
    for model in (Pathway, Entry, Stage, AgeBand, Service, Tag, ContextDocument, GlossaryTerm):
        opts = model._meta
        first = model.objects.order_by("pk").first()
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        pages += [("erin", base), ("erin", f"{base}{first.pk}/change/"), ("erin", f"{base}add/")]
    return pages, f"/admin/pathways/entry/{entry.pk}/history/{version.history_id}/"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_staff_pages_have_no_accessibility_violations(
    browser: Browser, live_server, staff_pages, viewport
):
    base = live_server.url
    pages, version_url = staff_pages
    found = {}

    visitor = browser.new_context(viewport=viewport).new_page()
    visitor.goto(f"{base}/admin/login/")
    found["sign-in"] = problems(visitor)
    visitor.get_by_label("Username").fill("erin")
    visitor.get_by_label("Password").fill("not the password")
    visitor.get_by_role("button", name="Log in").click()
    expect(visitor.get_by_role("alert")).to_contain_text("correct username and password")
    expect(visitor.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    found["sign-in with an error"] = problems(visitor)

    names = sorted({"erin", "pia", "ola", *(name for name, _ in pages)})
    people = {name: sign_in(browser, base, name, viewport) for name in names}
    for name, path in pages:
        assert people[name].goto(base + path).status == 200, path
        found[f"{path} as {name}"] = problems(people[name])

    # The revert, as the other publisher: it joins Erin's pending change and shows it.
    ola = people["ola"]
    ola.goto(base + version_url)
    ola.get_by_label("Reason for reverting").fill("Back to the loaded wording")
    ola.get_by_role("button", name="Revert to this version").click()
    expect(ola.locator(".messagelist")).to_contain_text("waiting for a publisher’s approval")
    found["after a revert"] = problems(ola)

    # An import's preview: its word diff, its "as above" tick box and the cards.
    erin = people["erin"]
    erin.goto(f"{base}/admin/pathways/pathway/import-text/")
    erin.get_by_label("Page text").fill(
        SEED.read_text(encoding="utf-8").replace("admisisons", "admissions")
    )
    erin.get_by_label("Pathway slug").fill("infant-mental-health")
    erin.get_by_role("button", name="Preview").click()
    expect(erin.locator(".import-text__diff")).to_contain_text("admissions")
    found["an import's preview"] = problems(erin)

    failing = [f"{page}: {problem}" for page, seen in found.items() for problem in seen]
    assert not failing, "\n".join(failing)


def test_a_publisher_approves_a_change_with_the_keyboard_alone(
    browser: Browser, live_imh, live_server, editor, publisher
):
    """From the admin home to the approval's message, every step a key press, counted."""
    from pathways.models import Entry

    entry = Entry.objects.get(pathway__slug="infant-mental-health", position=140)
    propose_rationale(entry, editor, "Follow-up Visiting schedule, agreed with the family.")
    pia = sign_in(browser, live_server.url, "pia", DESKTOP)
    presses = []

    def press(key: str, then_focused: str | None = None) -> None:
        pia.keyboard.press(key)
        presses.append(key)
        if then_focused is not None:
            expect(pia.locator(":focus")).to_have_accessible_name(then_focused)

    def follow(key: str = "Enter") -> None:
        with pia.expect_navigation():
            press(key)

    def skip_to_content() -> None:
        press("Tab", "Skip to main content")
        press("Enter")

    skip_to_content()
    press("Tab", "1 change waits for your approval")
    follow()
    expect(pia.locator("h1")).to_contain_text("pending change")
    skip_to_content()
    press("Tab", "Skip the filters to the list")
    press("Enter")
    while not pia.evaluate("document.activeElement.closest('#result_list tbody') !== null"):
        press("Tab")
        assert len(presses) < MOST_KEY_PRESSES
    expect(pia.locator(":focus")).to_have_text(f"Change: {entry}")
    follow()
    skip_to_content()
    while pia.evaluate("document.activeElement.id") != "id_comment":
        press("Tab")
        assert len(presses) < MOST_KEY_PRESSES
    press("Tab", "Approve: practitioners will see it")
    follow()

    focused = pia.locator(":focus")
    expect(focused).to_have_id("messages")
    expect(focused.get_by_role("status")).to_contain_text("Approved: practitioners now see")
    expect(pia.locator(".pending-change__status")).to_contain_text("Approved by pia")
    assert len(presses) <= MOST_KEY_PRESSES, presses
    entry.refresh_from_db()
    assert entry.rationale == "Follow-up Visiting schedule, agreed with the family."
