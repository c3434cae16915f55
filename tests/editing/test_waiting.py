"""Publishers see what waits: the count on the admin home, the pending list showing waiting
changes by default with its content-type filter by name, and the email a publisher may ask
for when a change waits for them."""

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from pathways.editing.notifications import ApprovalNotice
from pathways.models import Entry, GlossaryTerm, Tag
from pathways.publishing import Decision, PendingChange

from ..fuzz.test_fuzz import FUZZ
from ..operations.test_security import PRODUCTION, load_settings
from .test_approval import NEW_RATIONALE, propose_edit

CHANGELIST = "/admin/pathways/pendingchange/"
NOTIFICATIONS = "/admin/pathways/pendingchange/notifications/"


def waiting_change(user, name="Targeted Support", decision=Decision.PENDING) -> PendingChange:
    """A pending change to a tag named `name` (the seeds' own, if they have one), proposed by
    `user`."""
    tag, _ = Tag.objects.get_or_create(slug=name.lower().replace(" ", "-"), defaults={"name": name})
    change = PendingChange.objects.create(
        content_type=ContentType.objects.get_for_model(Tag),
        object_id=tag.pk,
        object_repr=str(tag),
        base={"fields": {"name": name}, "parts": {}},
        proposed={"fields": {"name": f"{name} (renamed)"}, "parts": {}},
        proposed_by=user,
        decision=decision,
    )
    change.proposers.add(user)
    return change


def text(response) -> str:
    """The page's visible words, on one line."""
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", content).split())


def listed(response) -> list[str]:
    """The changes the pending list shows, by their content's name."""
    return sorted(str(change.object_repr) for change in response.context["cl"].result_list)


# The admin home


def test_a_publisher_sees_how_many_changes_others_made_wait_for_them(
    client, publisher, approver, editor
):
    waiting_change(editor, "Core Purpose 1")
    waiting_change(approver, "Core Purpose 2")
    waiting_change(publisher, "Core Purpose 3")
    waiting_change(editor, "Core Purpose 4", decision=Decision.APPROVED)
    client.force_login(publisher)
    response = client.get("/admin/")
    page = text(response)
    assert "2 changes wait for your approval" in page
    assert "1 of your changes waits for another publisher" in page
    assert f'href="{CHANGELIST}?proposed=others"' in response.content.decode()
    # The link leads to exactly those two.
    assert listed(client.get(f"{CHANGELIST}?proposed=others")) == [
        "Core Purpose 1",
        "Core Purpose 2",
    ]


def test_one_waiting_change_is_said_in_the_singular(client, publisher, editor):
    waiting_change(editor)
    client.force_login(publisher)
    assert "1 change waits for your approval" in text(client.get("/admin/"))


def test_an_editor_sees_how_many_of_their_own_changes_wait(client, editor, publisher):
    waiting_change(editor, "Core Purpose 1")
    waiting_change(editor, "Core Purpose 2")
    waiting_change(publisher, "Core Purpose 3")
    client.force_login(editor)
    response = client.get("/admin/")
    page = text(response)
    assert "2 of your changes wait for a publisher" in page
    # Editors approve nothing: no count of others' changes, no email to ask for.
    assert "for your approval" not in page
    assert NOTIFICATIONS not in response.content.decode()
    assert listed(client.get(f"{CHANGELIST}?proposed=me")) == ["Core Purpose 1", "Core Purpose 2"]


def test_nothing_waiting_is_said_plainly(client, publisher):
    client.force_login(publisher)
    page = text(client.get("/admin/"))
    assert "No changes wait for your approval" in page
    assert "None of your changes are waiting" in page


def test_the_admin_home_count_costs_the_same_queries_however_many_wait(client, publisher, editor):
    client.force_login(publisher)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/").status_code == 200
        return len(captured)

    waiting_change(editor, "Core Purpose 1")
    few = queries()
    for number in range(2, 12):
        waiting_change(editor, f"Core Purpose {number}")
    assert queries() == few
    assert "11 changes wait for your approval" in text(client.get("/admin/"))


# The pending list


