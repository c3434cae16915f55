"""A local editor or publisher of area A sees and touches only A: every admin path to another
area's service, note or pending change, to national content and to a glossary term is
refused, with a real session and its CSRF token, and changes nothing (every object's state
and the pending changes compared before and after). Their publishing is per area; the admin
home offers them only what is theirs; no national draft reaches them; `createstaff` makes
them."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from pathways.local.models import Area, AreaMembership, LocalNote, LocalService
from pathways.models import Entry, GlossaryTerm
from pathways.publishing import PendingChange, Status, state_of, submit
from tests.editing.conftest import SECRET
from tests.editing.htmlforms import csrf_token, the_form
from tests.local_area import IMH, PASSWORD, local_staff
from tests.pagetext import elements, visible_lines

pytestmark = pytest.mark.django_db

ADMIN = "/admin/pathways"


def session(user) -> tuple[Client, str]:
    """A browser's session for `user`, checking CSRF as production does, with its token read
    from the admin home (as a form on any page would carry it)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    home = client.get("/admin/")
    assert home.status_code == 200
    return client, csrf_token(home.content.decode())


def everything() -> dict:
    """Every object's state as the gate reads it, the history of local content, and the
    pending changes table whole (with each change's proposers)."""
    objects = {}
    for model in (Area, LocalService, LocalNote, Entry, GlossaryTerm):
        for obj in model.objects.all():
            objects[(model.__name__, obj.pk)] = state_of(obj)
    changes = [
        (change, sorted(PendingChange.objects.get(pk=change["id"]).proposers.values_list("pk")))
        for change in PendingChange.objects.order_by("pk").values()
    ]
    histories = {model.__name__: model.history.count() for model in (Area, LocalService, LocalNote)}
    return {"objects": objects, "changes": changes, "histories": histories}


def propose_route(service, user, route: str) -> PendingChange:
    proposed = state_of(service)
    proposed["fields"]["referral_route"] = route
    return submit(service, proposed, user=user)


@pytest.fixture
def other_area(example_area, second_area):
    """B's (South Example's) service, note and a pending change its editor proposed; a
    national entry and a glossary term; and a B service that was deleted (history only)."""
    service = second_area.services["gp-liaison"]
    change = propose_route(
        second_area.services["perinatal-mental-health"], second_area.editor, "Refer online."
    )
    gone = LocalService.objects.create(
        area=second_area.area,
        name="South Example Gone",
        slug="gone",
        offers="Nothing now.",
        referral_route="None.",
    )
    gone_pk = gone.pk
    gone.delete()  # a draft goes at once; its history stays
    entry = Entry.objects.published().filter(pathway__slug=IMH).order_by("pk").first()
    term = GlossaryTerm.objects.order_by("pk").first()
    return {
        "service": service,
        "serving": second_area.services["perinatal-mental-health"],
        "note": second_area.note,
        "change": change,
        "gone": gone_pk,
        "entry": entry,
        "term": term,
    }


def _paths(model_name: str, obj) -> list[tuple[str, str, dict]]:
    """Each admin path to `obj`: (method, url, data) — its pages, and the POSTs that would
    change, delete, revert or publish it."""
    base = f"{ADMIN}/{model_name}"
    version = type(obj).history.filter(id=obj.pk).earliest("history_date").history_id
    paths = [
        ("get", f"{base}/{obj.pk}/change/", {}),
        ("post", f"{base}/{obj.pk}/change/", {"change_reason": "Mine now"}),
        ("get", f"{base}/{obj.pk}/delete/", {}),
        ("post", f"{base}/{obj.pk}/delete/", {"post": "yes"}),
        ("get", f"{base}/{obj.pk}/history/", {}),
        ("get", f"{base}/{obj.pk}/history/{version}/", {}),
        ("post", f"{base}/{obj.pk}/history/{version}/", {"change_reason": "Back"}),
    ]
    for action in ("publish", "unpublish", "delete_selected"):
        data = {"action": action, "_selected_action": [obj.pk], "index": 0, "post": "yes"}
        paths.append(("post", f"{base}/", data))
    return paths


