"""The two-person rule: a change to live content waits, whole, as a pending change;
practitioners keep the approved version on every surface until a publisher who did not make
the change approves it from its word diff."""

import re

import pytest
from django.core.exceptions import PermissionDenied

from pathways.models import Entry, Intervention, Pathway, Service, Status
from pathways.publishing import ChangeKind, Decision, PendingChange

from ..conftest import HTMX, IMH_URL, approve_pending
from ..pagetext import elements, links, visible_lines
from .test_admin import change_form_data as admin_form_data

NEW_RATIONALE = "Follow-up Visiting schedule, Zebracrossing wording."
NEW_BULLET = "Quokkaroute family group"
OLD_RATIONALE = "Follow-up Visiting schedule."


@pytest.fixture
def live_entry(imh):
    """The 1 - 3 years "Follow-up Visiting schedule." entry, published in a published pathway."""
    return Entry.objects.get(pathway=imh, position=140)


def change_form_data(entry, **changes):
    """The entry's change form as a browser posts it (a publisher's form has the status)."""
    return admin_form_data(entry, **{"status": entry.status, **changes})


def propose_edit(client, entry, user):
    """`user` saves the entry's change form with a new rationale and a new bullet point."""
    client.force_login(user)
    data = change_form_data(entry, rationale=NEW_RATIONALE, change_reason="Clearer wording")
    data["interventions-0-bullets"] += f"\n{NEW_BULLET}"
    return client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)


def body(response) -> str:
    content = b"".join(response) if response.streaming else response.content
    return re.sub(r"</?mark>", "", content.decode())  # search matches read as plain text


# Every way practitioners (or their systems) read content; the offline copy is the page and
# the two API documents the service worker saves, as an anonymous visitor gets them.
SURFACES = [
    ("page", IMH_URL, {}),
    ("fragment", IMH_URL, HTMX),
    ("search", f"{IMH_URL}?q=Quokkaroute", {}),
    ("checklist", f"{IMH_URL}checklist/", {}),
    ("CSV", f"{IMH_URL}export.csv", {}),
    ("API entries (offline copy)", "/api/pathways/infant-mental-health/entries/", {}),
    ("FHIR", "/api/pathways/infant-mental-health/fhir", {}),
]


@pytest.mark.parametrize(("surface", "url", "headers"), SURFACES)
def test_practitioners_get_the_approved_version_until_approval(
    client, live_entry, editor, approver, surface, url, headers
):
    assert propose_edit(client, live_entry, editor).status_code == 302
    client.logout()
    before = body(client.get(url, headers=headers))
    assert NEW_BULLET not in before
    assert "Zebracrossing" not in before
    if surface != "search":
        assert OLD_RATIONALE in before
    approve_pending(approver)
    after = body(client.get(url, headers=headers))
    assert NEW_BULLET in after
    assert NEW_RATIONALE in after


def test_pathway_changes_wait_too_reading_notes_included(client, imh, editor, approver):
    client.force_login(editor)
    notes = list(imh.reading_notes.order_by("position"))
    data = {
        "title": imh.title,
        "slug": imh.slug,
        "summary": "A Zebracrossing summary.",
        "position": imh.position,
        "related_pathways": list(imh.related_pathways.values_list("pk", flat=True)),
        "policy_context": imh.policy_context_id or "",
        "last_reviewed": imh.last_reviewed or "",
        "next_review_due": imh.next_review_due or "",
        "reviewed_by": imh.reviewed_by,
        "reading_notes-TOTAL_FORMS": len(notes),
        "reading_notes-INITIAL_FORMS": len(notes),
        "reading_notes-MIN_NUM_FORMS": 0,
        "reading_notes-MAX_NUM_FORMS": 1000,
    }
    for i, note in enumerate(notes):
        data.update(
            {
                f"reading_notes-{i}-id": note.pk,
                f"reading_notes-{i}-pathway": imh.pk,
                f"reading_notes-{i}-position": note.position,
                f"reading_notes-{i}-text": note.text,
                f"reading_notes-{i}-is_bullet": "on" if note.is_bullet else "",
            }
        )
    data["reading_notes-0-text"] = "Read this Quokkaroute note first."
    response = client.post(f"/admin/pathways/pathway/{imh.pk}/change/", data)
    assert response.status_code == 302, body(response)[:2000]
    # Staff read the pending reading note in place, marked, with the link to its diff.
    staff_page = body(client.get(IMH_URL))
    change = PendingChange.objects.get()
    heading = staff_page[staff_page.index("<h1>") : staff_page.index('class="reading-notes"')]
    assert "Pending approval" in heading
    assert f'href="/admin/pathways/pendingchange/{change.pk}/change/"' in heading
    assert "Read this Quokkaroute note first." in staff_page
    client.logout()
    surfaces = [IMH_URL, "/", "/api/pathways/", "/api/pathways/infant-mental-health/"]
    for url in surfaces:
        text = body(client.get(url))
        assert "Quokkaroute" not in text and "Zebracrossing" not in text, url
    approve_pending(approver)
    assert "Read this Quokkaroute note first." in body(client.get(IMH_URL))
    assert "A Zebracrossing summary." in body(client.get("/api/pathways/infant-mental-health/"))


