"""The two-person rule in a real browser: an editor's change waits, marked on the page for
staff; a publisher approves it from the word diff; practitioners see it only then. Saves the
screenshots docs/editing.md shows (copy them from artifacts/screenshots/approval/ to
docs/images/)."""

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import Browser, Page, expect

from ..browsing.test_browser import DESKTOP, SCREENSHOTS

pytestmark = pytest.mark.browser

PASSWORD = "a-long-enough-password"
NEW_RATIONALE = "Follow-up Visiting schedule, agreed with the family."


def staff(username: str, approves: bool) -> User:
    """A transactional test's database has no groups (flushed): permissions are given as
    the Editors and Publishers groups give them."""
    user = User.objects.create_user(username, f"{username}@example.nhs.uk", PASSWORD, is_staff=True)
    content = Permission.objects.filter(content_type__app_label="pathways").exclude(
        codename__in=["publish_entry", "publish_pathway", "approve_pendingchange"]
    )
    user.user_permissions.set(content)
    if approves:
        user.user_permissions.add(Permission.objects.get(codename="approve_pendingchange"))
    return user


def sign_in(browser: Browser, base: str, username: str, viewport: dict = DESKTOP) -> Page:
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    return page


def test_a_change_waits_for_a_second_person_in_the_browser(
    browser: Browser, page: Page, live_imh, live_server
):
    from pathways.models import Entry

    staff("erin", approves=False)
    staff("pia", approves=True)
    entry = Entry.objects.get(pathway__slug="infant-mental-health", position=140)
    shots = SCREENSHOTS / "approval"
    shots.mkdir(parents=True, exist_ok=True)

    erin = sign_in(browser, live_server.url, "erin")
    erin.goto(f"{live_server.url}/admin/pathways/entry/{entry.pk}/change/")
    erin.locator("#id_rationale").fill(NEW_RATIONALE)
    erin.locator("#id_change_reason").fill("Wording agreed at the team meeting")
    erin.get_by_role("button", name="Save", exact=True).click()
    expect(erin.locator(".messagelist")).to_contain_text("is waiting for a publisher’s approval")
    expect(erin.locator(".pending-change__diff")).to_contain_text("agreed with the family.")
    expect(erin.get_by_role("button", name="Approve: practitioners will see it")).to_have_count(0)
    erin.screenshot(path=shots / "pending-change.png", full_page=True)

    erin.goto(live_imh)
    card = erin.locator("#entry-140")
    expect(card).to_contain_text("Pending approval")
    expect(card).to_contain_text(NEW_RATIONALE)
    card.screenshot(path=shots / "pending-on-page.png")

    page.goto(live_imh)  # a practitioner
    expect(page.locator("#entry-140")).to_contain_text("Follow-up Visiting schedule.")
    expect(page.locator("#entry-140")).not_to_contain_text("agreed with the family")
    expect(page.get_by_text("Pending approval")).to_have_count(0)

    pia = sign_in(browser, live_server.url, "pia")
    pia.goto(live_imh)
    pia.locator("#entry-140").get_by_role("link", name="What this change does").click()
    pia.locator("#id_comment").fill("Checked against the source pathway")
    pia.screenshot(path=shots / "pending-approve.png", full_page=True)
    pia.get_by_role("button", name="Approve: practitioners will see it").click()
    expect(pia.locator(".messagelist")).to_contain_text("Approved")
    expect(pia.locator(".pending-change__status")).to_contain_text("Approved by pia")
    pia.screenshot(path=shots / "pending-approved.png", full_page=True)

    page.reload()
    expect(page.locator("#entry-140")).to_contain_text(NEW_RATIONALE)
