"""Every change is kept with who, when and why; the admin shows what changed between versions
and puts any version back, an entry together with its interventions, exactly."""

import ast
import io
import re
from pathlib import Path

from django.contrib.auth.models import Permission
from django.core.management import call_command

from pathways.models import Entry, Intervention, Service, Stage, Status, Tag

from ..browsing.test_faithfulness import pathway_seed_lines
from ..conftest import IMH_URL, approve_pending
from ..pagetext import visible_lines
from .test_admin import change_form_data

ROOT = Path(__file__).resolve().parent.parent.parent


def follow_up_1_3_years(imh):
    """The 1 - 3 years "Follow-up Visiting schedule." entry: four interventions."""
    return Entry.objects.get(pathway=imh, position=140)


def state(entry):
    """Everything an entry is: its own fields and its interventions, ids included."""
    entry = Entry.objects.get(pk=entry.pk)
    fields = {f.attname: getattr(entry, f.attname) for f in Entry._meta.concrete_fields}
    interventions = list(entry.interventions.order_by("position").values())
    return fields, interventions


def edit_heavily(client, entry, approver, reason="Rewritten after the March clinical review"):
    """An editor changes fields, edits one intervention, deletes one and adds one; the entry
    is live, so `approver` approves the change."""
    data = change_form_data(
        entry,
        rationale="Follow-up visits, rewritten.",
        criteria="Only where the family asks.",
        service=Service.objects.get(slug="childrens-centres-eyfs").pk,
        tag=Tag.objects.get(slug="targeted-support").pk,
        change_reason=reason,
    )
    data["interventions-0-text"] = "A reworded first intervention."
    data["interventions-1-DELETE"] = "on"
    data["interventions-TOTAL_FORMS"] = 5
    data.update(
        {
            "interventions-4-entry": entry.pk,
            "interventions-4-position": 9,
            "interventions-4-text": "A brand new intervention.",
            "interventions-4-bullets": "first\nsecond",
        }
    )
    response = client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert approve_pending(approver) == 1


def test_an_edit_records_who_when_why_and_the_interventions(client, imh, editor, approver):
    entry = follow_up_1_3_years(imh)
    client.force_login(editor)
    edit_heavily(client, entry, approver)
    record = entry.history.latest()
    assert record.history_user == editor
    assert record.history_change_reason == "Rewritten after the March clinical review"
    assert record.rationale == "Follow-up visits, rewritten."
    texts = [row["text"] for row in record.parts["interventions"]]
    assert texts[0] == "A reworded first intervention."
    assert texts[-1] == "A brand new intervention."
    assert len(texts) == 4
    # The interventions have their own history too, with the same who and why.
    added = Intervention.history.filter(text="A brand new intervention.").get()
    assert added.history_type == "+"
    assert added.history_user == editor
    assert added.history_change_reason == "Rewritten after the March clinical review"
    # Exactly one version of the entry per save, holding the interventions as saved.
    assert entry.history.count() == 2


def test_history_page_shows_a_readable_diff_of_fields_and_interventions(
    client, imh, editor, approver
):
    entry = follow_up_1_3_years(imh)
    first_text = entry.interventions.order_by("position").first().text
    client.force_login(editor)
    edit_heavily(client, entry, approver)
    page = client.get(f"/admin/pathways/entry/{entry.pk}/history/").content.decode()
    page = re.sub(r"</?(ins|del)>", "", page)  # read as text; the marking is tested below
    assert "Rewritten after the March clinical review" in page
    assert "erin" in page
    assert "<strong>Rationale:</strong>" in page
    assert "Follow-up Visiting schedule." in page and "Follow-up visits, rewritten." in page
    assert "Intervention 1 text:</strong>" in page
    assert first_text in page and "A reworded first intervention." in page
    assert "Intervention 9 added:</strong>" in page
    assert "Intervention 2 removed:</strong>" in page


def test_revert_restores_every_field_and_the_interventions_exactly(client, imh, editor, approver):
    entry = follow_up_1_3_years(imh)
    before = state(entry)
    original = entry.history.earliest()
    client.force_login(editor)
    edit_heavily(client, entry, approver)
    assert state(entry) != before

    url = f"/admin/pathways/entry/{entry.pk}/history/{original.history_id}/"
    page = client.get(url).content.decode()
    assert "Follow-up Visiting schedule." in page
    assert "Revert to this version" in page
    assert before[1][1]["text"] in page  # the intervention deleted since is listed

    response = client.post(url, {"change_reason": "The rewrite was not approved"})
    assert response.status_code == 302
    assert approve_pending(approver) == 1  # a revert of live content is a change like any
    assert state(entry) == before  # every field; every intervention with its id and order
    latest = entry.history.latest()
    assert latest.history_change_reason == "The rewrite was not approved"
    assert latest.history_user == editor
    assert latest.parts == original.parts
    # Practitioners see the seed again, line for line.
    html = client.get(IMH_URL).content.decode()
    results = visible_lines(
        html,
        within_id="results",
        skip_classes={
            "results__count",
            "draft-tag",
            "entry__actions",
            "entry__no-actions",
            "entry__repeats",
        },
    )
    seed = pathway_seed_lines()
    assert results == seed[seed.index("Birth - 6 weeks") :]