def test_the_pending_list_shows_waiting_changes_by_default(client, publisher, editor):
    waiting_change(editor, "Waiting one")
    waiting_change(editor, "Approved one", decision=Decision.APPROVED)
    waiting_change(editor, "Rejected one", decision=Decision.REJECTED)
    client.force_login(publisher)
    assert listed(client.get(CHANGELIST)) == ["Waiting one"]
    assert listed(client.get(f"{CHANGELIST}?decision=approved")) == ["Approved one"]
    assert listed(client.get(f"{CHANGELIST}?decision=all")) == [
        "Approved one",
        "Rejected one",
        "Waiting one",
    ]
    # The filter offers All and marks "Pending approval" as chosen when nothing was chosen.
    response = client.get(CHANGELIST)
    [decision] = [f for f in response.context["cl"].filter_specs if f.title == "decision"]
    choices = list(decision.choices(response.context["cl"]))
    assert [c["display"] for c in choices][0] == "All"
    assert [c["display"] for c in choices if c["selected"]] == ["Pending approval"]


def test_an_unknown_decision_lists_nothing_rather_than_failing(client, publisher, editor):
    waiting_change(editor)
    client.force_login(publisher)
    response = client.get(f"{CHANGELIST}?decision=%3Cscript%3E")
    assert response.status_code == 200
    assert listed(response) == []


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["decision", "proposed", "content_type__id__exact", "kind"]),
        st.text(max_size=30),
        max_size=4,
    )
)
def test_no_filter_value_breaks_the_pending_list(client, publisher, editor, params):
    if not PendingChange.objects.exists():
        waiting_change(editor)
    client.force_login(publisher)
    response = client.get(CHANGELIST, params)
    # A value the admin cannot read sends it back to the list with ?e=1; a control character
    # is refused with a 400 before any view (operations.guard); never a 5xx.
    assert response.status_code in (200, 302, 400)


def test_the_content_type_filter_lists_content_types_by_name(client, publisher, editor):
    """Only the kinds of content someone proposed a change to: each is one more link to pass
    with the keyboard on the way to the list, and one kind alone is nothing to filter by."""
    waiting_change(editor)
    client.force_login(publisher)

    def names(response) -> list[str]:
        return [
            name
            for f in response.context["cl"].filter_specs
            if getattr(f, "field_path", None) == "content_type"
            for _, name in f.lookup_choices
        ]

    response = client.get(CHANGELIST)
    assert names(response) == []
    glossary = ContentType.objects.get_for_model(GlossaryTerm)
    PendingChange.objects.create(
        content_type=glossary,
        object_id=1,
        object_repr="SW",
        base={"fields": {}, "parts": {}},
        proposed={"fields": {}, "parts": {}},
        proposed_by=editor,
        decision=Decision.REJECTED,
    )
    assert names(client.get(CHANGELIST)) == ["Glossary term", "Tag"]
    page = text(response)
    for internal in ("historical entry", "permission", "session", "log entry"):
        assert internal not in page.lower()
    tag_type = ContentType.objects.get_for_model(Tag).pk
    entry_type = ContentType.objects.get_for_model(Entry).pk
    assert listed(client.get(f"{CHANGELIST}?content_type__id__exact={tag_type}")) == [
        "Targeted Support"
    ]
    assert listed(client.get(f"{CHANGELIST}?content_type__id__exact={entry_type}")) == []


# The email when a change waits


@pytest.fixture
def live_entry(imh):
    """The 1 - 3 years "Follow-up Visiting schedule." entry, published in a published pathway."""
    return Entry.objects.get(pathway=imh, position=140)


@pytest.fixture
def wants_email(approver):
    """Ola asked, on her notifications page, to be emailed when a change waits."""
    ApprovalNotice.choose(approver, True)
    return approver


def test_a_publisher_opts_in_to_email_from_the_admin_home(client, publisher):
    client.force_login(publisher)
    home = client.get("/admin/").content.decode()
    assert f'action="{NOTIFICATIONS}"' in home
    assert "Email me when a change waits for my approval" in home
    response = client.post(NOTIFICATIONS, {"email_when_waiting": "on"}, follow=True)
    assert ApprovalNotice.wanted_by(publisher)
    assert "You will be emailed at pia@example.nhs.uk" in text(response)
    assert "checked" in client.get(NOTIFICATIONS).content.decode()
    client.post(NOTIFICATIONS, {})
    assert not ApprovalNotice.wanted_by(publisher)


def test_a_publisher_without_an_email_address_is_told_no_email_can_reach_them(client, publisher):
    publisher.email = ""
    publisher.save()
    client.force_login(publisher)
    response = client.post(NOTIFICATIONS, {"email_when_waiting": "on"}, follow=True)
    assert ApprovalNotice.wanted_by(publisher)
    assert "Saved, but your account has no email address: ask an administrator to add one." in text(
        response
    )


