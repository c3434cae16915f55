"""Editors keep the content right in the admin; nobody else gets in, and editors cannot
manage users."""

import pytest
from django.contrib.auth.models import Group, Permission

from pathways.models import Entry

from ..conftest import IMH_URL, approve_pending

NICU_BULLETS = ["NICU", "Post Natal Ward", "Home with relative", "Paediatric Ward"]
CONTENT_MODELS = [
    "ageband",
    "contextdocument",
    "documentsection",
    "entry",
    "intervention",
    "pathway",
    "readingnote",
    "service",
    "stage",
    "tag",
]


@pytest.mark.parametrize(
    "url",
    ["/admin/", "/admin/pathways/entry/", "/admin/pathways/entry/1/change/", "/admin/auth/user/"],
)
def test_anonymous_users_are_sent_to_login(client, imh, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_practitioner_without_staff_rights_is_sent_to_login(client, imh, practitioner):
    client.force_login(practitioner)
    response = client.get("/admin/pathways/entry/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# Editors work through readers' problem reports; reports only come from the public form, so
# nobody is given "add".
PROBLEM_REPORTS = {"view_problemreport", "change_problemreport", "delete_problemreport"}
# Editors see the changes waiting for approval (their own and others'); only publishers
# decide them, and nobody writes one by hand.
PENDING_CHANGES = {"view_pendingchange"}
# Glossary terms: editors edit them (changes to published terms wait for approval).
GLOSSARY = {f"{action}_glossaryterm" for action in ("add", "change", "delete", "view")}
# Areas, their local services and notes: national editors set them up and write them (local
# editors get theirs from an area membership, pathways.local.scoping).
LOCAL = {
    f"{action}_{model}"
    for action in ("add", "change", "delete", "view")
    for model in ("area", "localservice", "localnote")
}


def test_editors_group_has_exactly_the_content_permissions(db):
    editors = Group.objects.get(name="Editors")
    expected = (
        {
            f"{action}_{model}"
            for action in ("add", "change", "delete", "view")
            for model in CONTENT_MODELS
        }
        | PROBLEM_REPORTS
        | PENDING_CHANGES
        | GLOSSARY
        | LOCAL
    )
    assert set(editors.permissions.values_list("codename", flat=True)) == expected
    assert not editors.permissions.filter(content_type__app_label="auth").exists()
    # Everything else in the app: the history models' permissions (nobody needs them: history
    # is read through the content's own admin) and publishing, which is the Publishers'.
    content = Permission.objects.filter(content_type__app_label="pathways").exclude(
        content_type__model__startswith="historical"
    )
    assert set(content.values_list("codename", flat=True)) - expected == {
        "publish_entry",
        "publish_pathway",
        "publish_glossaryterm",
        "publish_area",
        "publish_localservice",
        "publish_localnote",
        "add_areamembership",  # superusers scope staff to areas
        "change_areamembership",
        "delete_areamembership",
        "view_areamembership",
        "add_problemreport",  # reports come only from the public form
        "approve_pendingchange",  # the Publishers'
        "add_pendingchange",  # proposed by saving content, decided, never edited
        "change_pendingchange",
        "delete_pendingchange",
    }


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"]
)
def test_editor_cannot_reach_user_management(client, imh, editor, url):
    client.force_login(editor)
    assert client.get(url).status_code == 403


def test_editor_sees_content_lists_with_filters(client, imh, editor):
    client.force_login(editor)
    from pathways.models import Service

    primary_care = Service.objects.get(slug="primary-care-gp")
    response = client.get("/admin/pathways/entry/", {"service__id__exact": primary_care.pk})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Facilitate Joint working and support integrated care planning." in content
    assert "Ensure appropriate care pathways" not in content
    response = client.get("/admin/pathways/entry/", {"q": "admisisons"})
    assert "1 result" in response.content.decode()
    assert "Mental health admisisons" not in response.content.decode()  # inline text, not list
    assert "Auth" not in client.get("/admin/").content.decode().split("<main")[1]


def change_form_data(entry, **changes):
    """The POST an editor's browser sends from an entry's change page, with changes."""
    data = {
        "pathway": entry.pathway_id,
        "position": entry.position,
        "stage": entry.stage_id,
        "age_band": entry.age_band_id,
        "tag": entry.tag_id or "",
        "rationale": entry.rationale,
        "service": entry.service_id,
        "criteria": entry.criteria,
        "repeats": entry.repeats_id or "",
    }
    interventions = list(entry.interventions.order_by("position"))
    data.update(
        {
            "interventions-TOTAL_FORMS": len(interventions),
            "interventions-INITIAL_FORMS": len(interventions),
            "interventions-MIN_NUM_FORMS": 0,
            "interventions-MAX_NUM_FORMS": 1000,
        }
    )
    for i, intervention in enumerate(interventions):
        data.update(
            {
                f"interventions-{i}-id": intervention.pk,
                f"interventions-{i}-entry": entry.pk,
                f"interventions-{i}-position": intervention.position,
                f"interventions-{i}-text": intervention.text,
                f"interventions-{i}-bullets": intervention.bullets,
            }
        )
    data.update(changes)
    return data


def list_positions_data(objects, positions) -> dict:
    """The POST of a changelist whose positions are editable, giving `objects` these positions."""
    data = {
        "form-TOTAL_FORMS": len(objects),
        "form-INITIAL_FORMS": len(objects),
        "form-MIN_NUM_FORMS": 0,
        "form-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for i, (obj, position) in enumerate(zip(objects, positions, strict=True)):
        data[f"form-{i}-id"] = obj.pk
        data[f"form-{i}-position"] = position
    return data


def test_editor_edits_an_entry_and_its_interventions_and_the_page_shows_it(
    client, imh, editor, approver
):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    url = f"/admin/pathways/entry/{entry.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        change_form_data(
            entry,
            rationale="Ensure appropriate ongoing and consistent care provision, reviewed.",
            **{"interventions-0-bullets": "\n".join([*NICU_BULLETS, "Hospice"])},
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # The entry is live: the edit waits for a publisher (tests/editing/test_approval.py).
    assert approve_pending(approver) == 1
    entry.refresh_from_db()
    assert entry.rationale == "Ensure appropriate ongoing and consistent care provision, reviewed."
    page = client.get(IMH_URL).content.decode()
    assert "Ensure appropriate ongoing and consistent care provision, reviewed." in page
    assert "<li>Hospice</li>" in page


def test_admin_refuses_an_age_band_that_misses_the_stage(client, imh, editor):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    from pathways.models import AgeBand

    late = AgeBand.objects.get(slug="3-5-years")
    response = client.post(
        f"/admin/pathways/entry/{entry.pk}/change/", change_form_data(entry, age_band=late.pk)
    )
    assert response.status_code == 200
    assert "does not overlap the stage" in response.content.decode()
    entry.refresh_from_db()
    assert entry.age_band.slug == "birth-6-weeks"


def test_admin_refuses_an_age_band_ending_before_it_starts(client, imh, editor):
    client.force_login(editor)
    response = client.post(
        "/admin/pathways/ageband/add/",
        # The days come from the label now (tests/editing/test_age_bands.py); typed days are
        # ignored.
        {
            "label": "12 - 6 weeks",
            "slug": "backwards",
            "start_days": 100,
            "end_days": 50,
            "position": 99,
        },
    )
    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
