"""Drafts and publishing: practitioners never see a draft anywhere; editors write drafts and
see them marked on the pages; only publishers publish, unpublish or delete what is live."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pathways.models import Entry, Pathway, Stage, Status

from ..conftest import IMH_URL, approve_pending
from ..pagetext import element, elements, visible_lines
from .conftest import SECRET
from .test_admin import change_form_data

HTMX = {"HX-Request": "true"}
DOCUMENT_URL = "/documents/pimh-delivery-plan-2021-2022/"


def test_new_entries_and_pathways_start_as_drafts(imh):
    assert Entry._meta.get_field("status").default == Status.DRAFT
    assert Pathway._meta.get_field("status").default == Status.DRAFT
    assert set(Entry.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


PUBLIC_PAGES = [
    ("browser", IMH_URL, {}),
    ("browser, htmx fragment", IMH_URL, HTMX),
    ("search", f"{IMH_URL}?q=Zebracrossing", {}),
    ("search, htmx fragment", f"{IMH_URL}?q=Zebracrossing", HTMX),
    ("stage filter", f"{IMH_URL}?stage=birth-6-weeks", HTMX),
    ("age filter", f"{IMH_URL}?age=1w", HTMX),
]


@pytest.mark.parametrize(("surface", "url", "headers"), PUBLIC_PAGES)
def test_a_draft_entry_never_reaches_practitioners(client, draft_entry, surface, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    content = response.content.decode()
    assert SECRET not in content
    assert "Draft" not in content
    if "Zebracrossing" in url:
        assert "There are no rationales that match your filters." in content
    else:
        assert "Showing 19 of 19 rationales" in content or "of 19 rationales" in content


def test_a_draft_entry_is_left_out_of_the_count(client, draft_entry, practitioner):
    client.force_login(practitioner)  # signed in, but not staff: still a practitioner
    content = client.get(IMH_URL).content.decode()
    assert "Showing 19 of 19 rationales" in content
    assert SECRET not in content


def test_a_published_entry_appears_once_published(client, draft_entry):
    draft_entry.status = Status.PUBLISHED
    draft_entry.save()
    content = client.get(IMH_URL, {"q": "Zebracrossing"}).content.decode()
    assert "<mark>Zebracrossing</mark>" in content  # the search marks what it found
    assert SECRET in content.replace("<mark>", "").replace("</mark>", "")
    assert "Showing 1 of 20 rationales" in content


@pytest.fixture
def draft_pathway(imh):
    imh.status = Status.DRAFT
    imh.save()
    return imh


@pytest.mark.parametrize(
    "url", [IMH_URL, f"{IMH_URL}?service=health-visiting", f"{IMH_URL}changes/"]
)
def test_a_draft_pathway_has_no_public_page(client, draft_pathway, url):
    assert client.get(url).status_code == 404
    assert client.get(url, headers=HTMX).status_code == 404


def test_a_draft_pathway_is_not_listed_or_linked(client, draft_pathway):
    home = client.get("/").content.decode()
    assert "Infant Mental Health" not in home
    assert "Parental Mental Health and Wellbeing" in home  # published, still listed
    document = client.get(DOCUMENT_URL).content.decode()
    assert IMH_URL not in document
    assert "Back to the Infant Mental Health pathway" not in document


def test_a_draft_related_pathway_is_not_named(client, imh):
    parental = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
    parental.status = Status.DRAFT
    parental.save()
    page = client.get(IMH_URL).content.decode()
    assert "Related pathway" not in page
    assert "not yet available" not in page
    assert "Parental Mental Health" not in client.get("/").content.decode()


def test_entries_of_a_draft_pathway_are_not_published_entries(draft_pathway):
    assert not Entry.objects.published().exists()


def test_a_published_only_export_of_a_draft_pathway_is_refused(draft_pathway):
    out = io.StringIO()
    with pytest.raises(CommandError, match="is a draft: --published-only leaves nothing"):
        call_command("export_pathway", "infant-mental-health", "--published-only", stdout=out)
    assert out.getvalue() == ""


def test_published_only_export_leaves_drafts_out(imh, draft_entry):
    out = io.StringIO()
    call_command("export_pathway", "infant-mental-health", "--published-only", stdout=out)
    rows = json.loads(out.getvalue())
    assert SECRET not in out.getvalue()
    assert sum(row["model"] == "pathways.entry" for row in rows) == 19
    # The full export, for moving content between databases, keeps the draft as a draft.
    out = io.StringIO()
    call_command("export_pathway", "infant-mental-health", stdout=out)
    drafts = [row for row in json.loads(out.getvalue()) if SECRET in str(row)]
    assert [row["fields"]["status"] for row in drafts] == ["draft"]


def test_editors_preview_drafts_with_a_banner(client, draft_entry, editor):
    client.force_login(editor)
    content = client.get(IMH_URL).content.decode()
    assert SECRET in content
    [banner] = elements(content, "div", "draft-banner")
    assert banner.attrs["role"] == "region"
    assert banner.attrs["aria-labelledby"] == "draft-banner-title"
    assert element(content, "draft-banner-title").text == "Draft"
    assert "Preview: this page also shows draft entries, marked “Draft”." in banner.lines
    assert "Showing 20 of 20 rationales" in content
    card = element(content, f"entry-{draft_entry.number}").lines
    assert card[0] == "Draft" and any(SECRET in line for line in card[1:])
    fragment = client.get(IMH_URL, {"q": "Zebracrossing"}, headers=HTMX).content.decode()
    card = element(fragment, f"entry-{draft_entry.number}").lines
    assert card[0] == "Draft" and any(SECRET in line for line in card[1:])


def test_editors_preview_a_draft_pathway(client, draft_pathway, editor):
    client.force_login(editor)
    content = client.get(IMH_URL).content.decode()
    assert "This pathway is a draft. Practitioners cannot see it until it is published." in content
    assert client.get(f"{IMH_URL}changes/").status_code == 200
    assert "Draft" in visible_lines(client.get("/").content.decode())


def test_practitioners_see_no_banner(client, imh):
    assert "draft-banner" not in client.get(IMH_URL).content.decode()


# Publishing in the admin.


def test_an_editor_cannot_publish_through_the_form(client, draft_entry, editor):
    client.force_login(editor)
    url = f"/admin/pathways/entry/{draft_entry.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="status"' not in form  # shown read-only
    response = client.post(url, change_form_data(draft_entry, status=Status.PUBLISHED))
    assert response.status_code == 302
    draft_entry.refresh_from_db()
    assert draft_entry.status == Status.DRAFT


def test_an_editor_has_no_publish_action_and_cannot_force_one(client, draft_entry, editor):
    client.force_login(editor)
    changelist = client.get("/admin/pathways/entry/").content.decode()
    assert 'value="publish"' not in changelist
    assert 'value="delete_selected"' not in changelist
    response = client.post(
        "/admin/pathways/entry/", {"action": "publish", "_selected_action": [draft_entry.pk]}
    )
    # With no actions of their own, the POST only shows the list again: nothing done, nothing
    # said to have been done.
    assert response.status_code == 200
    assert list(response.context["messages"]) == []
    assert 'value="publish"' not in response.content.decode()
    draft_entry.refresh_from_db()
    assert draft_entry.status == Status.DRAFT


def test_an_editor_may_delete_a_draft_but_not_published_content(client, draft_entry, editor, imh):
    client.force_login(editor)
    published = Entry.objects.get(pathway=imh, position=10)
    assert client.get(f"/admin/pathways/entry/{published.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/pathways/entry/{published.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Entry.objects.filter(pk=published.pk).exists()
    response = client.post(f"/admin/pathways/entry/{draft_entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Entry.objects.filter(pk=draft_entry.pk).exists()


def test_an_editor_creates_an_entry_as_a_draft(client, imh, editor):
    client.force_login(editor)
    source = Entry.objects.get(pathway=imh, position=10)
    response = client.post(
        "/admin/pathways/entry/add/",
        {
            "pathway": imh.pk,
            "position": 11,
            "stage": source.stage_id,
            "age_band": source.age_band_id,
            "tag": "",
            "rationale": "A new rationale.",
            "service": source.service_id,
            "criteria": "",
            "status": Status.PUBLISHED,  # ignored: not the editor's to set
            "interventions-TOTAL_FORMS": 1,
            "interventions-INITIAL_FORMS": 0,
            "interventions-MIN_NUM_FORMS": 0,
            "interventions-MAX_NUM_FORMS": 1000,
            "interventions-0-position": 1,
            "interventions-0-text": "Do the new thing.",
            "interventions-0-bullets": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = Entry.objects.get(pathway=imh, position=11)
    assert entry.status == Status.DRAFT
    assert entry.history.get().parts["interventions"][0]["text"] == "Do the new thing."
    client.logout()
    assert "A new rationale." not in client.get(IMH_URL).content.decode()


def test_a_publisher_publishes_and_unpublishes(client, draft_entry, publisher, approver):
    client.force_login(publisher)
    changelist = client.get("/admin/pathways/entry/").content.decode()
    assert 'value="publish"' in changelist and 'value="unpublish"' in changelist
    response = client.post(
        "/admin/pathways/entry/",
        {"action": "publish", "_selected_action": [draft_entry.pk]},
        follow=True,
    )
    # Nobody wrote part of this draft since it was loaded: publishing it is the approval.
    told = [str(m) for m in response.context["messages"]]
    assert told == ["1 published: practitioners see them now."]
    draft_entry.refresh_from_db()
    assert draft_entry.status == Status.PUBLISHED
    record = draft_entry.history.latest()
    assert record.approval.decided_by == publisher
    client.logout()
    assert SECRET in client.get(IMH_URL).content.decode()
    client.force_login(publisher)
    response = client.post(
        "/admin/pathways/entry/",
        {"action": "unpublish", "_selected_action": [draft_entry.pk]},
        follow=True,
    )
    told = [str(m) for m in response.context["messages"]]
    assert len(told) == 1 and told[0].startswith("1 waiting for another publisher's approval")
    client.logout()
    assert SECRET in client.get(IMH_URL).content.decode()  # until a second person agrees
    approve_pending(approver)
    assert SECRET not in client.get(IMH_URL).content.decode()


def test_a_publisher_publishes_through_the_form(client, draft_entry, publisher):
    client.force_login(publisher)
    url = f"/admin/pathways/entry/{draft_entry.pk}/change/"
    assert 'name="status"' in client.get(url).content.decode()
    response = client.post(url, change_form_data(draft_entry, status=Status.PUBLISHED))
    assert response.status_code == 302
    draft_entry.refresh_from_db()
    assert draft_entry.status == Status.PUBLISHED
    assert draft_entry.history.latest().approval.decided_by == publisher


def test_publishing_a_pathway_is_a_publishers_act(client, draft_pathway, editor, publisher):
    for user, expected in [(editor, Status.DRAFT), (publisher, Status.PUBLISHED)]:
        client.force_login(user)
        response = client.post(
            "/admin/pathways/pathway/",
            {"action": "publish", "_selected_action": [draft_pathway.pk]},
            follow=True,
        )
        told = [str(m) for m in response.context["messages"]]
        assert told == ([] if user == editor else ["1 published: practitioners see them now."])
        draft_pathway.refresh_from_db()
        assert draft_pathway.status == expected, user


# The matrix: anonymous, editor and publisher against every admin URL of the content models.

ADMIN_MODELS = ["pathway", "entry", "stage", "ageband", "service", "tag", "contextdocument"]
EDITOR_ONLY = {"add", "delete"}  # publishers approve; they do not add or delete


def admin_urls(model, pk):
    base = f"/admin/pathways/{model}/"
    return {
        "changelist": base,
        "add": f"{base}add/",
        "change": f"{base}{pk}/change/",
        "delete": f"{base}{pk}/delete/",
        "history": f"{base}{pk}/history/",
    }


def some_object(model, imh):
    """An object to aim at: a draft where deleting published content would be refused."""
    from django.apps import apps

    if model == "entry":
        entry = Entry.objects.get(pathway=imh, position=10)
        entry.status = Status.DRAFT
        entry.save()
        return entry
    if model == "pathway":
        parental = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
        parental.status = Status.DRAFT
        parental.save()
        return parental
    return apps.get_model("pathways", model).objects.first()


def expected(who, model, view):
    """What each person gets from each admin URL: "login", "forbidden", "edit" (a form that
    saves), "read" (the page, nothing to save) or "ok"."""
    if who == "anonymous":
        return "login"
    if who == "publisher" and view in EDITOR_ONLY:
        return "forbidden"
    if view == "add" or (view == "change" and who == "editor"):
        return "edit"
    if view == "change":
        return "edit" if model in {"pathway", "entry"} else "read"
    return "ok"


def outcome(response, view) -> str:
    if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    assert response.status_code == 200, response.status_code
    if view not in {"add", "change"}:
        return "ok"
    content = response.content.decode()
    if 'name="_save"' in content:
        return "edit"
    assert 'class="readonly"' in content
    return "read"


@pytest.mark.parametrize("model", ADMIN_MODELS)
@pytest.mark.parametrize("who", ["anonymous", "editor", "publisher"])
def test_admin_permission_matrix(client, imh, editor, publisher, who, model):
    obj = some_object(model, imh)
    if who != "anonymous":
        client.force_login({"editor": editor, "publisher": publisher}[who])
    got, want = {}, {}
    for view, url in admin_urls(model, obj.pk).items():
        response = client.get(url)
        got[view], want[view] = outcome(response, view), expected(who, model, view)
        content = response.content.decode() if response.status_code == 200 else ""
        if got[view] == "ok" and view == "history":
            assert "First version: content as loaded" in content
        if got[view] == "ok" and view == "delete":
            # A stage, age band, service or tag in use cannot go; the page says why.
            assert (
                "Are you sure" in content or "cannot be deleted because entries use it" in content
            )
    assert got == want


def test_matrix_publishers_cannot_change_reference_data(client, imh, publisher):
    client.force_login(publisher)
    stage = Stage.objects.get(slug="1-3-years")
    response = client.post(
        f"/admin/pathways/stage/{stage.pk}/change/",
        {
            "label": "Renamed",
            "slug": "1-3-years",
            "start_days": 365,
            "end_days": 1096,
            "position": 4,
        },
    )
    assert response.status_code == 403
    stage.refresh_from_db()
    assert stage.label == "1 - 3 years"


def test_inline_only_models_have_no_admin_urls_of_their_own(client, editor):
    client.force_login(editor)
    for model in ("intervention", "readingnote", "documentsection"):
        assert client.get(f"/admin/pathways/{model}/").status_code == 404


LATER_SURFACES = [
    ("visit checklist", f"{IMH_URL}checklist/", 200),
    ("visit checklist, searched", f"{IMH_URL}checklist/?q=Zebracrossing", 200),
    ("CSV export", f"{IMH_URL}export.csv", 200),
    ("CSV export, searched", f"{IMH_URL}export.csv?q=Zebracrossing", 200),
    ("JSON API entries", "/api/pathways/infant-mental-health/entries/", 200),
    ("JSON API pathway", "/api/pathways/infant-mental-health/", 200),
    ("FHIR PlanDefinition", "/api/pathways/infant-mental-health/fhir", 200),
    ("report a problem with the draft", f"{IMH_URL}entries/15/report/", 404),
]


@pytest.mark.parametrize(("surface", "url", "status"), LATER_SURFACES)
def test_a_draft_entry_never_leaves_through_the_other_surfaces(
    client, draft_entry, surface, url, status
):
    response = client.get(url)
    assert response.status_code == status
    body = b"".join(response) if response.streaming else response.content
    assert SECRET.encode() not in body
    if "entries/" in url and status == 200:
        assert len(response.json()["entries"]) == 19


@pytest.mark.parametrize(
    "url",
    [
        f"{IMH_URL}checklist/",
        f"{IMH_URL}export.csv",
        "/api/pathways/infant-mental-health/entries/",
        "/api/pathways/infant-mental-health/fhir",
    ],
)
def test_a_draft_pathway_is_absent_from_the_other_surfaces(client, draft_pathway, url):
    assert client.get(url).status_code == 404
    assert b"infant-mental-health" not in client.get("/api/pathways/").content
