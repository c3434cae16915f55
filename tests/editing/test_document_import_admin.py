"""Import from text on the policy documents' list: paste or upload, a preview as readers will
see it (with a word diff per section for an existing document), then a pending change that
only another publisher can put live. Bad text and bad uploads are told, never a 5xx, and
nothing is saved."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from pathways.characters import REFUSAL
from pathways.editing.admin.pending import change_rows
from pathways.models import ContextDocument
from pathways.publishing import ChangeKind, Decision, PendingChange

from ..conftest import staff_group
from ..management.test_document_text_commands import (
    NEW_WORDS,
    SEED_TEXT,
    SLUG,
    changed_seed,
    stored,
)
from ..pagetext import element, elements, visible_lines
from .htmlforms import the_form

URL = "/admin/pathways/contextdocument/import-text/"
CHANGED = changed_seed()


@pytest.fixture
def editor_and_publisher(db):
    """Pat, both an editor and a publisher: may propose, and approve what others propose."""
    user = User.objects.create_user("pat", "pat@example.nhs.uk", "a-long-password", is_staff=True)
    user.groups.add(staff_group("Editors"), staff_group("Publishers"))
    return user


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def preview(client, text=CHANGED, slug=SLUG, **extra) -> str:
    return html(client.post(URL, {"slug": slug, "text": text, "action": "preview", **extra}))


def errors(page: str) -> list[str]:
    return [line for e in elements(page, cls="errornote") for line in e.lines]


def buttons(page: str) -> list[str]:
    return [b.text for b in elements(element(page, "content-main").markup, "button")]


def document_page(client, slug=SLUG) -> list[str]:
    response = client.get(f"/documents/{slug}/")
    assert response.status_code == 200
    return visible_lines(response.content.decode(), within_id="maincontent")


def test_the_documents_list_offers_import_from_text(client, imh, editor):
    client.force_login(editor)
    page = html(client.get("/admin/pathways/contextdocument/"))
    link = next(a for a in elements(page, "a") if a.text == "Import from text")
    assert link.attrs["href"] == URL
    form = html(client.get(URL))
    assert buttons(form) == ["Preview"]


def test_the_preview_shows_the_page_as_readers_will_see_it_and_a_diff_per_section(
    client, imh, editor, nothing_reused
):
    client.force_login(editor)
    before = stored()
    page = preview(client)
    assert stored() == before  # a preview saves nothing
    # As readers see the page (bar its link back to the pathway), with the new words.
    readers_see = document_page(client)[:-1]
    as_changed = [line.replace("Nurses are", "Nurses across Scotland are") for line in readers_see]
    assert as_changed != readers_see
    assert visible_lines(page, within_id="document-preview") == as_changed
    assert "Nothing is live until" not in page
    changes = element(page, "document-changes").markup
    rows = [
        visible_lines(r.markup, skip_classes=["visually-hidden"]) for r in elements(changes, "tr")
    ]
    # One row, section 10's text, before and after; the word diff marks what is added.
    assert rows[1:] == [
        [
            "Area of focus 10 body",
            *(line for line in readers_see if "Nurses are" in line),
            *(line for line in as_changed if NEW_WORDS in line),
        ]
    ]
    table = elements(changes, "table")[0].markup
    assert [e.text for e in elements(table, "ins")] == ["added: across Scotland"]
    assert the_form(page).data()["text"] == CHANGED  # what Save sends is what was previewed
    assert buttons(page) == ["Preview", "Save for approval"]


def test_saving_waits_for_another_publisher_and_the_proposer_cannot_approve(
    client, imh, editor_and_publisher, approver, nothing_reused
):
    client.force_login(editor_and_publisher)
    response = client.post(
        URL, {"slug": SLUG, "text": CHANGED, "action": "save", "change_reason": "Plan 2022"}
    )
    change = PendingChange.objects.pending().get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/pathways/pendingchange/{change.pk}/change/"
    assert (change.kind, change.proposed_by, change.reason) == (
        ChangeKind.CHANGE,
        editor_and_publisher,
        "Plan 2022",
    )
    shown = html(client.get(response["Location"]))
    assert "Nothing is live until another publisher approves it." in " ".join(visible_lines(shown))
    assert not any(NEW_WORDS in line for line in document_page(client))
    # The proposer may approve others' changes, never this one.
    assert client.post(response["Location"], {"decision": "approve"}).status_code == 403
    change.refresh_from_db()
    assert change.decision == Decision.PENDING

    client.force_login(approver)
    client.post(response["Location"], {"decision": "approve"})
    change.refresh_from_db()
    assert change.decision == Decision.APPROVED
    assert any(NEW_WORDS in line for line in document_page(client))


def test_a_new_document_is_previewed_and_created_on_approval(client, imh, editor, approver):
    client.force_login(editor)
    page = preview(client, slug="plan-2022")
    assert "Preview: a new document" in visible_lines(page)
    assert "document-changes" not in page
    client.post(URL, {"slug": "plan-2022", "text": CHANGED, "action": "save"})
    change = PendingChange.objects.pending().get()
    assert change.kind == ChangeKind.CREATE
    assert not ContextDocument.objects.filter(slug="plan-2022").exists()
    change.approve(approver)
    assert ContextDocument.objects.get(slug="plan-2022").sections.count() == 10


def test_an_upload_is_read_like_pasted_text(client, imh, editor):
    client.force_login(editor)
    upload = SimpleUploadedFile("plan.txt", CHANGED.encode("utf-8-sig"), "text/plain")
    page = html(client.post(URL, {"slug": SLUG, "upload": upload, "action": "preview"}))
    assert NEW_WORDS in " ".join(visible_lines(page, within_id="document-preview"))
    # Shown in the text box, so that Save saves what was previewed.
    assert NEW_WORDS in the_form(page).data()["text"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Café".encode("latin-1"), "The file is not UTF-8 text: save it as UTF-8 text."),
        (b"x" * 1_000_001, "The file is over 1,000,000 bytes: upload the page text."),
        (
            b"\x00\x01binary",
            f"line 1: {REFUSAL} (U+0000)",
        ),
    ],
)
def test_bad_uploads_are_told_and_nothing_is_saved(client, imh, editor, content, expected):
    client.force_login(editor)
    before = stored()
    upload = SimpleUploadedFile("plan.txt", content, "text/plain")
    page = html(client.post(URL, {"slug": SLUG, "upload": upload, "action": "save"}))
    assert expected in errors(page)
    assert stored() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Paste the document's page text, or upload it as a file."),
        (SEED_TEXT.replace("2. Raise", "1. Raise"), "line 22: section 1 is numbered twice"),
        (SEED_TEXT.replace("Innovation", "<b>Innovation</b>"), "line 90: contains markup (<b>)"),
        ("x" * 1_000_001, "the text: it is over 1,000,000 bytes"),
    ],
)
def test_text_that_cannot_be_read_is_told_by_line_and_nothing_is_saved(
    client, imh, editor, text, expected
):
    client.force_login(editor)
    before = stored()
    page = html(client.post(URL, {"slug": SLUG, "text": text, "action": "save"}))
    assert any(line.startswith(expected) for line in errors(page)), errors(page)
    assert stored() == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"slug": "not a slug"}, "Enter a valid “slug”"),
        ({"slug": "x" * 101}, "Ensure this value has at most 100 characters (it has 101)."),
        ({"slug": ""}, "This field is required."),
        ({"text": SEED_TEXT}, "The text is the same as the live document"),
        ({"change_reason": "x" * 501}, "Ensure this value has at most 500 characters"),
    ],
)
def test_crafted_saves_are_refused_and_nothing_is_saved(client, imh, editor, data, expected):
    client.force_login(editor)
    before = stored()
    sent = {"slug": SLUG, "text": CHANGED, "action": "save", **data}
    page = html(client.post(URL, sent))
    assert any(expected in line for line in errors(page)), errors(page)
    assert stored() == before


def test_a_second_new_document_of_a_waiting_slug_is_refused(client, imh, editor):
    client.force_login(editor)
    client.post(URL, {"slug": "plan-2022", "text": CHANGED, "action": "save"})
    before = stored()
    page = html(client.post(URL, {"slug": "plan-2022", "text": CHANGED, "action": "save"}))
    assert any("already waits for approval" in line for line in errors(page))
    assert stored() == before


def test_people_who_may_not_edit_documents_are_refused(client, imh, practitioner):
    before = stored()
    assert client.post(URL, {"slug": SLUG, "text": CHANGED, "action": "save"}).status_code == 302
    client.force_login(practitioner)
    assert client.post(URL, {"slug": SLUG, "text": CHANGED, "action": "save"}).status_code == 302
    reader = User.objects.create_user("rae", password="a-long-password", is_staff=True)
    client.force_login(reader)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"slug": SLUG, "text": CHANGED, "action": "save"}).status_code == 403
    assert stored() == before


def test_other_methods_are_not_allowed(client, imh, editor):
    client.force_login(editor)
    assert client.put(URL).status_code == 405


def test_saving_over_a_waiting_change_says_so_first_and_joins_it(client, imh, editor, approver):
    client.force_login(editor)
    client.post(URL, {"slug": SLUG, "text": CHANGED, "action": "save"})
    first = PendingChange.objects.pending().get()
    client.force_login(approver)
    approver.groups.add(staff_group("Editors"))
    page = " ".join(visible_lines(preview(client, SEED_TEXT.replace("Innovation", "Ideas"))))
    assert "A change to this document already waits for approval" in page
    client.post(
        URL, {"slug": SLUG, "text": CHANGED.replace("Innovation", "Ideas"), "action": "save"}
    )
    change = PendingChange.objects.pending().get()
    assert change.pk == first.pk
    assert set(change.proposers.all()) == {editor, approver}
    assert "10 title" in " ".join(r["field"] for r in change_rows(change))
