"""The core of local content: areas, services and notes are content under the two-person
rule, decided by a publisher of their area (or a national one), and read by one rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict

from pathways.history import sibling_place
from pathways.local.models import Area, LocalNote, LocalService
from pathways.local.reading import chosen_area, directory
from pathways.models import Entry, GlossaryTerm
from pathways.publishing import Decision, PendingChange, Status, may_decide, state_of, submit
from tests.local_area import IMH, MBU_ENTRY, MBU_ROUTE, local_staff

pytestmark = pytest.mark.django_db


def test_the_example_area_goes_live_through_the_gate(example_area):
    for service in example_area.services.values():
        assert service.status == Status.PUBLISHED and service.is_example
        record = service.history.latest()
        assert record.approval is not None
        assert record.approval.decided_by == example_area.publisher
        assert example_area.editor in record.approval.proposers.all()
    assert example_area.note.status == Status.PUBLISHED


def test_a_local_change_waits_for_a_publisher_of_the_area(example_area, second_area, approver):
    service = example_area.services["perinatal-mental-health"]
    proposed = state_of(service)
    proposed["fields"]["referral_route"] = "Refer online."
    change = submit(service, proposed, user=example_area.editor)
    assert change.area == example_area.area
    service.refresh_from_db()
    assert service.referral_route == MBU_ROUTE  # nothing live yet
    for refused in (example_area.editor, second_area.publisher, second_area.editor):
        with pytest.raises(PermissionDenied):
            change.approve(refused)
    assert not may_decide(second_area.publisher, change)
    change.approve(example_area.publisher)
    service.refresh_from_db()
    assert service.referral_route == "Refer online."


def test_a_national_publisher_decides_any_area_but_a_local_one_no_national_change(
    example_area, editor, approver
):
    term = GlossaryTerm.objects.published().first()
    proposed = state_of(term)
    proposed["fields"]["expansions"] = term.expansions + "\nsomething"
    national = submit(term, proposed, user=editor)
    assert national.area is None
    assert not may_decide(example_area.publisher, national)
    with pytest.raises(PermissionDenied):
        national.approve(example_area.publisher)
    with pytest.raises(PermissionDenied):
        national.reject(example_area.publisher)
    assert PendingChange.objects.get(pk=national.pk).decision == Decision.PENDING
    note = example_area.note
    proposed = state_of(note)
    proposed["fields"]["text"] = "Changed."
    local = submit(note, proposed, user=example_area.editor)
    assert may_decide(approver, local)
    assert set(PendingChange.objects.for_user(example_area.publisher).pending()) == {local}
    assert set(PendingChange.objects.for_user(approver).pending()) == {local, national}


def test_a_new_service_belongs_to_its_area_before_it_exists(example_area):
    proposed = {"fields": {"area_id": example_area.area.pk, "name": "New"}, "parts": {}}
    change = submit(LocalService, proposed, user=example_area.editor, kind="create")
    assert change.area_id == example_area.area.pk


def test_a_slug_unique_in_its_area_is_not_a_place():
    assert sibling_place(LocalService) is None
    assert sibling_place(Entry) == ("pathway", "position")


def test_a_service_says_how_to_refer_and_stays_in_its_area(example_area, second_area):
    service = LocalService(area=example_area.area, name="No route", slug="x", offers="Help.")
    with pytest.raises(ValidationError, match="how to refer"):
        service.full_clean()
    moved = example_area.services["gp-liaison"]
    moved.area = second_area.area
    with pytest.raises(ValidationError, match="stays in its area"):
        moved.full_clean()


@pytest.mark.parametrize("text", ["<script>x</script>", "a\x00b", "x" * 5001])
def test_local_words_are_plain_text(example_area, text):
    note = LocalNote(area=example_area.area, entry=example_area.note.entry, text=text)
    with pytest.raises(ValidationError):
        note.clean_fields()


def test_the_directory_shows_published_services_beside_the_entries_they_serve(example_area):
    choice = chosen_area(QueryDict("area=north-example"), None)
    local = directory(choice.area, None)
    mbu = Entry.objects.get(pathway__slug=IMH, number=MBU_ENTRY)
    shown = local.for_entry(mbu)
    assert [s.slug for s in shown.services] == ["perinatal-mental-health"]
    assert shown.note is not None
    by_service = Entry.objects.get(pathway__slug=IMH, number=80)  # Childrens Centres
    assert [s.slug for s in local.for_entry(by_service).services] == ["postnatal-groups"]
    by_tag = Entry.objects.get(pathway__slug=IMH, number=190)  # Targeted Support
    assert [s.slug for s in local.for_entry(by_tag).services] == ["gp-liaison"]


def test_drafts_and_draft_areas_are_not_shown(example_area):
    service = example_area.services["gp-liaison"]
    LocalService.objects.filter(pk=service.pk).update(status=Status.DRAFT)
    local = directory(chosen_area(QueryDict("area=north-example"), None).area, None)
    assert "gp-liaison" not in [s.slug for s in local.services]
    Area.objects.filter(pk=example_area.area.pk).update(status=Status.DRAFT)
    assert chosen_area(QueryDict("area=north-example"), None).unrecognised == "north-example"
    assert chosen_area(QueryDict("area="), None).area is None


def test_local_staff_hold_local_permissions_only(example_area, imh):
    from tests.conftest import staff_group

    lou = local_staff("lou-in-a-group", example_area.area, "editor")
    lou.groups.add(staff_group("Editors"))  # a mistake: still local only
    lou = type(lou).objects.get(pk=lou.pk)
    assert lou.has_perm("pathways.change_localservice")
    assert not lou.has_perm("pathways.change_entry")
    assert not lou.has_perm("pathways.view_entry")
    assert not lou.has_perm("pathways.publish_localservice")