def refused_paths(other_area) -> list[tuple[str, str, dict]]:
    service, note = other_area["service"], other_area["note"]
    serving = other_area["serving"]
    entry = serving.serves_entries.get()
    paths = [
        *_paths("localservice", service),
        *_paths("localnote", note),
        *_paths("entry", other_area["entry"]),
        *_paths("glossaryterm", other_area["term"]),
        ("post", f"{ADMIN}/localservice/{serving.pk}/move/serves_entries/{entry.pk}/up/", {}),
    ]
    gone = other_area["gone"]
    version = LocalService.history.filter(id=gone).earliest("history_date").history_id
    paths += [
        ("get", f"{ADMIN}/localservice/{gone}/history/", {}),
        ("get", f"{ADMIN}/localservice/{gone}/history/{version}/", {}),
        ("post", f"{ADMIN}/localservice/{gone}/history/{version}/", {"change_reason": "Back"}),
    ]
    change = other_area["change"]
    for decision in ("approve", "reject", "withdraw"):
        paths.append(("post", f"{ADMIN}/pendingchange/{change.pk}/change/", {"decision": decision}))
    paths.append(("get", f"{ADMIN}/pendingchange/{change.pk}/change/", {}))
    return paths


@pytest.mark.parametrize("who", ["editor", "publisher"])
def test_another_areas_content_and_national_content_are_refused_and_unchanged(
    example_area, other_area, who
):
    user = getattr(example_area, who)
    client, token = session(user)
    before = everything()
    for method, url, data in refused_paths(other_area):
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, {**data, "csrfmiddlewaretoken": token})
        if "action" in data and "/local" in url:
            # A changelist action acts on the rows the list holds: another area's are not
            # among them, so nothing is selected ("No action selected" / "Items must be
            # selected").
            assert response.status_code in (200, 302), (method, url)
        else:
            assert response.status_code in (403, 404), (method, url, response.status_code)
    assert everything() == before


def test_the_walls_hold_without_the_admins_lookups(example_area, second_area):
    """The second wall on its own: the change list's own selection, and `save_model`'s area
    check, refuse another area's rows even when the first lookups are bypassed."""
    from django.contrib.admin.sites import site
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    model_admin = site._registry[LocalService]
    request = RequestFactory().post("/")
    request.user = example_area.publisher
    theirs = second_area.services["gp-liaison"]
    assert not model_admin.get_queryset(request).filter(pk=theirs.pk).exists()
    assert not model_admin.has_change_permission(request, theirs)
    assert not model_admin.has_view_permission(request, theirs)
    record = theirs.history.latest()
    assert not model_admin.has_view_permission(request, record.instance)
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, theirs, None, True)


def test_a_crafted_post_adds_nothing_in_another_area(example_area, second_area):
    client, token = session(example_area.editor)
    tag = example_area.services["gp-liaison"].serves_tags.get()
    data = {
        "name": "Crafted Service",
        "slug": "crafted",
        "offers": "Help.",
        "referral_route": "Phone.",
        "serves_tags": [tag.pk],
        "csrfmiddlewaretoken": token,
    }
    before = everything()
    response = client.post(f"{ADMIN}/localservice/add/", {**data, "area": second_area.area.pk})
    assert response.status_code == 200
    errors = " ".join(
        line for e in elements(response.content.decode(), cls="errorlist") for line in e.lines
    )
    assert "Select a valid choice" in errors
    assert everything() == before
    # The same form for the editor's own area is a draft in it (so the refusal was the area's).
    response = client.post(f"{ADMIN}/localservice/add/", {**data, "area": example_area.area.pk})
    assert response.status_code == 302
    made = LocalService.objects.get(slug="crafted")
    assert made.area == example_area.area and made.status == Status.DRAFT


