"""Ordering in the admin: interventions and reading notes move up and down with plain
buttons, a new one goes last, and a swap never trips the one-place-per-part constraint
(run on SQLite and on PostgreSQL)."""

import re

import pytest
from django.contrib.auth.models import User

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
    card = re.sub(r"</?abbr[^>]*>", "", card)  # glossary terms explained
    assert card.index(second.text) < card.index(first.text)


def test_moving_in_live_content_is_a_pending_change(client, imh, editor, approver):
    entry = Entry.objects.get(pathway=imh, position=140)
    before = order(entry)
    client.force_login(editor)
    response = client.post(move_url(entry, Intervention(pk=before[2][0]), "up"))
    change = PendingChange.objects.get()
    # Back on the form, which opens on the proposed order and says a change waits.
    assert response["Location"] == f"/admin/pathways/entry/{entry.pk}/change/"
    assert "A change is waiting for approval" in client.get(response["Location"]).content.decode()
    assert order(entry) == before
    pending_page = f"/admin/pathways/pendingchange/{change.pk}/change/"
    assert "Intervention moved" in client.get(pending_page).content.decode()
    # A second move updates the same pending change instead of racing it.
    client.post(move_url(entry, Intervention(pk=before[2][0]), "up"))
    assert PendingChange.objects.get().pk == change.pk
    approve_pending(approver)
    ids = [pk for pk, _ in before]
    assert [pk for pk, _ in order(entry)] == [ids[2], ids[0], ids[1], ids[3]]


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


# Entries: Up and Down in the list swap an entry with its neighbour in the pathway.


def entry_positions(pathway) -> list[tuple[int, int]]:
    return list(
        Entry.objects.filter(pathway=pathway).order_by("position").values_list("pk", "position")
    )


def test_the_entry_list_offers_up_and_down_buttons(client, imh, editor):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    content = client.get("/admin/pathways/entry/").content.decode()
    assert f'formaction="/admin/pathways/entry/{entry.pk}/move-entry/up/"' in content
    assert f'formaction="/admin/pathways/entry/{entry.pk}/move-entry/down/"' in content


def test_swapping_two_draft_entries(client, imh, editor):
    imh.status = Status.DRAFT  # a pathway still being written: nothing is live
    imh.save()
    Entry.objects.filter(pathway=imh).update(status=Status.DRAFT)
    before = entry_positions(imh)
    (a, pa), (b, pb) = before[0], before[1]
    client.force_login(editor)
    response = client.post(f"/admin/pathways/entry/{b}/move-entry/up/")
    assert response.status_code == 302
    assert entry_positions(imh)[:2] == [(b, pa), (a, pb)]
    assert entry_positions(imh)[2:] == before[2:]
    record = Entry.objects.get(pk=b).history.latest()
    assert record.history_change_reason.startswith("Swapped places with")
    assert record.history_user == editor


def test_moving_a_live_entry_waits_and_the_approval_swaps_both(client, imh, editor, approver):
    before = entry_positions(imh)
    (a, pa), (b, pb) = before[2], before[3]
    client.force_login(editor)
    client.post(f"/admin/pathways/entry/{b}/move-entry/up/")
    change = PendingChange.objects.get()
    assert change.proposed["fields"]["position"] == pa
    assert entry_positions(imh) == before  # practitioners' order is unchanged
    client.logout()
    page = client.get(IMH_URL).content.decode()
    assert page.index(f'id="entry-{pa}"') < page.index(f'id="entry-{pb}"')
    approve_pending(approver)
    after = entry_positions(imh)
    assert after[2:4] == [(b, pa), (a, pb)]
    assert after[:2] + after[4:] == before[:2] + before[4:]
    moved_back = Entry.objects.get(pk=a).history.latest()
    assert moved_back.approval == change  # the other half of the swap, same approval


