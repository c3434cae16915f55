"""Importing a pathway's page text (issue 24): content to a PageText and back, and an import
that goes live only once a publisher who did not make it approves it."""

import copy
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from pathways.editing.importing import (
    Stamp,
    apply_page_text,
    entry_changes,
    page_text_of,
    propose_import,
)
from pathways.editing.page_text import MAX_TEXT_LENGTH, PageTextError, TextEntry, TextIntervention
from pathways.models import Entry, Pathway, Stage
from pathways.publishing import ChangeKind, Decision, PendingChange, state_of, submit

from ..conftest import IMH_URL
from ..pagetext import visible_lines

NEW_WORDS = "Offer a Quokkaroute group session."


def variant(page):
    """The page changed as an editor might: one rationale reworded, the second entry gone,
    the last two swapped and one entry added in a new stage."""
    page = copy.deepcopy(page)
    page.entries[0].rationale += " Zebracrossing wording."
    del page.entries[1]
    page.entries[-1], page.entries[-2] = page.entries[-2], page.entries[-1]
    page.entries.append(
        TextEntry(
            stage="5 - 6 years",
            band="5 - 6 years",
            rationale=NEW_WORDS,
            service=page.entries[0].service,
            interventions=[TextIntervention("Book it.", ["At school", "At home"])],
        )
    )
    for entry in page.entries:
        entry.repeats = None
    return page


def test_a_pathway_applied_to_another_slug_reads_back_the_same(imh):
    page = page_text_of(imh)
    page.title = "Infant Mental Health (copy)"
    links = [i for i, entry in enumerate(page.entries) if entry.repeats is not None]
    stamp = Stamp("Operator's bootstrap: test")
    copied = apply_page_text(page, "imh-copy", links=links, stamp=stamp)
    again = page_text_of(copied)
    assert again.title == page.title
    assert [e.__dict__ for e in again.entries] == [e.__dict__ for e in page.entries]
    assert again.notes == page.notes
    assert copied.status == "published"
    record = copied.history.get()
    assert record.history_user is None and record.history_change_reason.startswith("Operator")


def test_an_import_waits_for_another_publisher_then_is_what_readers_get(
    client, imh, editor, publisher
):
    before_page = client.get(IMH_URL)
    live = page_text_of(imh)
    wanted = variant(live)
    change = propose_import(wanted, imh.slug, user=editor, text="(text)", file_name="v.txt")
    assert change.kind == ChangeKind.IMPORT and change.object_id == imh.pk
    assert visible_lines(client.get(IMH_URL).content.decode()) == visible_lines(
        before_page.content.decode()
    )
    assert page_text_of(imh) == live
    with pytest.raises(PermissionDenied):
        change.approve(editor)
    change.approve(publisher)
    assert page_text_of(imh).entries == wanted.entries
    assert NEW_WORDS in visible_lines(client.get(IMH_URL).content.decode())
    added = Entry.objects.get(pathway=imh, rationale=NEW_WORDS)
    record = added.history.get()
    assert record.history_user == editor and record.approval_id == change.pk
    changes = visible_lines(client.get(f"{IMH_URL}changes/").content.decode())
    assert any("Imported from page text v.txt" in line for line in changes)
    assert any(NEW_WORDS in line for line in changes)
    assert Stage.objects.filter(label="5 - 6 years").exists()


def test_an_unchanged_entry_gets_no_new_version(imh, editor, publisher):
    wanted = variant(page_text_of(imh))
    kept = wanted.entries[5]
    untouched = Entry.objects.filter(
        pathway=imh, rationale=kept.rationale, age_band__label=kept.band
    ).first()
    versions = untouched.history.count()
    propose_import(wanted, imh.slug, user=editor, text="", file_name="v.txt").approve(publisher)
    assert untouched.history.count() == versions


