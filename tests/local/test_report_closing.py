"""Readers' reports reach the people who can act on them and are closed with an answer: an
area's staff see the reports about their area's services only (never entry reports, never
another area's); closing takes a resolution; the reader who left an address is emailed it
once, and the address is then forgotten (kept, for a retry, only when the email failed)."""

from __future__ import annotations

import pytest
from django.core import mail

from pathways.problem_reports import admin as reports_admin
from pathways.problem_reports.models import ProblemReport
from tests.editing.htmlforms import the_form
from tests.local.test_scoping import ADMIN, session
from tests.pagetext import elements, visible_lines

pytestmark = pytest.mark.django_db

READER = "reader@example.org"
DONE = ProblemReport.Status.DONE
RESOLUTION = "The team's phone number is corrected."


@pytest.fixture
def reports(example_area, second_area):
    """A report about a service of A (with the reader's address), one about B's, and one
    about an entry."""
    mine = ProblemReport.objects.create(
        local_service=example_area.services["perinatal-mental-health"],
        text="The duty phone number rings out.",
        email=READER,
    )
    theirs = ProblemReport.objects.create(
        local_service=second_area.services["gp-liaison"], text="South words are wrong."
    )
    entry = ProblemReport.objects.create(
        entry=example_area.note.entry, text="The national entry has a typo.", email=READER
    )
    return {"mine": mine, "theirs": theirs, "entry": entry}


def listed(user) -> str:
    client, _ = session(user)
    return " ".join(visible_lines(client.get(f"{ADMIN}/problemreport/").content.decode()))


def test_an_areas_staff_see_their_areas_reports_only(example_area, editor, reports):
    for user in (example_area.editor, example_area.publisher):
        shown = listed(user)
        assert "The duty phone number rings out." in shown
        assert "North Example Perinatal Mental Health Team (North Example)" in shown
        assert "South words are wrong." not in shown
        assert "South Example" not in shown
        assert "The national entry has a typo." not in shown
        client, _ = session(user)
        for other in (reports["theirs"], reports["entry"]):
            response = client.get(f"{ADMIN}/problemreport/{other.pk}/change/")
            assert response.status_code != 200
            assert other.text not in response.content.decode()
    shown = listed(editor)
    for report in reports.values():
        assert report.text in shown


def close(user, report, **fields):
    """`user` opens the report, sets its fields and presses Save; returns the response."""
    client, token = session(user)
    url = f"{ADMIN}/problemreport/{report.pk}/change/"
    form = the_form(client.get(url).content.decode())
    return client.post(url, {**form.data(), **fields, "csrfmiddlewaretoken": token})


def errors(response) -> str:
    return " ".join(e.text for e in elements(response.content.decode(), cls="errorlist"))


def test_closing_takes_a_resolution_and_tells_the_reader_once(
    example_area, reports, django_capture_on_commit_callbacks
):
    report = reports["mine"]
    with django_capture_on_commit_callbacks(execute=True):
        response = close(example_area.editor, report, status=DONE, resolution="  ")
    assert response.status_code == 200
    assert "Say what was done before closing" in errors(response)
    report.refresh_from_db()
    assert report.status == ProblemReport.Status.NEW and report.email == READER
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = close(example_area.editor, report, status=DONE, resolution=RESOLUTION)
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [READER]
    assert "North Example Perinatal Mental Health Team" in message.subject
    assert RESOLUTION in message.body and "was closed on" in message.body
    report.refresh_from_db()
    assert report.status == DONE and report.resolution == RESOLUTION
    assert report.closed_at is not None and report.notified_at is not None
    assert report.email == ""  # kept no longer than needed

    with django_capture_on_commit_callbacks(execute=True):
        close(example_area.editor, report, resolution=f"{RESOLUTION} Checked again.")
    assert len(mail.outbox) == 1  # never twice


def test_a_report_without_an_address_is_closed_quietly(
    second_area, reports, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = close(second_area.editor, reports["theirs"], status=DONE, resolution="Fixed.")
    assert response.status_code == 302
    assert mail.outbox == []
    reports["theirs"].refresh_from_db()
    assert reports["theirs"].closed_at is not None and reports["theirs"].notified_at is None


def test_an_entry_reports_reader_is_told_too(editor, reports, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        close(editor, reports["entry"], status=DONE, resolution="Typo corrected.")
    (message,) = mail.outbox
    entry = reports["entry"].entry
    assert f"Infant Mental Health, entry {entry.number}" in message.body
    assert "Typo corrected." in message.body


def test_the_list_closes_a_report_only_with_its_resolution(example_area, reports):
    client, token = session(example_area.editor)
    page = client.get(f"{ADMIN}/problemreport/").content.decode()
    form = the_form(page)
    data = {**form.data(), "_save": "Save", "csrfmiddlewaretoken": token}
    (status,) = [name for name, _ in form.fields if name.endswith("-status")]
    response = client.post(f"{ADMIN}/problemreport/", {**data, status: DONE})
    assert "Say what was done before closing" in errors(response)
    reports["mine"].refresh_from_db()
    assert reports["mine"].status == ProblemReport.Status.NEW


def test_a_failed_email_keeps_the_address_for_a_retry(
    example_area, reports, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def mail_server_down(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(reports_admin, "send_mail", mail_server_down)
    report = reports["mine"]
    with django_capture_on_commit_callbacks(execute=True):
        close(example_area.editor, report, status=DONE, resolution=RESOLUTION)
    report.refresh_from_db()
    assert report.status == DONE and report.email == READER and report.notified_at is None
    assert any(
        r.levelname == "WARNING" and str(report.pk) in r.getMessage() for r in caplog.records
    )

    monkeypatch.undo()
    client, token = session(example_area.editor)
    client.post(
        f"{ADMIN}/problemreport/",
        {
            "action": "send_closing_emails_again",
            "_selected_action": [report.pk],
            "csrfmiddlewaretoken": token,
        },
    )
    (message,) = mail.outbox
    assert message.to == [READER] and RESOLUTION in message.body
    report.refresh_from_db()
    assert report.email == "" and report.notified_at is not None
