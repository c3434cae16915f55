"""Importing a pathway's page text (issue 24): content to a PageText and back, and an import
that goes live only once a publisher who did not make it approves it."""

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pathways.editing.importing import (
    BOOTSTRAP_REASON,
    Stamp,
    apply_page_text,
    entry_changes,
    page_text_of,
    propose_import,
)
from pathways.editing.page_text import PageTextError, TextEntry, TextIntervention
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


def test_the_bootstrap_reason_names_the_file():
    assert BOOTSTRAP_REASON.format(source="000.txt").endswith("imported from page text 000.txt")


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