def test_an_import_is_refused_when_the_pathway_changed_since(imh, editor, publisher, approver):
    change = propose_import(variant(page_text_of(imh)), imh.slug, user=editor, text="")
    entry = Entry.objects.get(pathway=imh, position=140)
    proposed = state_of(entry)
    proposed["fields"]["rationale"] = "Reworded meanwhile."
    submit(entry, proposed, user=publisher).approve(approver)
    now = page_text_of(imh)
    with pytest.raises(ValidationError, match="changed after this import"):
        change.approve(approver)
    assert page_text_of(imh) == now
    change.refresh_from_db()
    assert change.decision == Decision.PENDING


def test_an_import_waits_beside_the_pathways_own_change_and_wins_the_race(
    imh, editor, publisher, approver
):
    entry = Entry.objects.filter(pathway=imh).order_by("position").first()
    proposed = state_of(entry)
    proposed["fields"]["rationale"] = "Reworded in the form."
    form_change = submit(entry, proposed, user=publisher)
    pathway_state = state_of(imh)
    pathway_state["fields"]["summary"] = "A new summary."
    pathway_change = submit(imh, pathway_state, user=publisher)
    imported = propose_import(variant(page_text_of(imh)), imh.slug, user=editor, text="")
    assert PendingChange.objects.pending().count() == 3
    imported.approve(approver)
    with pytest.raises(ValidationError):
        form_change.approve(approver)  # the import changed what it was made from
    pathway_change.approve(approver)  # the summary is not in the page text
    imh.refresh_from_db()
    assert imh.summary == "A new summary."


def test_a_new_pathway_is_created_published_on_approval_only(client, imh, editor, publisher):
    page = variant(page_text_of(imh))
    page.title = "Second Pathway"
    change = propose_import(page, "second", user=editor, text="")
    assert change.object_id is None and not Pathway.objects.filter(slug="second").exists()
    assert client.get("/pathways/second/").status_code == 404
    client.force_login(publisher)
    shown = visible_lines(
        client.get(f"/admin/pathways/pendingchange/{change.pk}/change/").content.decode()
    )
    assert shown.count(f"Added: {NEW_WORDS}") == 1 and NEW_WORDS in shown  # diff, card
    client.logout()
    change.approve(publisher)
    change.refresh_from_db()
    second = Pathway.objects.get(slug="second")
    assert change.object_id == second.pk and second.status == "published"
    assert NEW_WORDS in visible_lines(client.get(second.get_absolute_url()).content.decode())


def test_text_that_cannot_be_kept_is_refused_by_line_and_nothing_is_proposed(imh, editor):
    page = page_text_of(imh)
    page.entries[3].band = "Later on"
    page.entries[3].line = 42
    page.entries[4].band = "5 - 6 years"  # outside its stage
    page.entries[4].line = 50
    with pytest.raises(PageTextError) as refused:
        propose_import(page, imh.slug, user=editor, text="")
    lines = [line for line, _ in refused.value.problems]
    assert lines == [42, 50]
    assert not PendingChange.objects.exists()


def test_the_diff_names_added_changed_moved_and_removed_entries(imh):
    live = page_text_of(imh)
    changes = entry_changes(live, variant(live))
    kinds = [change.what for change in changes]
    assert kinds.count("Added") == 1 and kinds.count("Removed") == 1
    assert "Changed" in kinds and "Moved" in kinds
    changed = next(c for c in changes if c.what == "Changed")
    assert "<ins" in changed.new and "Zebracrossing" in changed.new


def test_confirmed_as_above_links_only(imh):
    page = page_text_of(imh)
    linked = [i for i, entry in enumerate(page.entries) if entry.repeats is not None]
    assert linked, "the seed has an “as above” entry"
    page.title = "Linked copy"
    copied = apply_page_text(page, "linked", links=linked, stamp=Stamp("test"))
    assert [e.repeats for e in page_text_of(copied).entries] == [e.repeats for e in page.entries]
    page.title = "Unlinked copy"
    unlinked = apply_page_text(page, "unlinked", links=[], stamp=Stamp("test"))
    assert all(e.repeats is None for e in page_text_of(unlinked).entries)


