"""Editors get clear messages, never a server error: bands that end before they start,
entries outside their stage, two entries in one place, deleting what entries still use."""

import pytest
from django.core.exceptions import ValidationError

from pathways.models import AgeBand, Entry, GlossaryTerm, Intervention, Pathway, Service, Stage, Tag

from .conftest import approve_pending
from .editing.test_admin import change_form_data, list_positions_data


def test_a_band_must_start_before_it_ends(imh):
    # The days come from the label (a backwards label gives backwards days).
    band = AgeBand(label="12 - 6 weeks", slug="backwards", start_days=100, end_days=50)
    with pytest.raises(ValidationError, match="The end must be after the start."):
        band.full_clean()


def test_an_entry_must_overlap_its_stage(imh):
    entry = Entry.objects.get(pathway=imh, position=20)
    entry.age_band = AgeBand.objects.get(slug="3-5-years")
    with pytest.raises(ValidationError, match="does not overlap the stage Birth - 6 weeks"):
        entry.full_clean()


def test_an_entry_cannot_repeat_itself(client, imh, editor):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=170)
    response = client.post(
        f"/admin/pathways/entry/{entry.pk}/change/", change_form_data(entry, repeats=entry.pk)
    )
    assert response.status_code == 200
    assert "An entry cannot repeat itself." in response.content.decode()
    entry.refresh_from_db()
    assert entry.repeats.position == 140


def test_an_entry_repeats_only_an_entry_of_its_own_pathway(imh):
    elsewhere = Entry.objects.get(pathway=imh, position=140)
    elsewhere.pk, elsewhere.number = None, None
    elsewhere.pathway = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
    elsewhere.save()
    entry = Entry.objects.get(pathway=imh, position=170)
    entry.repeats = elsewhere
    with pytest.raises(ValidationError, match="Choose an entry of the same pathway."):
        entry.full_clean()


def test_an_intervention_needs_words(imh):
    entry = Entry.objects.get(pathway=imh, position=20)
    empty = Intervention(entry=entry, position=9, text="  ", bullets="\n \n")
    with pytest.raises(ValidationError, match="needs a paragraph, bullet points or both"):
        empty.full_clean()


def test_a_glossary_term_says_what_it_stands_for(db):
    term = GlossaryTerm(term="PNQ", expansions=" \n \n")
    with pytest.raises(ValidationError, match="Say what the term stands for."):
        term.full_clean()


DUPLICATE = "Another entry of this pathway already has this position: choose a free position."


def test_two_entries_cannot_share_a_position_in_the_form(client, imh, editor):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    response = client.post(
        f"/admin/pathways/entry/{entry.pk}/change/", change_form_data(entry, position=30)
    )
    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    entry.refresh_from_db()
    assert entry.position == 20


def test_the_entry_list_takes_no_typed_positions(client, imh, editor):
    """Entries move with the list's Up and Down buttons (tests/editing/test_ordering.py), never
    by typed positions: the list offers no position box, and one posted changes nothing."""
    client.force_login(editor)
    entries = list(Entry.objects.filter(pathway=imh).order_by("pk"))
    assert 'name="form-0-position"' not in client.get("/admin/pathways/entry/").content.decode()
    before = [entry.position for entry in entries]
    data = list_positions_data(entries, [position + 1 for position in before])
    assert client.post("/admin/pathways/entry/", data).status_code in (200, 302)
    assert [entry.position for entry in Entry.objects.filter(pathway=imh).order_by("pk")] == before


@pytest.mark.parametrize(
    ("model", "admin_name", "slug", "word"),
    [
        (Service, "service", "health-visiting", "service"),
        (Tag, "tag", "core-purpose-2", "tag"),
        (Stage, "stage", "1-3-years", "stage"),
        (AgeBand, "ageband", "birth-5-years", "age band"),
    ],
)
def test_what_entries_use_cannot_be_deleted(client, imh, editor, model, admin_name, slug, word):
    client.force_login(editor)
    obj = model.objects.get(slug=slug)
    url = f"/admin/pathways/{admin_name}/{obj.pk}/delete/"
    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert f"This {word} cannot be deleted because entries use it." in content
    assert "Follow-up Visiting schedule." in content or "Facilitate" in content  # who uses it
    confirmed = client.post(url, {"post": "yes"})
    assert confirmed.status_code == 200
    assert model.objects.filter(pk=obj.pk).exists()


def test_what_no_entry_uses_can_be_deleted(client, imh, editor, approver):
    client.force_login(editor)
    unused = Tag.objects.create(name="Unused", slug="unused", position=9)
    response = client.post(f"/admin/pathways/tag/{unused.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Tag.objects.filter(slug="unused").exists()  # shared content: the deletion waits
    assert approve_pending(approver) == 1
    assert not Tag.objects.filter(slug="unused").exists()
    assert Tag.history.filter(slug="unused", history_type="-").exists()
