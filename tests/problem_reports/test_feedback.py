""" "Report a problem with this content": a reader reports, editors see the report in the
admin and work through it; nobody else ever sees one; a client cannot flood the list."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from pathways.models import Entry, ProblemReport

from ..conftest import IMH_URL
from ..pagetext import elements

# The README promises five reports an hour per client: the number, not the code's constant.
REPORTS_PER_HOUR = 5
REPORT_URL = f"{IMH_URL}entries/20/report/"
SENT_URL = f"{IMH_URL}entries/20/report/sent/"
WHAT_IS_WRONG = "The NICU bullet should say neonatal unit: the family will not know NICU."


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """Every test starts with no reports counted against the test client's address."""
    cache.clear()
    yield
    cache.clear()


def test_every_entry_on_the_page_links_its_report_form(client, imh):
    content = client.get(IMH_URL).content.decode()
    reports = [a for a in elements(content, "a") if a.text == "Report a problem with this content"]
    assert sorted(a.attrs["href"] for a in reports) == sorted(
        f"{IMH_URL}entries/{entry.number}/report/" for entry in Entry.objects.filter(pathway=imh)
    )
    # Each link also names its entry to screen reader users.
    assert (
        "Report a problem with this content: "
        "Ensure appropriate ongoing and consistent care provision."
    ) in [a.spoken for a in reports]


def test_form_names_the_entry_and_warns_against_patient_details(client, imh):
    response = client.get(REPORT_URL)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Report a problem with this content</h1>" in content
    assert "Ensure appropriate ongoing and consistent care provision." in content
    assert "Do not enter patient details" in content
    assert "date of birth, NHS number, address" in content
    assert 'method="post"' in content and "csrfmiddlewaretoken" in content
    assert 'name="text"' in content and 'maxlength="2000"' in content
    assert 'name="email" type="email"' in content
    # A form with a CSRF token is never kept by a cache or the offline copy.
    assert "no-store" in response["Cache-Control"]


def test_hana_reports_a_problem_and_it_is_stored_as_new(client, imh):
    response = client.post(REPORT_URL, {"text": WHAT_IS_WRONG, "email": "hana@example.nhs.uk"})
    assert response.status_code == 302
    assert response["Location"] == SENT_URL
    report = ProblemReport.objects.get()
    assert report.entry == Entry.objects.get(pathway=imh, position=20)
    assert report.text == WHAT_IS_WRONG
    assert report.email == "hana@example.nhs.uk"
    assert report.status == ProblemReport.Status.NEW
    thanks = client.get(SENT_URL).content.decode()
    assert "Report sent" in thanks
    assert f'href="{IMH_URL}#entry-20"' in thanks
    assert WHAT_IS_WRONG not in thanks  # the text is for editors only