def test_staff_who_may_not_see_pending_changes_get_no_waiting_summary(client, db):
    staff = User.objects.create_user("sam", "", "a-long-enough-password", is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Waiting for approval" not in text(response)


@pytest.mark.parametrize("method", ["get", "post"])
def test_editors_and_practitioners_have_no_notifications_page(client, editor, practitioner, method):
    client.force_login(editor)
    assert getattr(client, method)(NOTIFICATIONS).status_code == 403
    assert not ApprovalNotice.objects.exists()
    client.force_login(practitioner)
    # Not staff: the admin sends them to sign in.
    assert getattr(client, method)(NOTIFICATIONS).status_code == 302


def test_an_opted_in_publisher_is_emailed_when_a_change_waits(
    client, live_entry, editor, publisher, wants_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        propose_edit(client, live_entry, editor)
    change = PendingChange.objects.pending().get()
    [message] = mail.outbox
    assert message.to == ["ola@example.nhs.uk"]
    assert "waits for your approval" in message.subject
    assert str(live_entry) in message.subject or live_entry.rationale[:40] in message.subject
    assert f"http://127.0.0.1:8000/admin/pathways/pendingchange/{change.pk}/change/" in message.body
    # The content's name only: none of the proposed words, nor the reason, leave the site.
    assert NEW_RATIONALE not in message.body + message.subject
    assert "Quokkaroute" not in message.body
    assert "Clearer wording" not in message.body


def test_nobody_is_emailed_about_their_own_change_or_without_asking(
    client, live_entry, publisher, wants_email, django_capture_on_commit_callbacks
):
    # Pia did not ask; Ola asked but proposed this change herself.
    with django_capture_on_commit_callbacks(execute=True):
        propose_edit(client, live_entry, wants_email)
    assert PendingChange.objects.pending().count() == 1
    assert mail.outbox == []


def test_inactive_publishers_and_editors_are_not_emailed(
    editor, publisher, wants_email, django_capture_on_commit_callbacks
):
    ApprovalNotice.choose(editor, True)  # not through the page, which refuses editors
    wants_email.is_active = False
    wants_email.save()
    with django_capture_on_commit_callbacks(execute=True):
        waiting_change(publisher)
    assert mail.outbox == []


def test_no_email_before_the_change_is_saved_for_good(
    editor, wants_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        waiting_change(editor)
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["ola@example.nhs.uk"]]


def test_a_name_over_several_lines_makes_a_one_line_subject(
    editor, wants_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = waiting_change(editor, "Core Purpose 2")
        PendingChange.objects.filter(pk=change.pk).update(object_repr="Line one\nLine two")
        change.refresh_from_db()
    # (The email was sent on commit, after the name was changed.)
    [message] = mail.outbox
    assert message.subject == "A change waits for your approval: Line one Line two"


def test_deciding_a_change_sends_no_further_email(
    editor, publisher, wants_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = waiting_change(editor)
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        change.reject(publisher, "Not needed")
    assert len(mail.outbox) == 1


def test_a_mail_server_that_is_down_does_not_undo_the_proposal(
    editor, wants_email, settings, django_capture_on_commit_callbacks, caplog
):
    # Port 9 (discard), where nothing listens.
    smtp = {"host": "127.0.0.1", "port": 9, "timeout": 2}
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": smtp}
    }
    with django_capture_on_commit_callbacks(execute=True):
        waiting_change(editor)
    assert PendingChange.objects.pending().count() == 1
    assert "Could not email ola@example.nhs.uk" in caplog.text


def test_email_is_printed_in_development_and_sent_by_smtp_in_production(monkeypatch):
    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    development = load_settings(monkeypatch)
    assert development.MAILERS == {
        "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend", "OPTIONS": {}}
    }
    production = load_settings(
        monkeypatch,
        **PRODUCTION,
        EMAIL_HOST="smtp.example.nhs.uk",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        DEFAULT_FROM_EMAIL="Pathway Navigator <pathways@example.nhs.uk>",
    )
    assert production.MAILERS["default"]["BACKEND"] == (
        "django.core.mail.backends.smtp.EmailBackend"
    )
    options = production.MAILERS["default"]["OPTIONS"]
    assert (options["host"], options["port"], options["use_tls"]) == (
        "smtp.example.nhs.uk",
        587,
        True,
    )
    assert production.DEFAULT_FROM_EMAIL == "Pathway Navigator <pathways@example.nhs.uk>"