# The admin: paste, preview, save as a pending import; another publisher approves.

SEED = Path(__file__).parent.parent / "data" / "000_daf425ab71d75f66.txt"
IMPORT_URL = "/admin/pathways/pathway/import-text/"
TYPO, FIXED = "Mental health admisisons", "Mental health admissions"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def post(client, text, slug="infant-mental-health", action="preview", **more):
    return client.post(IMPORT_URL, {"text": text, "slug": slug, "action": action, **more})


def test_the_changelist_links_to_the_import(client, imh, editor):
    client.force_login(editor)
    page = client.get("/admin/pathways/pathway/").content.decode()
    assert IMPORT_URL in page
    assert client.get(IMPORT_URL).status_code == 200


def test_preview_shows_the_cards_the_diff_and_the_links_then_save_waits(
    client, imh, editor, publisher
):
    anonymous = visible_lines(client.get(IMH_URL).content.decode())
    client.force_login(editor)
    preview = post(client, seed_text().replace(TYPO, FIXED))
    html = preview.content.decode()
    lines = visible_lines(html)
    assert "Preview: Infant Mental Health (19 entries)" in lines
    assert any(line.startswith("Changed: Ensure appropriate care pathways") for line in lines)
    assert '<ins><span class="visually-hidden">added: </span>admissions</ins>' in html
    as_above = re.findall(r'name="links" value="(\d+)"', html)  # the link, to confirm
    assert len(as_above) == 1
    assert any(FIXED in line for line in lines)  # the card, as practitioners will see it
    assert not PendingChange.objects.exists()
    saved = post(client, seed_text().replace(TYPO, FIXED), action="save", links=as_above)
    change = PendingChange.objects.get()
    assert saved.status_code == 302 and change.kind == ChangeKind.IMPORT
    assert change.proposed["links"] == [int(as_above[0])]
    client.logout()
    assert visible_lines(client.get(IMH_URL).content.decode()) == anonymous
    client.force_login(publisher)
    shown = client.get(f"/admin/pathways/pendingchange/{change.pk}/change/").content.decode()
    assert "admissions</ins>" in shown and "Approve: practitioners will see it" in shown
    client.post(f"/admin/pathways/pendingchange/{change.pk}/change/", {"decision": "approve"})
    client.logout()
    assert FIXED in client.get(IMH_URL).content.decode()


def test_the_proposer_cannot_approve_their_import(client, imh, publisher):
    client.force_login(publisher)
    post(client, seed_text().replace(TYPO, FIXED), action="save")
    change = PendingChange.objects.get()
    shown = client.get(f"/admin/pathways/pendingchange/{change.pk}/change/").content.decode()
    assert "Approve: practitioners" not in shown
    client.post(f"/admin/pathways/pendingchange/{change.pk}/change/", {"decision": "approve"})
    change.refresh_from_db()
    assert change.decision == Decision.PENDING
    assert TYPO in client.get(IMH_URL).content.decode()


def test_a_stale_import_is_refused_at_approval(client, imh, editor, publisher, approver):
    client.force_login(editor)
    post(client, seed_text().replace(TYPO, FIXED), action="save")
    stale = PendingChange.objects.get()
    propose_import(variant(page_text_of(imh)), imh.slug, user=publisher, text="")
    stale.refresh_from_db()  # the second import joined the first: one import waits
    entry = Entry.objects.get(pathway=imh, position=140)
    proposed = state_of(entry)
    proposed["fields"]["rationale"] = "Reworded meanwhile."
    submit(entry, proposed, user=editor).approve(approver)
    client.force_login(approver)
    response = client.post(
        f"/admin/pathways/pendingchange/{stale.pk}/change/", {"decision": "approve"}
    )
    assert response.status_code == 302, response.status_code
    response = client.get(response["Location"])
    assert "changed after this import was made" in response.content.decode(), [
        str(m) for m in response.context["messages"]
    ]
    assert TYPO in client.get(IMH_URL).content.decode()