def test_moving_a_live_entry_twice_is_one_change_and_keeps_the_order_proposed(
    client, imh, editor, approver
):
    before = entry_positions(imh)
    (a, pa), (b, pb), (c, pc) = before[2], before[3], before[4]
    client.force_login(editor)
    client.post(f"/admin/pathways/entry/{c}/move-entry/up/")
    client.post(f"/admin/pathways/entry/{c}/move-entry/up/")
    change = PendingChange.objects.get()  # one change, updated by the second move
    assert change.proposed["fields"]["position"] == pa
    assert entry_positions(imh) == before
    approve_pending(approver)
    after = entry_positions(imh)
    assert after[2:5] == [(c, pa), (a, pb), (b, pc)]
    assert after[:2] + after[5:] == before[:2] + before[5:]


def test_moving_the_first_entry_up_changes_nothing(client, imh, editor):
    before = entry_positions(imh)
    client.force_login(editor)
    response = client.post(f"/admin/pathways/entry/{before[0][0]}/move-entry/up/", follow=True)
    assert "is already first" in response.content.decode()
    assert entry_positions(imh) == before
    assert not PendingChange.objects.exists()


def test_a_new_entry_without_a_position_goes_last(client, imh, editor):
    source = Entry.objects.get(pathway=imh, position=190)
    client.force_login(editor)
    response = client.post(
        "/admin/pathways/entry/add/",
        {
            "pathway": imh.pk,
            "position": "",
            "stage": source.stage_id,
            "age_band": source.age_band_id,
            "service": source.service_id,
            "rationale": "A new last rationale.",
            "interventions-TOTAL_FORMS": 0,
            "interventions-INITIAL_FORMS": 0,
            "interventions-MIN_NUM_FORMS": 0,
            "interventions-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Entry.objects.get(rationale="A new last rationale.").position == 200


def test_the_form_of_a_moved_entry_opens_on_its_proposed_place(client, imh, editor):
    before = entry_positions(imh)
    pa, b = before[2][1], before[3][0]
    client.force_login(editor)
    client.post(f"/admin/pathways/entry/{b}/move-entry/up/")
    # The proposed place is held by another entry until approval: the form still opens.
    response = client.get(f"/admin/pathways/entry/{b}/change/")
    assert response.status_code == 200
    assert "A change is waiting for approval" in response.content.decode()
    assert response.context["adminform"].form.initial["position"] == pa
    assert entry_positions(imh) == before


def test_a_bad_move_of_an_entry_changes_nothing(client, imh, editor):
    entry = Entry.objects.get(pathway=imh, position=20)
    before = entry_positions(imh)
    client.force_login(editor)
    assert client.get(f"/admin/pathways/entry/{entry.pk}/move-entry/up/").status_code == 405
    assert client.post(f"/admin/pathways/entry/{entry.pk}/move-entry/sideways/").status_code == 404
    assert client.post("/admin/pathways/entry/999999/move-entry/up/").status_code == 404
    # Staff who may not edit entries (no group yet) are refused.
    client.force_login(User.objects.create_user("sam", "", "a-long-enough-password", is_staff=True))
    assert client.post(f"/admin/pathways/entry/{entry.pk}/move-entry/up/").status_code == 403
    assert entry_positions(imh) == before
    assert not PendingChange.objects.exists()


@pytest.mark.parametrize(("direction", "proposed"), [("up", 10), ("down", 20)])
def test_a_move_toward_a_place_that_is_gone_moves_from_where_it_was_proposed(
    client, imh, editor, direction, proposed
):
    # Entry 10 moved down waits for a draft's place (15); the draft is then deleted, so the
    # place it waits for is no entry's any more. (Found by the approval machine: a 500.)
    first = Entry.objects.get(pathway=imh, position=10)
    fields = {f: getattr(first, f) for f in ("stage", "age_band", "service", "rationale")}
    draft = Entry.objects.create(pathway=imh, position=15, status=Status.DRAFT, **fields)
    client.force_login(editor)
    client.post(f"/admin/pathways/entry/{first.pk}/move-entry/down/")
    assert PendingChange.objects.get().proposed["fields"]["position"] == 15
    draft.delete()
    response = client.post(f"/admin/pathways/entry/{first.pk}/move-entry/{direction}/")
    assert response.status_code == 302
    assert PendingChange.objects.get().proposed["fields"]["position"] == proposed
