""" "Report a problem with this service": a reader reports a problem with a local service from
its area's directory; the report is kept for the area's staff, who are emailed (the service,
the words, the admin link, never the reader's address); another area's staff hear nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from pathways.models import Entry, ProblemReport
from pathways.publishing import Status
from tests.pagetext import elements, visible_lines

from .test_directory import draft_service

pytestmark = pytest.mark.django_db

REPORT_URL = "/areas/north-example/services/perinatal-mental-health/report/"
SENT_URL = "/areas/north-example/services/perinatal-mental-health/report/sent/"
WHAT_IS_WRONG = "The duty worker's number changed last month: it is now 0161 496 0999."
READER = "hana@example.nhs.uk"


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def test_each_service_on_the_area_page_links_its_report_form(client, example_area):
    html = client.get("/areas/north-example/").content.decode()
    links = [a for a in elements(html, "a") if a.text.startswith("Report a problem")]
    assert sorted(a.attrs["href"] for a in links) == sorted(
        f"/areas/north-example/services/{slug}/report/" for slug in example_area.services
    )
    assert "Report a problem with this service: North Example Perinatal Mental Health Team" in [
        a.spoken for a in links
    ]


def test_the_form_names_the_service_and_warns_against_patient_details(client, example_area):
    response = client.get(REPORT_URL)
    assert response.status_code == 200
    lines = visible_lines(response.content.decode())
    assert "Report a problem with this service" in lines
    assert "North Example Perinatal Mental Health Team" in lines
    assert "Do not enter patient details" in " ".join(lines)
    content = response.content.decode()
    assert 'name="text"' in content and 'maxlength="2000"' in content
    assert 'name="email" type="email"' in content and "csrfmiddlewaretoken" in content
    assert "no-store" in response["Cache-Control"]


def test_a_report_goes_to_the_areas_staff_and_not_to_another_areas(
    client, example_area, second_area, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REPORT_URL, {"text": WHAT_IS_WRONG, "email": READER})
    assert (response.status_code, response["Location"]) == (302, SENT_URL)
    report = ProblemReport.objects.get()
    assert report.local_service == example_area.services["perinatal-mental-health"]
    assert report.entry is None and report.email == READER
    assert sorted(to for message in mail.outbox for to in message.to) == [
        "n-editor@example.nhs.uk",
        "n-publisher@example.nhs.uk",
    ]
    message = mail.outbox[0]
    assert len(message.to) == 1  # one each: nobody sees who else was told
    assert (
        message.subject == "A problem was reported with North Example Perinatal Mental Health Team"
    )
    assert WHAT_IS_WRONG in message.body
    assert f"/admin/pathways/problemreport/{report.pk}/change/" in message.body
    assert READER not in message.body and READER not in message.subject
    thanks = client.get(SENT_URL)
    lines = visible_lines(thanks.content.decode())
    assert "Report sent" in lines
    assert 'href="/areas/north-example/#service-perinatal-mental-health"' in thanks.content.decode()
    assert WHAT_IS_WRONG not in thanks.content.decode()


def test_staff_without_an_address_or_no_longer_active_are_not_emailed(
    client, example_area, django_capture_on_commit_callbacks
):
    example_area.editor.email = ""
    example_area.editor.save()
    example_area.publisher.is_active = False
    example_area.publisher.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REPORT_URL, {"text": WHAT_IS_WRONG})
    assert ProblemReport.objects.count() == 1
    assert mail.outbox == []


def test_a_report_on_national_content_emails_nobody_new(
    client, example_area, django_capture_on_commit_callbacks
):
    entry = Entry.objects.get(pathway__slug="infant-mental-health", position=20)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/pathways/infant-mental-health/entries/{entry.number}/report/", {"text": "Typo"}
        )
    assert response.status_code == 302
    assert ProblemReport.objects.get().entry == entry
    assert mail.outbox == []


def test_a_mail_server_that_is_down_loses_no_report(
    client, example_area, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("pathways.local.views.send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REPORT_URL, {"text": WHAT_IS_WRONG})
    assert response.status_code == 302
    assert ProblemReport.objects.get().text == WHAT_IS_WRONG


def test_five_reports_an_hour_whichever_form_they_come_from(client, example_area):
    entry_url = "/pathways/infant-mental-health/entries/20/report/"
    for n in range(3):
        assert client.post(entry_url, {"text": f"Entry problem {n}"}).status_code == 302
    for n in range(2):
        assert client.post(REPORT_URL, {"text": f"Service problem {n}"}).status_code == 302
    response = client.post(REPORT_URL, {"text": "One too many"})
    assert response.status_code == 429
    assert "You have sent too many reports" in visible_lines(response.content.decode())
    assert ProblemReport.objects.count() == 5
    assert Client(REMOTE_ADDR="192.0.2.7").post(REPORT_URL, {"text": "Mine"}).status_code == 302


def test_a_report_is_refused_with_the_reason(client, example_area):
    response = client.post(REPORT_URL, {"text": "", "email": "not an address"})
    assert response.status_code == 200
    lines = visible_lines(response.content.decode())
    assert "Enter what is wrong with this content." in lines
    assert not ProblemReport.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/areas/nowhere/services/perinatal-mental-health/report/",
        "/areas/north-example/services/nowhere/report/",
        "/areas/north-example/services/draft-clinic/report/",
        "/areas/north-example/services/draft-clinic/report/sent/",
    ],
)
def test_only_published_services_of_published_areas_can_be_reported(client, example_area, url):
    draft_service(example_area.area)
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": WHAT_IS_WRONG}).status_code in (404, 405)
    assert not ProblemReport.objects.exists()


def test_a_service_of_an_area_taken_down_can_no_longer_be_reported(client, example_area):
    example_area.area.status = Status.DRAFT
    example_area.area.save()
    assert client.get(REPORT_URL).status_code == 404