def test_a_publisher_publishes_only_where_they_are_one(example_area, second_area):
    """Publisher of A, editor of B: the Publish action and the status field work in A only."""
    mixed = local_staff("mixed", example_area.area, "publisher")
    AreaMembership.objects.create(user=mixed, area=second_area.area, role="editor")
    drafts = {}
    # A's draft by A's editor (publishing it approves it); B's by this person, whose Publish
    # the gate alone would keep as a change waiting in B: the admin offers no such thing.
    for area, slug, author in (
        (example_area.area, "a-draft", example_area.editor),
        (second_area.area, "b-draft", mixed),
    ):
        draft = LocalService(
            area=area, name=slug, slug=slug, offers="Help.", referral_route="Phone."
        )
        draft._history_user = author
        draft.save()
        drafts[slug] = draft
    client, token = session(mixed)
    for obj in drafts.values():
        client.post(
            f"{ADMIN}/localservice/",
            {"action": "publish", "_selected_action": [obj.pk], "csrfmiddlewaretoken": token},
        )
    assert LocalService.objects.get(slug="a-draft").status == Status.PUBLISHED
    assert LocalService.objects.get(slug="b-draft").status == Status.DRAFT
    theirs = the_form(
        client.get(f"{ADMIN}/localservice/{drafts['b-draft'].pk}/change/").content.decode()
    )
    assert "status" not in dict(theirs.fields)
    mine = the_form(
        client.get(f"{ADMIN}/localservice/{drafts['a-draft'].pk}/change/").content.decode()
    )
    assert "status" in dict(mine.fields)
    # A crafted status on B's draft publishes nothing (the field is not on its form).
    data = {**theirs.data(), "status": "published", "csrfmiddlewaretoken": token}
    client.post(f"{ADMIN}/localservice/{drafts['b-draft'].pk}/change/", data)
    assert LocalService.objects.get(slug="b-draft").status == Status.DRAFT
    assert not PendingChange.objects.filter(object_id=drafts["b-draft"].pk).exists()


def test_a_local_editor_cannot_publish_their_own_area(example_area):
    draft = LocalService.objects.create(
        area=example_area.area, name="Draft", slug="draft", offers="Help.", referral_route="x"
    )
    client, token = session(example_area.editor)
    page = client.get(f"{ADMIN}/localservice/").content.decode()
    assert 'value="publish"' not in page
    client.post(
        f"{ADMIN}/localservice/",
        {"action": "publish", "_selected_action": [draft.pk], "csrfmiddlewaretoken": token},
    )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_the_admin_home_offers_a_local_editor_only_their_work(example_area, second_area):
    client, _ = session(example_area.editor)
    home = client.get("/admin/").content.decode()
    rows = [row.text for row in elements(home, "th") if row.attrs.get("scope") == "row"]
    assert sorted(rows) == sorted(
        ["Areas", "Local services", "Local notes", "Pending changes", "Problem reports"]
    )
    areas = client.get(f"{ADMIN}/area/").content.decode()
    assert "North Example" in " ".join(visible_lines(areas, "result_list"))
    assert "South Example" not in areas
    services = client.get(f"{ADMIN}/localservice/").content.decode()
    assert "North Example Primary Care Liaison" in services
    assert "South Example" not in services
    assert client.get(f"{ADMIN}/area/{second_area.area.pk}/history/").status_code in (403, 404)


