"""Ordering in the admin: interventions and reading notes move up and down with plain
buttons, a new one goes last, and a swap never trips the one-place-per-part constraint
(run on SQLite and on PostgreSQL)."""

import re

import pytest

from pathways.models import Entry, Intervention, Status
from pathways.publishing import PendingChange

from ..conftest import IMH_URL, approve_pending
from .test_admin import change_form_data


@pytest.fixture
def draft_entry(imh):
    """The 1 - 3 years "Follow-up Visiting schedule." entry, withdrawn to a draft."""
    entry = Entry.objects.get(pathway=imh, position=140)
    entry.status = Status.DRAFT
    entry.save()
    return entry


def order(entry) -> list[tuple[int, int]]:
    return list(entry.interventions.order_by("position").values_list("pk", "position"))


def move_url(entry, intervention, direction) -> str:
    return f"/admin/pathways/entry/{entry.pk}/move/interventions/{intervention.pk}/{direction}/"


def test_moving_an_intervention_up_swaps_it_with_the_one_above(client, draft_entry, editor):
    client.force_login(editor)
    (first, one), (second, two), *rest = order(draft_entry)
    response = client.post(move_url(draft_entry, Intervention(pk=second), "up"))
    assert response.status_code == 302
    assert order(draft_entry) == [(second, one), (first, two), *rest]
    record = draft_entry.history.latest()
    assert (record.history_user, record.history_change_reason) == (editor, "Moved intervention up")
    assert [row["id"] for row in record.parts["interventions"]] == [
        second,
        first,
        *[r[0] for r in rest],
    ]


def test_moving_down_and_at_the_ends(client, draft_entry, editor):
    client.force_login(editor)
    before = order(draft_entry)
    ids = [pk for pk, _ in before]
    client.post(move_url(draft_entry, Intervention(pk=ids[0]), "up"))  # already first
    client.post(move_url(draft_entry, Intervention(pk=ids[-1]), "down"))  # already last
    assert order(draft_entry) == before
    client.post(move_url(draft_entry, Intervention(pk=ids[0]), "down"))
    assert [pk for pk, _ in order(draft_entry)] == [ids[1], ids[0], *ids[2:]]
    assert [position for _, position in order(draft_entry)] == [p for _, p in before]


def test_the_page_shows_the_new_order(client, draft_entry, editor):
    client.force_login(editor)
    first, second = draft_entry.interventions.order_by("position")[:2]
    client.post(move_url(draft_entry, second, "up"))
    page = client.get(IMH_URL).content.decode()
    card = re.search(r'<article[^>]*id="entry-140".*?</article>', page, re.S)[0]
    assert card.index(second.text) < card.index(first.text)


def test_moving_in_live_content_is_a_pending_change(client, imh, editor, approver):
    entry = Entry.objects.get(pathway=imh, position=140)
    before = order(entry)
    client.force_login(editor)
    response = client.post(move_url(entry, Intervention(pk=before[2][0]), "up"))
    change = PendingChange.objects.get()
    assert response["Location"] == f"/admin/pathways/pendingchange/{change.pk}/change/"
    assert order(entry) == before
    assert "Intervention moved" in client.get(response["Location"]).content.decode()
    approve_pending(approver)
    ids = [pk for pk, _ in before]
    assert [pk for pk, _ in order(entry)] == [ids[0], ids[2], ids[1], ids[3]]


def test_a_new_intervention_goes_last_without_a_position(client, draft_entry, editor):
    client.force_login(editor)
    data = change_form_data(draft_entry)
    count = draft_entry.interventions.count()
    data["interventions-TOTAL_FORMS"] = count + 2
    for i, text in ((count, "A new last step."), (count + 1, "And another after it.")):
        data.update(
            {
                f"interventions-{i}-entry": draft_entry.pk,
                f"interventions-{i}-position": "",
                f"interventions-{i}-text": text,
            }
        )
    response = client.post(f"/admin/pathways/entry/{draft_entry.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    texts = list(draft_entry.interventions.order_by("position").values_list("text", flat=True))
    assert texts[-2:] == ["A new last step.", "And another after it."]
    positions = list(
        draft_entry.interventions.order_by("position").values_list("position", flat=True)
    )
    assert positions == sorted(set(positions))


def test_the_form_offers_move_buttons_not_position_boxes(client, draft_entry, editor):
    client.force_login(editor)
    form = client.get(f"/admin/pathways/entry/{draft_entry.pk}/change/").content.decode()
    first = draft_entry.interventions.order_by("position").first()
    assert f'formaction="{move_url(draft_entry, first, "up")}"' in form
    assert 'formmethod="post"' in form
    assert 'type="hidden" name="interventions-0-position"' in form


def test_reading_notes_move_too(client, imh, editor, approver):
    notes = list(imh.reading_notes.order_by("position").values_list("pk", flat=True))
    client.force_login(editor)
    client.post(f"/admin/pathways/pathway/{imh.pk}/move/reading_notes/{notes[2]}/up/")
    approve_pending(approver)  # the pathway is live
    assert list(imh.reading_notes.order_by("position").values_list("pk", flat=True)) == [
        notes[0],
        notes[2],
        notes[1],
    ]


def test_moving_is_refused_to_anyone_who_may_not_edit(client, draft_entry, practitioner):
    first = draft_entry.interventions.order_by("position").first()
    url = move_url(draft_entry, first, "down")
    assert client.post(url)["Location"].startswith("/admin/login/")
    client.force_login(practitioner)
    assert client.post(url)["Location"].startswith("/admin/login/")
    assert client.get(url).status_code in (302, 405)
    before = order(draft_entry)
    assert order(draft_entry) == before


def test_moving_something_that_is_not_a_part_is_not_found(client, draft_entry, editor):
    client.force_login(editor)
    other = Intervention.objects.exclude(entry=draft_entry).first()
    assert client.post(move_url(draft_entry, other, "up")).status_code == 404
    first = draft_entry.interventions.first()
    assert client.post(move_url(draft_entry, first, "sideways")).status_code == 404
    assert client.get(move_url(draft_entry, first, "up")).status_code == 405