@pytest.mark.parametrize(
    "upload",
    [b"\xff\xfe\x00binary", b"caf\xe9 latin-1", b"x" * (4 * MAX_TEXT_LENGTH + 1), b"x" * 10**6],
    ids=["binary", "not-utf-8", "too-large-to-read", "too-long"],
)
def test_bad_uploads_give_a_message_and_save_nothing(client, imh, editor, upload):
    client.force_login(editor)
    file = SimpleUploadedFile("p.txt", upload, content_type="text/plain")
    for action in ("preview", "save"):
        response = client.post(IMPORT_URL, {"upload": file, "slug": "new-one", "action": action})
        file.seek(0)
        assert response.status_code == 200
        assert "nothing was saved" in response.content.decode()
    assert not PendingChange.objects.exists()


def hostile_texts() -> list[str]:
    seed = seed_text()
    entry = seed[seed.index("Birth - 6 weeks\n\nBirth - 6 weeks") :]
    entry = entry[: entry.index("3 - 8 weeks")].split("\n\n", 1)[1]  # one stage's entries
    return [
        seed + "x" * MAX_TEXT_LENGTH,  # 1 MB
        seed.replace("Health Visiting", "Health\x07Visiting", 1),  # a control character
        seed.replace("Ensure appropriate", "<script>alert(1)</script> Ensure", 1),  # markup
        seed[: seed.index("3 - 8 weeks")] + entry * 2500,  # 10,000 entries
    ]


@pytest.mark.parametrize("which", range(4), ids=["1MB", "control", "markup", "10000-entries"])
def test_hostile_text_is_refused_and_nothing_is_saved(client, imh, editor, which):
    client.force_login(editor)
    text = hostile_texts()[which]
    for action in ("preview", "save"):
        response = post(client, text, action=action)
        html = response.content.decode()
        assert "<script>alert" not in html
        if which == 1:  # the site refuses a control character in any form (operations.guard)
            assert response.status_code == 400 and "control character" in html
        else:
            assert response.status_code == 200 and "nothing was saved" in html
        # Uploaded, the file's text is the reader's to refuse: the guard reads forms only.
        file = SimpleUploadedFile("p.txt", text.encode(), content_type="text/plain")
        data = {"upload": file, "slug": "infant-mental-health", "action": action}
        response = client.post(IMPORT_URL, data)
        html = response.content.decode()
        assert response.status_code == 200 and "<script>alert" not in html
        assert "nothing was saved" in html
    assert not PendingChange.objects.exists()


def test_bad_text_gives_line_numbered_errors_and_saves_nothing(client, imh, editor):
    client.force_login(editor)
    bad = seed_text().replace("\nHealth Visiting\n", "\n", 1)
    for action in ("preview", "save"):  # a crafted save too
        lines = visible_lines(post(client, bad, action=action).content.decode())
        assert any(line.startswith("Line 22: expected the service") for line in lines)
    for crafted in ({"slug": "Not a slug!"}, {"links": ["x"]}, {"text": ""}):
        data = {"text": seed_text(), "slug": "new-one", "action": "save", **crafted}
        assert client.post(IMPORT_URL, data).status_code == 200
    assert not PendingChange.objects.exists() and not Pathway.objects.filter(slug="new-one")


def test_only_staff_who_edit_pathways_import(client, imh, practitioner):
    assert client.get(IMPORT_URL).status_code == 302  # to sign in
    client.force_login(practitioner)
    assert client.post(IMPORT_URL, {"text": seed_text(), "slug": "x"}).status_code in (302, 403)
    assert not PendingChange.objects.exists()