def test_no_national_draft_reaches_local_staff(example_area):
    source = Entry.objects.get(pathway__slug=IMH, position=10)
    draft_entry = Entry.objects.create(
        pathway=source.pathway,
        position=15,
        stage=source.stage,
        age_band=source.age_band,
        rationale=f"{SECRET}: check the new screening tool.",
        service=source.service,
    )
    for user in (example_area.editor, example_area.publisher):
        client, _ = session(user)
        for url in (
            f"/pathways/{IMH}/",
            f"/pathways/{IMH}/?area=north-example",
            f"/pathways/{IMH}/checklist/",
            f"/pathways/{IMH}/?q=Zebracrossing",
            f"/pathways/{IMH}/export.csv",
            f"/api/pathways/{IMH}/entries/",
            f"{ADMIN}/localservice/add/",
            f"{ADMIN}/localnote/add/",
            f"{ADMIN}/localservice/{example_area.services['perinatal-mental-health'].pk}/change/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert SECRET not in response.content.decode(), url
        assert client.get(f"{ADMIN}/entry/{draft_entry.pk}/change/").status_code == 403


# createstaff: local roles.


def createstaff(*args) -> str:
    out = io.StringIO()
    call_command("createstaff", *args, "--password-from-env", "NEW_PASSWORD", stdout=out)
    return out.getvalue()


@pytest.fixture
def new_password(monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)


def test_createstaff_makes_a_local_publisher_of_several_areas(
    example_area, second_area, new_password, client
):
    said = createstaff(
        "--local-publisher", "lee", "--area", "north-example", "--area", "south-example"
    )
    assert "local publisher 'lee'" in said
    lee = User.objects.get(username="lee")
    assert lee.is_staff and not lee.is_superuser and not lee.groups.exists()
    assert set(lee.area_memberships.values_list("area__slug", "role")) == {
        ("north-example", "publisher"),
        ("south-example", "publisher"),
    }
    assert lee.has_perm("pathways.publish_localservice")
    assert not lee.has_perm("pathways.approve_pendingchange")
    signed_in = client.post(
        "/admin/login/", {"username": "lee", "password": PASSWORD, "next": "/admin/"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"


@pytest.mark.parametrize(
    "args, said",
    [
        (["--local-editor", "lou"], "Name the areas with --area"),
        (["--local-editor", "lou", "--area", "nowhere"], "No area is called 'nowhere'"),
        (
            ["--local-editor", "lou", "--area", "north-example", "--area", "nowhere"],
            "No area is called 'nowhere'",
        ),
        (["--local-editor", "lou", "--area", "draft-area"], "Not published yet: 'draft-area'"),
        (["--editor", "lou", "--area", "north-example"], "--area is for --local-editor"),
        (["--local-editor", "erin", "--area", "north-example"], "national or scoped"),
        (["--local-publisher", "pia", "--area", "north-example"], "national or scoped"),
    ],
)
def test_createstaff_refuses_unclear_local_roles(example_area, editor, new_password, args, said):
    Area.objects.create(name="Draft Area", slug="draft-area")
    memberships = AreaMembership.objects.count()
    accounts = User.objects.count()
    with pytest.raises(CommandError, match=said):
        createstaff(*args)
    assert AreaMembership.objects.count() == memberships
    assert User.objects.count() == accounts


def test_an_areas_own_history_opens_and_its_links_do_not_move(example_area):
    """The same paths for A's own service answer its staff (so the refusals above are the
    area's): its history, a version naming its links, and no "move" for links."""
    client, token = session(example_area.publisher)
    service = example_area.services["perinatal-mental-health"]
    base = f"{ADMIN}/localservice/{service.pk}"
    assert client.get(f"{base}/change/").status_code == 200
    assert client.get(f"{base}/history/").status_code == 200
    version = service.history.latest()
    page = client.get(f"{base}/history/{version.history_id}/")
    assert page.status_code == 200
    assert str(service.serves_entries.get()) in " ".join(visible_lines(page.content.decode()))
    entry = service.serves_entries.get()
    move = f"{base}/move/serves_entries/{entry.pk}/up/"
    assert client.post(move, {"csrfmiddlewaretoken": token}).status_code == 404


def test_the_overdue_filter_lists_the_areas_own_overdue_services(example_area, second_area):
    import datetime

    long_ago = datetime.date(2020, 1, 1)
    for area in (example_area, second_area):
        LocalService.objects.filter(pk=area.services["gp-liaison"].pk).update(
            next_verification_due=long_ago
        )
    client, _ = session(example_area.editor)
    page = client.get(f"{ADMIN}/localservice/", {"checking": "overdue"}).content.decode()
    shown = " ".join(visible_lines(page, "result_list"))
    assert "North Example Primary Care Liaison" in shown
    assert "Perinatal" not in shown
    assert "South Example" not in shown


def test_entries_are_told_apart_and_a_link_to_an_entry_unpublished_since_is_kept(
    client, example_area
):
    from pathways.models import Entry
    from pathways.publishing import Status

    service = example_area.services["perinatal-mental-health"]
    client.force_login(example_area.editor)
    url = f"/admin/pathways/localservice/{service.pk}/change/"
    page = client.get(url).content.decode()
    # Entries 20, 30 and 40 share a rationale and a band: their numbers and first
    # interventions tell them apart.
    for number in (20, 30, 40):
        assert f"Infant Mental Health #{number}: Ensure appropriate ongoing" in page
    Entry.objects.filter(pathway__slug="infant-mental-health", number=10).update(
        status=Status.DRAFT
    )
    page = client.get(url).content.decode()
    assert "Infant Mental Health #10:" in page  # still offered: it is chosen
    other = Entry.objects.get(pathway__slug="infant-mental-health", number=20)
    other_page = client.get("/admin/pathways/localservice/add/").content.decode()
    assert "Infant Mental Health #10:" not in other_page  # not offered to a new service
    assert f"Infant Mental Health #{other.number}:" in other_page
