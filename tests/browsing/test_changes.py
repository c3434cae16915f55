"""The public "What changed" page: published changes in words, newest first, never a draft."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.browsing.changes import published_changes
from pathways.models import Entry, Status

from ..conftest import IMH_URL, approve_pending
from ..editing.test_admin import change_form_data
from ..pagetext import elements, links

CHANGES_URL = f"{IMH_URL}changes/"


def change_lines(client) -> list[str]:
    content = client.get(CHANGES_URL).content.decode()
    return [summary.text for summary in elements(content, "p", "change__summary")]


def test_nothing_changed_since_the_content_was_loaded(client, imh):
    content = client.get(CHANGES_URL).content.decode()
    assert "No changes have been published since this pathway was first published." in content
    assert change_lines(client) == []
    assert f'href="{CHANGES_URL}"' in client.get(IMH_URL).content.decode()


def test_published_edits_are_listed_in_words_newest_first(client, imh, editor, approver):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=140)
    data = change_form_data(entry)
    data["interventions-0-bullets"] += "\nAttend the group"
    client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    approve_pending(approver)
    other = Entry.objects.get(pathway=imh, position=190)
    client.post(
        f"/admin/pathways/entry/{other.pk}/change/",
        change_form_data(other, criteria="Where the GP has concerns."),
    )
    client.logout()
    # The second change is not approved yet: practitioners are not told of it.
    [only] = change_lines(client)
    assert only.endswith("Entry ‘Follow-up Visiting schedule.’ (1 - 3 years): interventions edited")
    approve_pending(approver)
    lines = change_lines(client)
    assert len(lines) == 2
    assert lines[0].endswith(
        "Entry ‘Facilitate Joint working and support integrated care planning.’ (Birth - 5 years): "
        "criteria edited"
    )
    assert lines[1].endswith(
        "Entry ‘Follow-up Visiting schedule.’ (1 - 3 years): interventions edited"
    )


def test_draft_work_is_never_listed(client, imh, editor, publisher, approver):
    source = Entry.objects.get(pathway=imh, position=10)
    draft = Entry.objects.create(
        pathway=imh,
        position=15,
        stage=source.stage,
        age_band=source.age_band,
        rationale="Secret draft rationale.",
        service=source.service,
    )
    draft.rationale = "Secret draft rationale, second go."
    draft.save()
    assert change_lines(client) == []
    assert "Secret" not in client.get(CHANGES_URL).content.decode()
    # Once published, it is news; when withdrawn, practitioners are told it went.
    client.force_login(publisher)
    client.post("/admin/pathways/entry/", {"action": "publish", "_selected_action": [draft.pk]})
    client.post("/admin/pathways/entry/", {"action": "unpublish", "_selected_action": [source.pk]})
    approve_pending(approver)  # unpublishing takes a second publisher
    client.logout()
    lines = change_lines(client)
    assert lines[0].endswith(": withdrawn for review")
    assert "Ensure appropriate care pathways in place" in lines[0]
    assert lines[1].endswith(
        "Entry ‘Secret draft rationale, second go.’ (Birth - 6 weeks): published"
    )
    # Edits to the now-draft entry stay private.
    source.refresh_from_db()
    source.rationale = "Private rewording."
    source.save()
    assert "Private rewording." not in client.get(CHANGES_URL).content.decode()


def test_a_deleted_entry_is_listed_as_removed(client, imh):
    entry = Entry.objects.get(pathway=imh, position=170)
    entry.delete()
    assert change_lines(client)[0].endswith(
        "Entry ‘Follow-up Visiting schedule.’ (3 - 5 years): removed"
    )


@pytest.mark.parametrize("url", [CHANGES_URL, f"{CHANGES_URL}feed/"], ids=["page", "feed"])
def test_changes_query_count_does_not_grow_with_the_history(client, imh, url):
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for entry in Entry.objects.filter(pathway=imh):
        for n in range(3):
            entry.criteria = f"Edited {n}"
            entry.save()
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(change_lines(client)) == 19 * 3
    assert response.status_code == 200
    assert len(large) == len(small)


def test_status_only_changes_say_published_and_withdrawn(imh):
    entry = Entry.objects.get(pathway=imh, position=10)
    entry.status = Status.DRAFT
    entry.save()
    entry.status = Status.PUBLISHED
    entry.save()
    name = f"Entry ‘{entry.rationale}’ (Birth - 6 weeks)"
    texts = [change.text for change in published_changes(imh)]
    assert texts == [f"{name}: published", f"{name}: withdrawn for review"]


def test_wording_made_while_the_pathway_was_a_draft_is_never_listed(client, imh):
    # Issue 16, defect 1: the entry itself was published, but its pathway was not, so no
    # practitioner ever read the wording in between.
    imh.status = Status.DRAFT
    imh.save()
    source = Entry.objects.get(pathway=imh, position=10)
    entry = Entry.objects.create(
        pathway=imh,
        position=15,
        stage=source.stage,
        age_band=source.age_band,
        rationale="First wording.",
        service=source.service,
        status=Status.PUBLISHED,
    )
    for wording in ("Second wording.", "Final wording."):
        entry.rationale = wording
        entry.save()
    imh.status = Status.PUBLISHED
    imh.save()
    page = client.get(CHANGES_URL).content.decode()
    assert "First wording" not in page
    assert "Second wording" not in page
    lines = change_lines(client)
    assert len(lines) == 2
    assert lines[0].endswith("Pathway ‘Infant Mental Health’: published")
    assert lines[1].endswith("Pathway ‘Infant Mental Health’: withdrawn for review")


def change_items(client) -> list[str]:
    """Each item of the page as text: the summary, then each field with before and after."""
    content = client.get(CHANGES_URL).content.decode()
    return [item.text for item in elements(content, "li", "change")]


def test_an_approved_change_says_which_field_and_the_words_before_and_after(
    client, imh, editor, approver
):
    entry = Entry.objects.get(pathway=imh, position=190)
    client.force_login(editor)
    client.post(
        f"/admin/pathways/entry/{entry.pk}/change/",
        change_form_data(entry, criteria="Where the GP has concerns."),
    )
    client.logout()
    assert change_lines(client) == []  # pending: not news yet
    approve_pending(approver)
    [item] = change_items(client)
    assert item.endswith(
        "Entry ‘Facilitate Joint working and support integrated care planning.’ "
        "(Birth - 5 years): criteria edited Approved by a second publisher. "
        "Criteria Before: (none) After: “Where the GP has concerns.”"
    )
    content = client.get(CHANGES_URL).content.decode()
    [entry_link] = [text for text, href in links(content).items() if href == f"{IMH_URL}#entry-190"]
    assert entry_link.startswith("Entry ‘Facilitate Joint")


def test_a_revert_is_listed_as_reverted_with_its_words(client, imh, editor, approver):
    entry = Entry.objects.get(pathway=imh, position=190)
    original = entry.history.earliest()
    client.force_login(editor)
    client.post(
        f"/admin/pathways/entry/{entry.pk}/change/",
        change_form_data(entry, service=entry.service_id, criteria="Where the GP has concerns."),
    )
    approve_pending(approver)
    client.post(f"/admin/pathways/entry/{entry.pk}/history/{original.history_id}/")
    approve_pending(approver)
    client.logout()
    newest = change_items(client)[0]
    assert ": reverted to an earlier version" in newest
    assert newest.endswith("Criteria Before: “Where the GP has concerns.” After: (none)")


def test_entry_versions_made_while_the_pathway_was_a_draft_are_never_listed(client, imh):
    entry = Entry.objects.get(pathway=imh, position=190)
    imh.status = Status.DRAFT
    imh.save()
    entry.criteria = "Zebracrossing wording nobody saw."
    entry.save()
    entry.criteria = ""
    entry.save()
    imh.status = Status.PUBLISHED
    imh.save()
    text = client.get(CHANGES_URL).content.decode()
    assert "Zebracrossing" not in text
    assert "criteria edited" not in text
    # The pathway itself was withdrawn and published again: that is what practitioners saw.
    assert [line.split(": ", 1)[1] for line in change_lines(client)] == [
        "Pathway ‘Infant Mental Health’: published",
        "Pathway ‘Infant Mental Health’: withdrawn for review",
    ]


def propose_criteria(client, user, position: int, criteria: str, reason: str = "") -> None:
    entry = Entry.objects.get(position=position)
    client.force_login(user)
    data = change_form_data(entry, criteria=criteria)
    data["change_reason"] = reason
    client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    client.logout()


def test_readers_are_told_a_second_publisher_approved_with_the_reason_and_comment(
    client, imh, editor, approver
):
    propose_criteria(client, editor, 190, "Where the GP has concerns.", "Matches the 2026 plan")
    approve_pending(approver, "Checked against the delivery plan")
    [item] = change_items(client)
    assert (
        "criteria edited Approved by a second publisher. Reason: “Matches the 2026 plan”. "
        "Approver’s comment: “Checked against the delivery plan”."
    ) in item
    # No staff account is named to readers.
    page = client.get(CHANGES_URL).content.decode()
    for name in ("erin", "ola"):
        assert name not in page


def test_signed_in_staff_see_who_proposed_and_who_approved(client, imh, editor, approver):
    propose_criteria(client, editor, 190, "Where the GP has concerns.", "Matches the 2026 plan")
    approve_pending(approver)
    client.force_login(editor)
    [item] = change_items(client)
    said = "criteria edited Proposed by erin, approved by ola. Reason: “Matches the 2026 plan”."
    assert said in item
    assert "Approver’s comment" not in item  # none was given
    response = client.get(CHANGES_URL)
    assert "private" in response["Cache-Control"]


def test_naming_approvers_costs_no_query_per_change(client, imh, editor, approver):
    propose_criteria(client, editor, 190, "Where the GP has concerns.")
    approve_pending(approver, "Fine")
    client.force_login(editor)
    client.get(CHANGES_URL)
    with CaptureQueriesContext(connection) as one:
        client.get(CHANGES_URL)
    for position, words in ((10, "First"), (20, "Second"), (30, "Third")):
        propose_criteria(client, editor, position, words)
        approve_pending(approver, "Fine")
    client.force_login(editor)
    with CaptureQueriesContext(connection) as four:
        response = client.get(CHANGES_URL)
    assert response.content.decode().count("approved by ola") == 4
    assert len(four) == len(one)