def test_the_pending_change_holds_the_whole_proposed_version(client, live_entry, editor):
    interventions_before = list(live_entry.interventions.values_list("pk", "bullets"))
    propose_edit(client, live_entry, editor)
    change = PendingChange.objects.get()
    assert (change.decision, change.kind, change.proposed_by) == (
        Decision.PENDING,
        ChangeKind.CHANGE,
        editor,
    )
    assert change.reason == "Clearer wording"
    assert change.proposed["fields"]["rationale"] == NEW_RATIONALE
    assert change.base["fields"]["rationale"] == OLD_RATIONALE
    bullets = [row["bullets"] for row in change.proposed["parts"]["interventions"]]
    assert bullets[0].endswith(NEW_BULLET)
    assert len(bullets) == 4
    # The live rows are untouched, and so is their history.
    live_entry.refresh_from_db()
    assert live_entry.rationale == OLD_RATIONALE
    assert list(live_entry.interventions.values_list("pk", "bullets")) == interventions_before
    assert live_entry.history.count() == 1


def test_the_editor_is_told_and_sent_to_the_diff(client, live_entry, editor):
    response = propose_edit(client, live_entry, editor)
    change = PendingChange.objects.get()
    assert response["Location"] == f"/admin/pathways/pendingchange/{change.pk}/change/"
    page = body(client.get(response["Location"]))
    assert "is waiting for a publisher’s approval" in page
    # Each change says what it is in words too, for screen readers that skip <del> and <ins>.
    removed, added = (
        '<span class="visually-hidden">removed: </span>',
        ('<span class="visually-hidden">added: </span>'),
    )
    assert f"Follow-up Visiting <del>{removed}schedule.</del>" in page
    assert f"Follow-up Visiting <ins>{added}schedule, Zebracrossing wording.</ins>" in page
    assert f"<ins>{added}<br>{NEW_BULLET}</ins>" in page
    assert 'value="approve"' not in page and 'value="reject"' not in page  # editors do not decide


def test_a_publisher_approves_from_the_word_diff_with_a_comment(
    client, live_entry, editor, approver
):
    propose_edit(client, live_entry, editor)
    change = PendingChange.objects.get()
    client.force_login(approver)
    url = f"/admin/pathways/pendingchange/{change.pk}/change/"
    page = body(client.get(url))
    assert 'value="approve"' in page and 'value="reject"' in page
    client.post(url, {"decision": "approve", "comment": "Checked against the guidance"})
    change.refresh_from_db()
    assert (change.decision, change.decided_by, change.comment) == (
        Decision.APPROVED,
        approver,
        "Checked against the guidance",
    )
    # History: who proposed (the record's user), who approved, when and why.
    record = live_entry.history.latest()
    assert record.rationale == NEW_RATIONALE
    assert record.history_user == editor
    assert record.history_change_reason == "Clearer wording"
    assert record.approval == change
    assert record.approval.decided_at is not None
    history = body(client.get(f"/admin/pathways/entry/{live_entry.pk}/history/"))
    assert "Proposed by erin; approved by ola" in history
    assert "Checked against the guidance" in history


