"""One gate for every change readers could see (PRODUCT.md, "Approval (two-person rule)"):
each defect the audit of issue 21 found, through the admin's own views. What goes live is
only what someone approved who wrote no part of it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from pathways.models import ContextDocument, Entry, Status, Tag
from pathways.publishing import ChangeKind, Decision, PendingChange

from ..conftest import IMH_URL, approve_pending
from ..pagetext import links
from .test_admin import change_form_data, list_positions_data
from .test_approval import diff_rows

SECRET = "Quagmirewording of one publisher alone"


def page(client) -> str:
    client.logout()
    return client.get(IMH_URL).content.decode()


def publish_action(client, entry):
    return client.post(
        "/admin/pathways/entry/", {"action": "publish", "_selected_action": [entry.pk]}
    )


def test_a_publisher_cannot_unpublish_edit_and_republish_their_own_words(
    client, imh, publisher, approver
):
    entry = Entry.objects.get(pathway=imh, position=190)
    client.force_login(publisher)
    # Edit a published entry and set it to draft in the same save ...
    data = change_form_data(entry, rationale=SECRET, status=Status.DRAFT)
    assert client.post(f"/admin/pathways/entry/{entry.pk}/change/", data).status_code == 302
    entry.refresh_from_db()
    assert entry.status == Status.PUBLISHED and entry.rationale != SECRET
    # ... then publish it from the list: still the same one pending change, still theirs.
    client.force_login(publisher)
    publish_action(client, entry)
    change = PendingChange.objects.pending().get()
    assert set(change.proposers.all()) == {publisher}
    assert SECRET not in page(client)
    with pytest.raises(PermissionDenied):
        change.approve(publisher)
    change.approve(approver)
    assert SECRET in page(client)


def test_a_publisher_who_edits_a_draft_cannot_publish_it_alone(
    client, draft_entry, editor, publisher, approver
):
    client.force_login(editor)
    client.post(
        f"/admin/pathways/entry/{draft_entry.pk}/change/",
        change_form_data(draft_entry, criteria="An editor's words."),
    )
    client.force_login(publisher)
    client.post(
        f"/admin/pathways/entry/{draft_entry.pk}/change/",
        change_form_data(draft_entry, criteria=SECRET, status=Status.DRAFT),
    )
    draft_entry.refresh_from_db()
    assert draft_entry.criteria == SECRET  # a draft: edited in place, seen by nobody
    client.force_login(publisher)
    publish_action(client, draft_entry)
    draft_entry.refresh_from_db()
    assert draft_entry.status == Status.DRAFT
    change = PendingChange.objects.pending().get()
    assert change.kind == ChangeKind.PUBLISH
    assert SECRET not in page(client)
    # The editor wrote part of it too: neither of them approves it.
    assert change.authors() == {editor.pk, publisher.pk}
    change.approve(approver)
    assert SECRET in page(client)
    assert draft_entry.history.latest().approval.decided_by == approver


def test_an_editor_promoted_to_publisher_still_cannot_approve_their_own_change(
    client, imh, editor, approver
):
    entry = Entry.objects.get(pathway=imh, position=190)
    client.force_login(editor)
    client.post(
        f"/admin/pathways/entry/{entry.pk}/change/", change_form_data(entry, criteria=SECRET)
    )
    editor.groups.add(Group.objects.get(name="Publishers"))
    change = PendingChange.objects.pending().get()
    client.force_login(editor)
    response = client.post(
        f"/admin/pathways/pendingchange/{change.pk}/change/", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert SECRET not in page(client)


def test_deleting_the_delivery_plan_waits_for_a_publisher(client, imh, editor, approver):
    document = ContextDocument.objects.get()
    url = document.get_absolute_url()
    client.force_login(editor)
    response = client.post(
        f"/admin/pathways/contextdocument/{document.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    change = PendingChange.objects.pending().get()
    assert change.kind == ChangeKind.DELETE
    client.force_login(approver)
    page = client.get(f"/admin/pathways/pendingchange/{change.pk}/change/").content.decode()
    assert diff_rows(page) == {"Whole content": [document.title, "(deleted)"]}
    assert links(page)["As practitioners see it"] == url
    client.logout()
    assert client.get(url).status_code == 200
    imh.refresh_from_db()
    assert imh.policy_context_id == document.pk
    approve_pending(approver)
    assert client.get(url).status_code == 404


def test_a_new_context_document_or_tag_is_public_only_once_approved(client, imh, editor, approver):
    client.force_login(editor)
    response = client.post(
        "/admin/pathways/tag/add/", {"name": "Quagmire tag", "slug": "quagmire", "position": 9}
    )
    assert response.status_code == 302
    change = PendingChange.objects.pending().get()
    assert response["Location"] == f"/admin/pathways/pendingchange/{change.pk}/change/"
    assert change.kind == ChangeKind.CREATE
    assert not Tag.objects.filter(slug="quagmire").exists()
    response = client.post(
        "/admin/pathways/contextdocument/add/",
        {
            "title": "Quagmire plan",
            "slug": "quagmire-plan",
            "introduction": "Words nobody approved.",
            "sections-TOTAL_FORMS": 0,
            "sections-INITIAL_FORMS": 0,
            "sections-MIN_NUM_FORMS": 0,
            "sections-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()
    assert client.get("/documents/quagmire-plan/").status_code == 404
    assert approve_pending(approver) == 2
    assert client.get("/documents/quagmire-plan/").status_code == 200
    assert Tag.objects.get(slug="quagmire").history.latest().approval.decided_by == approver


def test_an_entry_repeated_as_above_cannot_be_unpublished_or_deleted_under_its_repeater(
    client, imh, publisher
):
    repeated = Entry.objects.get(pathway=imh, position=140)
    assert Entry.objects.filter(repeats=repeated, status=Status.PUBLISHED).exists()
    client.force_login(publisher)
    unpublish = {"action": "unpublish", "_selected_action": [repeated.pk]}
    response = client.post("/admin/pathways/entry/", unpublish, follow=True)
    assert "Published entries repeat its interventions" in response.content.decode()
    publisher.user_permissions.add(Permission.objects.get(codename="delete_entry"))
    response = client.post(
        f"/admin/pathways/entry/{repeated.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "was not deleted: Published entries repeat its interventions" in (
        response.content.decode()
    )
    assert not PendingChange.objects.exists()
    repeated.refresh_from_db()
    assert repeated.status == Status.PUBLISHED


def test_a_proposer_withdraws_their_change_and_an_editor_may(client, imh, editor):
    entry = Entry.objects.get(pathway=imh, position=190)
    client.force_login(editor)
    client.post(
        f"/admin/pathways/entry/{entry.pk}/change/", change_form_data(entry, criteria=SECRET)
    )
    change = PendingChange.objects.pending().get()
    response = client.post(
        f"/admin/pathways/pendingchange/{change.pk}/change/", {"decision": "withdraw"}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.get_decision_display() == "Withdrawn"
    assert SECRET not in page(client)


def admin_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_bulk_delete_of_live_tags_waits_for_a_publisher(client, imh, editor, approver):
    tags = [
        Tag.objects.create(name=f"Unused tag {i}", slug=f"unused-{i}", position=90 + i)
        for i in (1, 2)
    ]
    client.force_login(editor)
    response = client.post(
        "/admin/pathways/tag/",
        {"action": "delete_selected", "_selected_action": [tag.pk for tag in tags], "post": "yes"},
        follow=True,
    )
    assert (
        "2 deletion(s) of content practitioners see wait for a publisher's approval."
        in admin_messages(response)
    )
    assert Tag.objects.filter(pk__in=[tag.pk for tag in tags]).count() == 2
    changes = PendingChange.objects.pending()
    assert {(change.kind, change.object_id) for change in changes} == {
        (ChangeKind.DELETE, tag.pk) for tag in tags
    }
    assert approve_pending(approver) == 2
    assert not Tag.objects.filter(pk__in=[tag.pk for tag in tags]).exists()


def test_reordering_live_tags_in_the_list_waits_and_says_so(client, imh, editor, approver):
    tags = list(Tag.objects.order_by("position"))
    client.force_login(editor)
    data = list_positions_data(tags, range(len(tags), 0, -1))  # reversed
    response = client.post("/admin/pathways/tag/", data, follow=True)
    assert (
        f"{len(tags)} of these changes affect content practitioners see: they wait for a "
        "publisher's approval before practitioners see them."
    ) in admin_messages(response)
    assert list(Tag.objects.order_by("position")) == tags  # unchanged until approved
    assert approve_pending(approver) == len(tags)
    assert list(Tag.objects.order_by("position")) == tags[::-1]


def test_save_and_continue_on_live_content_stays_on_the_form_and_says_it_waits(client, imh, editor):
    entry = Entry.objects.get(pathway=imh, position=10)
    client.force_login(editor)
    data = change_form_data(entry, rationale="Reworded, to be approved.", _continue="1")
    response = client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    assert response["Location"] == f"/admin/pathways/entry/{entry.pk}/change/"
    change = PendingChange.objects.pending().get()
    [said] = admin_messages(client.get(response["Location"]))
    assert "waiting for a publisher’s approval" in said
    assert change.proposed["fields"]["rationale"] == "Reworded, to be approved."
    entry.refresh_from_db()
    assert entry.rationale != "Reworded, to be approved."


def test_a_deletion_approved_once_content_uses_it_is_refused_naming_the_content(
    client, imh, editor, approver
):
    tag = Tag.objects.create(name="Soon used", slug="soon-used", position=95)
    client.force_login(editor)
    client.post(f"/admin/pathways/tag/{tag.pk}/delete/", {"post": "yes"})
    change = PendingChange.objects.pending().get()
    # While the deletion waits, an entry comes to use the tag.
    entry = Entry.objects.get(pathway=imh, position=20)
    Entry.objects.filter(pk=entry.pk).update(tag=tag)
    client.force_login(approver)
    url = f"/admin/pathways/pendingchange/{change.pk}/change/"
    response = client.post(url, {"decision": "approve"}, follow=True)
    assert (
        f"Could not approve this change: It cannot be deleted while content uses it: {entry}."
        in admin_messages(response)
    )
    assert Tag.objects.filter(pk=tag.pk).exists()
    change.refresh_from_db()
    assert change.decision == Decision.PENDING


def test_a_decision_on_a_change_already_decided_is_refused(
    client, imh, editor, publisher, approver
):
    tag = Tag.objects.create(name="Twice decided", slug="twice-decided", position=96)
    client.force_login(editor)
    client.post(f"/admin/pathways/tag/{tag.pk}/delete/", {"post": "yes"})
    change = PendingChange.objects.pending().get()
    url = f"/admin/pathways/pendingchange/{change.pk}/change/"
    approve_pending(approver)
    # A second publisher, on the page they opened before, rejects it.
    client.force_login(publisher)
    response = client.post(url, {"decision": "reject"}, follow=True)
    assert "Could not reject this change: This change was already Approved." in admin_messages(
        response
    )
    change.refresh_from_db()
    assert (change.decision, change.decided_by) == (Decision.APPROVED, approver)