def test_email_is_optional(client, imh):
    response = client.post(REPORT_URL, {"text": WHAT_IS_WRONG, "email": ""})
    assert (response.status_code, response["Location"]) == (302, SENT_URL)
    assert ProblemReport.objects.get().email == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "", "email": ""}, "Enter what is wrong with this content."),
        ({"text": "   ", "email": ""}, "Enter what is wrong with this content."),
        ({"text": "x" * 2001, "email": ""}, "Describe the problem in 2000 characters or fewer."),
        ({"text": WHAT_IS_WRONG, "email": "not-an-email"}, "Enter an email address like"),
    ],
)
def test_invalid_reports_are_refused_with_the_reason(client, imh, data, message):
    response = client.post(REPORT_URL, data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert message in content
    assert "<title>Error: Report a problem" in content
    assert not ProblemReport.objects.exists()


def test_what_was_typed_is_kept_after_an_error(client, imh):
    content = client.post(REPORT_URL, {"text": WHAT_IS_WRONG, "email": "x"}).content.decode()
    assert "The NICU bullet should say neonatal unit" in content
    assert 'value="x"' in content


def test_reports_need_the_csrf_token(imh):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(REPORT_URL, {"text": WHAT_IS_WRONG})
    assert response.status_code == 403
    assert not ProblemReport.objects.exists()
    form = strict.get(REPORT_URL)
    token = form.cookies["csrftoken"].value
    response = strict.post(REPORT_URL, {"text": WHAT_IS_WRONG, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert ProblemReport.objects.count() == 1


def test_a_client_may_send_five_reports_an_hour(client, imh):
    for n in range(REPORTS_PER_HOUR):
        assert client.post(REPORT_URL, {"text": f"Problem {n}"}).status_code == 302
    response = client.post(REPORT_URL, {"text": "One too many"})
    assert response.status_code == 429
    assert "You have sent too many reports" in response.content.decode()
    assert ProblemReport.objects.count() == REPORTS_PER_HOUR
    assert not ProblemReport.objects.filter(text="One too many").exists()
    # Another client is not held back by this one.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(REPORT_URL, {"text": "From another visit"}).status_code == 302


def test_refused_reports_do_not_count_against_the_limit(client, imh):
    for _ in range(REPORTS_PER_HOUR + 2):
        refused = client.post(REPORT_URL, {"text": ""})
        assert refused.status_code == 200
        assert "Enter what is wrong with this content." in refused.content.decode()
    assert client.post(REPORT_URL, {"text": WHAT_IS_WRONG}).status_code == 302


def test_behind_a_trusted_proxy_the_limit_is_per_forwarded_address(client, imh, settings):
    settings.PROXY_COUNT = 1
    for n in range(REPORTS_PER_HOUR):
        sent = client.post(
            REPORT_URL, {"text": f"Problem {n}"}, headers={"X-Forwarded-For": "198.51.100.1"}
        )
        assert sent.status_code == 302
    blocked = client.post(REPORT_URL, {"text": "x"}, headers={"X-Forwarded-For": "198.51.100.1"})
    assert blocked.status_code == 429
    allowed = client.post(REPORT_URL, {"text": "x"}, headers={"X-Forwarded-For": "198.51.100.2"})
    assert allowed.status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        f"{IMH_URL}entries/999/report/",
        "/pathways/no-such-pathway/entries/20/report/",
        "/pathways/parental-mental-health-and-wellbeing/entries/10/report/",
    ],
)
def test_only_entries_on_a_public_page_can_be_reported(client, imh, url):
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": WHAT_IS_WRONG}).status_code == 404


def report(text=WHAT_IS_WRONG, position=20, **fields):
    entry = Entry.objects.get(pathway__slug="infant-mental-health", position=position)
    return ProblemReport.objects.create(entry=entry, text=text, **fields)


def test_erin_the_editor_sees_reports_filters_by_status_and_follows_the_entry(client, imh, editor):
    report(email="hana@example.nhs.uk")
    report("Typo in admisisons", position=10, status=ProblemReport.Status.DONE)
    client.force_login(editor)
    listing = client.get("/admin/pathways/problemreport/").content.decode()
    assert WHAT_IS_WRONG[:40] in listing
    assert "Typo in admisisons" in listing
    assert f"{IMH_URL}#entry-20" in [a.attrs.get("href") for a in elements(listing, "a")]
    new_only = client.get("/admin/pathways/problemreport/", {"status__exact": "new"})
    assert "Typo in admisisons" not in new_only.content.decode()
    assert WHAT_IS_WRONG[:40] in new_only.content.decode()


def test_editor_moves_a_report_on_but_cannot_rewrite_it_or_add_one(client, imh, editor):
    problem = report()
    client.force_login(editor)
    url = f"/admin/pathways/problemreport/{problem.pk}/change/"
    page = client.get(url).content.decode()
    assert WHAT_IS_WRONG in page
    assert f'href="/admin/pathways/entry/{problem.entry_id}/change/"' in page
    response = client.post(url, {"status": "in_progress", "text": "Rewritten"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemReport.Status.IN_PROGRESS
    assert problem.text == WHAT_IS_WRONG
    assert client.get("/admin/pathways/problemreport/add/").status_code == 403


@pytest.mark.parametrize(
    "url", ["/admin/pathways/problemreport/", "/admin/pathways/problemreport/1/change/"]
)
def test_anonymous_users_never_see_reports(client, imh, url):
    report()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    for public in [IMH_URL, SENT_URL, "/api/pathways/infant-mental-health/entries/"]:
        assert WHAT_IS_WRONG not in client.get(public).content.decode()


def test_a_practitioner_without_staff_rights_never_sees_reports(client, imh, practitioner):
    report()
    client.force_login(practitioner)
    response = client.get("/admin/pathways/problemreport/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_outside_the_editors_group_cannot_see_reports(client, imh):
    report()
    staff = User.objects.create_user("sam", "sam@example.nhs.uk", "a-long-enough-password")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/pathways/problemreport/").status_code == 403


@pytest.mark.browser
def test_report_form_works_without_javascript_and_is_accessible(browser, live_imh, live_server):
    from pytest_playwright_axe import Axe

    from ..browsing.test_browser import WCAG_22_AA

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_imh)
    page.locator("#entry-20").get_by_role("link", name="Report a problem").click()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter what is wrong with this content.")
    page.get_by_label("What is wrong with this content?").fill(WHAT_IS_WRONG)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text("Report sent")
    assert ProblemReport.objects.get().text == WHAT_IS_WRONG
    context.close()
    for path in [REPORT_URL, SENT_URL]:
        axe_page = browser.new_page()
        axe_page.goto(live_server.url + path)
        results = Axe().run(
            axe_page,
            options={"runOnly": {"type": "tag", "values": WCAG_22_AA}},
            html_report_generated=False,
            json_report_generated=False,
        )
        assert [v["id"] for v in results["violations"]] == [], path
        axe_page.close()


def test_back_from_the_report_form_keeps_the_readers_filters(client, imh):
    """The cards' report links are the same for every reader (cards are cached), so the form
    reads the filters from the page that linked to it and carries them to its answer."""
    came_from = f"http://testserver{IMH_URL}?age=10w&service=health-visiting&dob="
    form = client.get(REPORT_URL, headers={"Referer": came_from}).content.decode()
    back = f"{IMH_URL}?age=10w&amp;service=health-visiting#entry-20"
    assert f'href="{back}"' in form  # the Back link, without the empty field
    carried = "?from=age%3D10w%26service%3Dhealth-visiting"
    assert f'action="{REPORT_URL}{carried}"' in form.replace("&amp;", "&")
    response = client.post(REPORT_URL + carried, {"text": WHAT_IS_WRONG})
    assert response["Location"] == SENT_URL + carried
    assert f'href="{back}"' in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "referer",
    [
        "",
        "http://elsewhere.example/pathways/infant-mental-health/?age=10w",
        "http://testserver/pathways/other/?age=10w",
        "http://testserver/pathways/infant-mental-health/?" + "q=x&" * 400,
    ],
    ids=["none", "other-site", "other-page", "too-long"],
)
def test_back_from_the_report_form_goes_to_the_plain_page_otherwise(client, imh, referer):
    form = client.get(REPORT_URL, headers={"Referer": referer}).content.decode()
    assert f'href="{IMH_URL}#entry-20"' in form
    assert "from=" not in form