def test_nobody_approves_their_own_change(client, live_entry, publisher):
    propose_edit(client, live_entry, publisher)
    change = PendingChange.objects.get()
    url = f"/admin/pathways/pendingchange/{change.pk}/change/"
    page = body(client.get(url))
    assert 'value="approve"' not in page
    assert "another publisher must approve it" in page
    assert client.post(url, {"decision": "approve"}).status_code == 403
    change.refresh_from_db()
    assert change.decision == Decision.PENDING
    live_entry.refresh_from_db()
    assert live_entry.rationale == OLD_RATIONALE
    # Nor in code.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        change.approve(publisher)


def test_publishers_edit_interventions_and_another_publisher_approves(
    client, live_entry, publisher, approver
):
    form = body(client.get(f"/admin/pathways/entry/{live_entry.pk}/change/"))
    client.force_login(publisher)
    form = body(client.get(f"/admin/pathways/entry/{live_entry.pk}/change/"))
    assert 'name="interventions-0-bullets"' in form  # editable, not read-only
    propose_edit(client, live_entry, publisher)
    assert approve_pending(approver) == 1
    assert NEW_BULLET in live_entry.interventions.get(position=1).bullets


def test_a_rejected_change_never_goes_live(client, live_entry, editor, approver):
    propose_edit(client, live_entry, editor)
    change = PendingChange.objects.get()
    client.force_login(approver)
    url = f"/admin/pathways/pendingchange/{change.pk}/change/"
    client.post(url, {"decision": "reject", "comment": "Not in the source pathway"})
    change.refresh_from_db()
    assert (change.decision, change.comment) == (Decision.REJECTED, "Not in the source pathway")
    assert 'value="approve"' not in body(client.get(url))  # decided once
    client.post(url, {"decision": "approve"})
    live_entry.refresh_from_db()
    assert live_entry.rationale == OLD_RATIONALE


def test_a_second_edit_updates_the_one_pending_change_and_both_authors_are_barred(
    client, live_entry, editor, publisher, approver
):
    propose_edit(client, live_entry, editor)
    first = PendingChange.objects.get()
    client.force_login(publisher)
    # The form opens on the proposed version and says so.
    form = body(client.get(f"/admin/pathways/entry/{live_entry.pk}/change/"))
    assert "A change is waiting for approval" in form
    assert NEW_BULLET in form
    data = change_form_data(live_entry, rationale=NEW_RATIONALE, criteria="Where the family asks.")
    data["interventions-0-bullets"] += f"\n{NEW_BULLET}"
    client.post(f"/admin/pathways/entry/{live_entry.pk}/change/", data)
    change = PendingChange.objects.get()  # still one: updated, not raced
    assert change.pk == first.pk
    assert set(change.proposers.all()) == {editor, publisher}
    with pytest.raises(PermissionDenied):
        change.approve(publisher)
    change.approve(approver)
    live_entry.refresh_from_db()
    assert (live_entry.rationale, live_entry.criteria) == (NEW_RATIONALE, "Where the family asks.")


def test_a_change_overtaken_by_an_operator_restore_is_refused_not_applied(
    client, live_entry, editor, approver
):
    propose_edit(client, live_entry, editor)
    Entry.objects.filter(pk=live_entry.pk).update(rationale="Restored by an operator.")
    client.force_login(approver)
    change = PendingChange.objects.get()
    response = client.post(
        f"/admin/pathways/pendingchange/{change.pk}/change/", {"decision": "approve"}, follow=True
    )
    assert "The live version changed after this change was proposed" in body(response)
    live_entry.refresh_from_db()
    assert live_entry.rationale == "Restored by an operator."


def test_new_drafts_and_draft_edits_are_saved_as_today(client, imh, editor):
    draft = Entry.objects.get(pathway=imh, position=140)
    draft.status = Status.DRAFT
    draft.save()
    propose_edit(client, draft, editor)
    assert not PendingChange.objects.exists()
    draft.refresh_from_db()
    assert draft.rationale == NEW_RATIONALE


