"""The two-person rule per area, through the admin as people use it: a local editor's edit
waits (readers keep the approved route); only a publisher of the area, or a national one,
approves it, and never their own; a local publisher never decides national changes, nor
hears of them or of another area's."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import QueryDict

from pathways.editing.notifications import ApprovalNotice, recipients_for
from pathways.local.models import LocalService
from pathways.local.reading import chosen_area, directory
from pathways.models import GlossaryTerm
from pathways.publishing import Decision, PendingChange, state_of, submit
from tests.editing.htmlforms import the_form
from tests.local.test_scoping import ADMIN, session
from tests.local_area import MBU_ROUTE
from tests.pagetext import elements, links, visible_lines

pytestmark = pytest.mark.django_db

NEW_ROUTE = "Refer through the perinatal team's online form."
SLUG = "perinatal-mental-health"


def route_readers_see(area_slug: str = "north-example") -> str:
    """The route readers are given, read through the one door every surface uses."""
    area = chosen_area(QueryDict(f"area={area_slug}"), None).area
    (service,) = [s for s in directory(area, None).services if s.slug == SLUG]
    return service.referral_route


def edit_route(user, route: str = NEW_ROUTE) -> PendingChange:
    """`user` changes the service's route on its admin form and presses Save."""
    client, token = session(user)
    service = LocalService.objects.get(area__slug="north-example", slug=SLUG)
    url = f"{ADMIN}/localservice/{service.pk}/change/"
    form = the_form(client.get(url).content.decode())
    data = {**form.data(), "referral_route": route, "change_reason": "New form"}
    response = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.content.decode()[:2000]
    return PendingChange.objects.pending().get(object_id=service.pk)


def decide(user, change, decision: str = "approve"):
    client, token = session(user)
    url = f"{ADMIN}/pendingchange/{change.pk}/change/"
    return client.post(url, {"decision": decision, "comment": "", "csrfmiddlewaretoken": token})


def test_a_local_editors_edit_waits_for_a_publisher_of_the_area(example_area, second_area):
    change = edit_route(example_area.editor)
    assert change.area == example_area.area
    assert route_readers_see() == MBU_ROUTE
    assert LocalService.objects.get(area=example_area.area, slug=SLUG).referral_route == MBU_ROUTE

    # The editor who wrote it: no Approve button, and a crafted POST is refused.
    client, _ = session(example_area.editor)
    page = client.get(f"{ADMIN}/pendingchange/{change.pk}/change/").content.decode()
    assert 'value="approve"' not in page
    assert decide(example_area.editor, change).status_code == 403
    # Another area's publisher: not in their list at all.
    assert decide(second_area.publisher, change).status_code == 404
    for refused in (example_area.editor, second_area.publisher, second_area.editor):
        with pytest.raises(PermissionDenied):
            PendingChange.objects.get(pk=change.pk).approve(refused)
    assert PendingChange.objects.get(pk=change.pk).decision == Decision.PENDING
    assert route_readers_see() == MBU_ROUTE

    client, _ = session(example_area.publisher)
    page = client.get(f"{ADMIN}/pendingchange/{change.pk}/change/").content.decode()
    assert 'value="approve"' in page
    # The change names where readers will find the service.
    assert links(page)["As practitioners see it"] == f"/areas/north-example/#service-{SLUG}"
    assert decide(example_area.publisher, change).status_code == 302
    assert PendingChange.objects.get(pk=change.pk).decided_by == example_area.publisher
    assert route_readers_see() == NEW_ROUTE
    assert route_readers_see("south-example") == MBU_ROUTE  # B's own service is untouched


def test_a_local_publisher_never_approves_their_own_but_a_national_one_may(example_area, publisher):
    change = edit_route(example_area.publisher)
    client, _ = session(example_area.publisher)
    page = client.get(f"{ADMIN}/pendingchange/{change.pk}/change/").content.decode()
    assert 'value="approve"' not in page
    assert decide(example_area.publisher, change).status_code == 403  # the author rule
    assert PendingChange.objects.get(pk=change.pk).decision == Decision.PENDING
    with pytest.raises(PermissionDenied):
        PendingChange.objects.get(pk=change.pk).approve(example_area.publisher)
    assert route_readers_see() == MBU_ROUTE
    assert decide(publisher, change).status_code == 302
    assert PendingChange.objects.get(pk=change.pk).decided_by == publisher
    assert route_readers_see() == NEW_ROUTE


def route_state(service) -> dict:
    proposed = state_of(service)
    proposed["fields"]["referral_route"] = NEW_ROUTE
    return proposed


def national_change(editor) -> PendingChange:
    term = GlossaryTerm.objects.published().first()
    proposed = state_of(term)
    proposed["fields"]["expansions"] = term.expansions + "\nsomething"
    return submit(term, proposed, user=editor)


def test_a_local_publisher_never_sees_or_decides_a_national_change(example_area, editor):
    change = national_change(editor)
    client, _ = session(example_area.publisher)
    listing = client.get(f"{ADMIN}/pendingchange/").content.decode()
    assert change.object_repr not in " ".join(visible_lines(listing))
    assert "Glossary term" not in listing  # not even the kind of content, in the filters
    assert client.get(f"{ADMIN}/pendingchange/{change.pk}/change/").status_code == 404
    for decision in ("approve", "reject"):
        assert decide(example_area.publisher, change, decision).status_code == 404
        with pytest.raises(PermissionDenied):
            getattr(PendingChange.objects.get(pk=change.pk), decision)(example_area.publisher)
    assert PendingChange.objects.get(pk=change.pk).decision == Decision.PENDING


def test_the_admin_home_counts_what_waits_for_each_person(
    example_area, second_area, editor, publisher
):
    edit_route(example_area.editor)
    national_change(editor)
    counts = {}
    for user in (example_area.publisher, second_area.publisher, publisher):
        client, _ = session(user)
        home = client.get("/admin/").content.decode()
        (line,) = elements(home, "p", "waiting__for-you")
        counts[user.username] = line.text
    assert counts == {
        "n-publisher": "1 change waits for your approval",
        "s-publisher": "No changes wait for your approval",
        "pia": "2 changes wait for your approval",
    }


def asks_for_notices(user) -> None:
    """`user` ticks "Email me when a change waits" on the admin home and saves."""
    client, token = session(user)
    response = client.post(
        f"{ADMIN}/pendingchange/notifications/",
        {"email_when_waiting": "on", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert ApprovalNotice.wanted_by(user)


def test_an_areas_publishers_hear_of_its_changes_only(
    example_area, second_area, editor, publisher, django_capture_on_commit_callbacks
):
    for user in (example_area.publisher, second_area.publisher, publisher):
        asks_for_notices(user)
    client, token = session(example_area.editor)
    response = client.post(
        f"{ADMIN}/pendingchange/notifications/",
        {"email_when_waiting": "on", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 403  # a local editor decides nothing

    local = edit_route(example_area.editor)
    national = national_change(editor)
    assert recipients_for(local) == sorted([example_area.publisher.email, publisher.email])
    assert recipients_for(national) == [publisher.email]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        theirs = submit(
            second_area.services[SLUG],
            route_state(second_area.services[SLUG]),
            user=second_area.editor,
        )
    assert theirs.area == second_area.area
    told = sorted(address for message in mail.outbox for address in message.to)
    assert told == sorted([second_area.publisher.email, publisher.email])