def test_a_revert_can_itself_be_undone(client, imh, editor, approver):
    entry = follow_up_1_3_years(imh)
    client.force_login(editor)
    edit_heavily(client, entry, approver)
    edited = state(entry)
    edited_version = entry.history.latest()
    first = client.post(f"/admin/pathways/entry/{entry.pk}/history/{entry.history.earliest().pk}/")
    assert first.status_code == 302
    assert re.fullmatch(r"/admin/pathways/pendingchange/\d+/change/", first["Location"])
    approve_pending(approver)
    assert state(entry)[0] != edited[0]
    again = client.post(f"/admin/pathways/entry/{entry.pk}/history/{edited_version.pk}/")
    assert again.status_code == 302
    assert re.fullmatch(r"/admin/pathways/pendingchange/\d+/change/", again["Location"])
    approve_pending(approver)
    assert state(entry)[0] == edited[0]
    assert [(i["position"], i["text"], i["bullets"]) for i in state(entry)[1]] == [
        (i["position"], i["text"], i["bullets"]) for i in edited[1]
    ]


def test_revert_brings_back_a_deleted_entry_with_its_interventions(
    client, imh, publisher, approver
):
    entry = follow_up_1_3_years(imh)
    Entry.objects.filter(repeats=entry).update(repeats=None)  # nothing repeats it "as above"
    before = state(entry)
    client.force_login(publisher)
    # Deleting a published entry is a publisher's act; this one may also delete and add.
    publisher.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["delete_entry", "delete_intervention", "add_entry"]
        )
    )
    response = client.post(f"/admin/pathways/entry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Entry.objects.filter(pk=entry.pk).exists()  # deleting live content waits too
    assert approve_pending(approver) == 1
    assert not Entry.objects.filter(pk=entry.pk).exists()
    deletion = Entry.history.filter(id=entry.pk).latest()
    assert deletion.history_type == "-"
    assert len(deletion.parts["interventions"]) == 4  # kept although they are gone

    history = client.get(f"/admin/pathways/entry/{entry.pk}/history/").content.decode()
    assert "Deleted" in history
    response = client.post(f"/admin/pathways/entry/{entry.pk}/history/{deletion.history_id}/")
    assert response.status_code == 302
    assert re.fullmatch(r"/admin/pathways/pendingchange/\d+/change/", response["Location"])
    assert approve_pending(approver) == 1
    assert state(entry) == before


def test_an_editor_reverting_does_not_change_the_status(client, imh, editor, publisher, approver):
    entry = follow_up_1_3_years(imh)
    Entry.objects.filter(repeats=entry).update(repeats=None)
    published_version = entry.history.latest()
    client.force_login(publisher)
    response = client.post(
        "/admin/pathways/entry/", {"action": "unpublish", "_selected_action": [entry.pk]}
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/pathways/entry/")
    approve_pending(approver)  # unpublishing takes a second person too
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    client.force_login(editor)
    url = f"/admin/pathways/entry/{entry.pk}/history/{published_version.history_id}/"
    assert "The status is not changed" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert "Its status stays Draft: only publishers change it." in response.content.decode()


def test_revert_that_no_longer_fits_is_refused_with_a_message(client, imh, editor, approver):
    entry = follow_up_1_3_years(imh)
    original = entry.history.earliest()
    client.force_login(editor)
    data = change_form_data(entry, position=145)
    assert client.post(f"/admin/pathways/entry/{entry.pk}/change/", data).status_code == 302
    approve_pending(approver)
    # Another entry now takes the old position.
    other = Entry.objects.get(pathway=imh, position=150)
    other.position = 140
    other.save()
    response = client.post(
        f"/admin/pathways/entry/{entry.pk}/history/{original.history_id}/", follow=True
    )
    content = response.content.decode()
    assert "Could not revert" in content
    assert "already has this position" in content
    entry.refresh_from_db()
    assert entry.position == 145


def test_a_view_only_user_sees_versions_but_cannot_revert(client, imh, publisher):
    stage = Stage.objects.get(slug="1-3-years")
    record = stage.history.latest()
    client.force_login(publisher)
    url = f"/admin/pathways/stage/{stage.pk}/history/{record.history_id}/"
    page = client.get(url).content.decode()
    assert "1 - 3 years" in page
    assert "Revert to this version" not in page
    assert client.post(url).status_code == 403


def test_every_content_model_keeps_history(imh):
    from pathways.history import ContentHistory

    assert {model.__name__ for model in ContentHistory.registry} == {
        "AgeBand",
        "ContextDocument",
        "DocumentSection",
        "Entry",
        "GlossaryTerm",
        "Intervention",
        "Pathway",
        "ReadingNote",
        "Service",
        "Stage",
        "Tag",
        "Area",
        "LocalService",
        "LocalNote",
    }
    for model in ContentHistory.registry:
        assert model.history.count() == model.objects.count(), model  # the first versions


# Changing content through these skips save() and so the history: nothing in pathways/ may.
BYPASSING = {"update", "bulk_create", "bulk_update", "delete"}
QUERYSET_MAKERS = {
    "objects",
    "all",
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "using",
    "published",
    "visible_to",
    "history",
}
# (file, method): why it is allowed.
ALLOWED = {
    ("pathways/migrations/0002_editors_group.py", "delete"): "removes an auth group, not content",
    ("pathways/integration/cds_hooks.py", "delete"): "forgets expired JWT ids, not content",
    ("pathways/integration/cds_hooks.py", "update"): "claims a key fetch, not content",
    ("pathways/operations/caching.py", "update"): "gives the content a new version, not content",
}


def bypassing_calls(path: Path):
    """Calls like Model.objects.filter(...).update(...) or .bulk_create(...) in a file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        if method in {"bulk_create", "bulk_update"}:
            yield method, node.lineno
        elif method in BYPASSING:
            name = (
                receiver.func.attr
                if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)
                else getattr(receiver, "attr", None)
            )
            if name in QUERYSET_MAKERS:
                yield method, node.lineno


def test_no_code_changes_content_behind_the_history():
    found = []
    for path in sorted((ROOT / "pathways").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for method, line in bypassing_calls(path):
            if (relative, method) not in ALLOWED:
                found.append(f"{relative}:{line} .{method}()")
    assert found == []


def test_the_guard_catches_queryset_writes(tmp_path):
    """The guard above would notice the calls it is there to forbid."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "Entry.objects.filter(pk=1).update(status='published')\n"
        "Entry.objects.bulk_create([])\n"
        "Intervention.objects.all().delete()\n"
        "entry.delete()\n"
        "context.update({})\n",
        encoding="utf-8",
    )
    assert [method for method, _ in bypassing_calls(sample)] == [
        "update",
        "bulk_create",
        "delete",
    ]


def test_baseline_is_recorded_once(imh):
    before = Entry.history.count()
    call_command("record_history_baseline", verbosity=0, stdout=io.StringIO())
    assert Entry.history.count() == before


def test_the_diff_marks_the_words_that_changed(client, imh, editor, approver):
    entry = follow_up_1_3_years(imh)
    client.force_login(editor)
    data = change_form_data(entry)
    data["interventions-1-text"] = data["interventions-1-text"].replace("with GP", "with the GP")
    response = client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    # Live content: the editor is sent to the change waiting for approval.
    assert response.status_code == 302
    assert re.fullmatch(r"/admin/pathways/pendingchange/\d+/change/", response["Location"])
    approve_pending(approver)
    page = client.get(f"/admin/pathways/entry/{entry.pk}/history/").content.decode()
    assert "communication with GP and/or" in page  # the old text, whole
    added = '<span class="visually-hidden">added: </span>'
    assert f"communication with<ins>{added} the</ins> GP and/or" in page


def test_a_browser_resubmitting_unchanged_text_records_no_change(client, imh, editor):
    """Browsers send textarea line breaks as CRLF: an untouched paragraph is not a change."""
    entry = follow_up_1_3_years(imh)
    interventions_before = Intervention.history.count()
    client.force_login(editor)
    data = change_form_data(entry)
    for key in list(data):
        if key.endswith("-bullets") and isinstance(data[key], str):
            data[key] = data[key].replace("\n", "\r\n")
    response = client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    assert (response.status_code, response["Location"]) == (302, "/admin/pathways/entry/")
    assert Intervention.history.count() == interventions_before
    assert "\r" not in "".join(entry.interventions.values_list("bullets", flat=True))
    assert entry.history.latest().parts == entry.history.earliest().parts


def test_revert_restores_a_pathways_reading_notes_and_related_pathways(imh, editor):
    from pathways.history import revert
    from pathways.models import ReadingNote

    original = imh.history.latest()
    notes_before = list(imh.reading_notes.order_by("position").values())
    related_before = list(imh.related_pathways.values_list("pk", flat=True))
    # Edits made in code follow the same rule as the admin: parts first, then the version.
    first = imh.reading_notes.order_by("position").first()
    first.text = "A reworded note."
    first.save()
    imh.reading_notes.order_by("position").last().delete()
    ReadingNote.objects.create(pathway=imh, position=9, text="An extra note.")
    imh.related_pathways.clear()
    imh.title = "Infant Mental Health (retitled)"
    imh.save()
    revert(original, user=editor)
    imh.refresh_from_db()
    assert imh.title == "Infant Mental Health"
    assert list(imh.reading_notes.order_by("position").values()) == notes_before
    assert list(imh.related_pathways.values_list("pk", flat=True)) == related_before