def test_a_published_entry_in_a_draft_pathway_is_guarded_too(client, imh, editor, approver):
    """Publishing a pathway then shows only entries whose every word was approved."""
    other = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
    other.status = Status.DRAFT
    other.save()
    entry = Entry.objects.get(pathway=imh, position=140)
    entry.pathway = other
    entry.save()
    client.force_login(editor)
    client.post(
        f"/admin/pathways/entry/{entry.pk}/change/",
        change_form_data(entry, criteria="Edited in the draft pathway."),
    )
    entry.refresh_from_db()
    assert entry.criteria != "Edited in the draft pathway."
    client.post(
        f"/admin/pathways/entry/{entry.pk}/change/",
        change_form_data(entry, criteria="Edited in the draft pathway.", pathway=imh.pk),
    )
    entry.refresh_from_db()
    assert entry.pathway == other
    assert PendingChange.objects.pending().count() == 1
    client.logout()
    assert "Edited in the draft pathway." not in body(client.get(IMH_URL))
    approve_pending(approver)
    assert "Edited in the draft pathway." in body(client.get(IMH_URL))


def test_shared_content_changes_wait_too(client, imh, editor, approver):
    service = Service.objects.get(slug="primary-care-gp")
    client.force_login(editor)
    response = client.post(
        f"/admin/pathways/service/{service.pk}/change/",
        {"name": "Primary Care & General Practice", "slug": service.slug, "position": 3},
    )
    assert response.status_code == 302
    client.logout()
    assert "Primary Care &amp; General Practice" not in body(client.get(IMH_URL))
    approve_pending(approver)
    assert "Primary Care &amp; General Practice" in body(client.get(IMH_URL))


def test_staff_see_the_pending_version_marked_with_a_link_to_its_diff(client, live_entry, editor):
    propose_edit(client, live_entry, editor)
    change = PendingChange.objects.get()
    page = body(client.get(IMH_URL))
    card = re.search(r'<article[^>]*id="entry-140".*?</article>', page, re.S).group(0)
    assert "Pending approval" in card
    assert f'href="/admin/pathways/pendingchange/{change.pk}/change/"' in card
    assert NEW_RATIONALE in card and NEW_BULLET in card
    assert page.count("Pending approval") == 1  # only the changed card
    client.logout()
    assert "Pending approval" not in body(client.get(IMH_URL))


def test_a_revert_of_live_content_waits_for_approval(client, live_entry, editor, approver):
    original = live_entry.history.earliest()
    propose_edit(client, live_entry, editor)
    approve_pending(approver)
    url = f"/admin/pathways/entry/{live_entry.pk}/history/{original.history_id}/"
    response = client.post(url, {"change_reason": "Back to the seed wording"})
    change = PendingChange.objects.pending().get()
    assert response["Location"] == f"/admin/pathways/pendingchange/{change.pk}/change/"
    assert change.kind == ChangeKind.REVERT
    live_entry.refresh_from_db()
    assert live_entry.rationale == NEW_RATIONALE
    change.approve(approver)
    live_entry.refresh_from_db()
    assert live_entry.rationale == OLD_RATIONALE
    assert NEW_BULLET not in live_entry.interventions.get(position=1).bullets
    record = live_entry.history.latest()
    assert (record.history_user, record.approval) == (editor, change)
    assert record.history_change_reason == "Back to the seed wording"


def test_an_added_intervention_is_created_on_approval(client, live_entry, editor, approver):
    client.force_login(editor)
    data = change_form_data(live_entry)
    data["interventions-TOTAL_FORMS"] = 5
    data.update(
        {
            "interventions-4-entry": live_entry.pk,
            "interventions-4-position": 9,
            "interventions-4-text": "A Quokkaroute visit.",
        }
    )
    assert client.post(f"/admin/pathways/entry/{live_entry.pk}/change/", data).status_code == 302
    assert not Intervention.objects.filter(text="A Quokkaroute visit.").exists()
    approve_pending(approver)
    added = Intervention.objects.get(text="A Quokkaroute visit.")
    assert (added.entry, added.position) == (live_entry, 9)


# The matrix: who may propose, approve, reject and revert. "proposer" is a publisher deciding
# a change they made themselves; "publisher" decides a change an editor made.

ROLES = ["anonymous", "editor", "publisher", "proposer"]
ACTIONS = ["propose", "approve", "reject", "revert"]
EXPECTED = {
    "anonymous": {"propose": "login", "approve": "login", "reject": "login", "revert": "login"},
    "editor": {
        "propose": "pending",
        "approve": "forbidden",
        "reject": "forbidden",
        "revert": "pending",
    },
    "publisher": {
        "propose": "pending",
        "approve": "approved",
        "reject": "rejected",
        "revert": "pending",
    },
    # Withdrawing one's own change is allowed; approving it never is.
    "proposer": {
        "propose": "pending",
        "approve": "forbidden",
        "reject": "rejected",
        "revert": "pending",
    },
}


def outcome(response, entry, change=None) -> str:
    if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    assert response.status_code == 302, response.status_code
    if change is not None:
        change.refresh_from_db()
        entry.refresh_from_db()
        if change.decision == Decision.APPROVED:
            assert entry.rationale == NEW_RATIONALE
        else:
            assert entry.rationale == OLD_RATIONALE
        return {Decision.APPROVED: "approved", Decision.REJECTED: "rejected"}.get(
            change.decision, "pending"
        )
    assert PendingChange.objects.pending().count() == 1
    entry.refresh_from_db()
    assert entry.rationale == OLD_RATIONALE  # live rows untouched
    return "pending"


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_approval_permission_matrix(client, live_entry, editor, publisher, approver, role, action):
    user = {"anonymous": None, "editor": editor, "publisher": approver, "proposer": publisher}[role]
    if action == "propose":
        data = change_form_data(live_entry, rationale=NEW_RATIONALE)
        if user is not None:
            client.force_login(user)
        response = client.post(f"/admin/pathways/entry/{live_entry.pk}/change/", data)
        got = outcome(response, live_entry)
    elif action == "revert":
        edited = live_entry.history.earliest()
        live_entry.criteria = "A criterion added since."
        live_entry.save()
        client.logout()
        if user is not None:
            client.force_login(user)
        url = f"/admin/pathways/entry/{live_entry.pk}/history/{edited.history_id}/"
        response = client.post(url)
        got = outcome(response, live_entry)
        if got == "pending":
            assert PendingChange.objects.get().kind == ChangeKind.REVERT
    else:
        proposer = publisher if role == "proposer" else editor
        propose_edit(client, live_entry, proposer)
        change = PendingChange.objects.get()
        client.logout()
        if user is not None:
            client.force_login(user)
        url = f"/admin/pathways/pendingchange/{change.pk}/change/"
        response = client.post(url, {"decision": action, "comment": "Matrix"})
        got = outcome(response, live_entry, change)
    assert got == EXPECTED[role][action]


def diff_rows(page: str) -> dict[str, list[str]]:
    """A pending change's table as read: each row's name, then its approved and proposed text."""
    [table] = elements(page, "table", "pending-change__diff")
    return {row.lines[0]: row.lines[1:] for row in elements(table.markup, "tr")[1:]}


def test_a_changed_service_is_shown_by_name_and_an_unclear_decision_changes_nothing(
    client, live_entry, editor, approver
):
    service = live_entry.service
    other = Service.objects.exclude(pk=service.pk).order_by("name").first()
    client.force_login(editor)
    data = change_form_data(live_entry, service=other.pk)
    client.post(f"/admin/pathways/entry/{live_entry.pk}/change/", data)
    change = PendingChange.objects.get()
    url = f"/admin/pathways/pendingchange/{change.pk}/change/"
    client.force_login(approver)
    page = client.get(url).content.decode()
    # As read: each change says what it is ("removed:", "added:"), in visually hidden words.
    assert diff_rows(page) == {"Service": [f"removed: {service.name}", f"added: {other.name}"]}
    assert links(page)["As practitioners see it"] == f"{IMH_URL}#entry-{live_entry.number}"
    response = client.post(url, {"decision": "maybe", "comment": "?"}, follow=True)
    assert "Choose Approve or Reject." in visible_lines(response.content.decode())
    assert client.put(url).status_code == 405
    change.refresh_from_db()
    live_entry.refresh_from_db()
    assert (change.decision, live_entry.service) == (Decision.PENDING, service)
