"""A pathway moves between databases as one JSON file: exported whole, imported only if every
row is valid, the same file twice changing nothing, and every write in the history."""

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from pathways.history import ContentHistory
from pathways.models import (
    AgeBand,
    ContextDocument,
    Entry,
    GlossaryTerm,
    Intervention,
    Pathway,
    Service,
    Stage,
    Tag,
)

IMH = "infant-mental-health"


def export(tmp_path, name="imh.json", *args) -> str:
    path = tmp_path / name
    call_command("export_pathway", IMH, "--output", str(path), *args, stderr=io.StringIO())
    return path.read_text(encoding="utf-8")


def run_import(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_pathway", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), str(error)
    return out.getvalue(), err.getvalue(), None


def everything() -> str:
    """The whole database as text: content, history, users and groups."""
    out = io.StringIO()
    call_command("dumpdata", "pathways", "auth", natural_foreign=True, indent=1, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"pathways", "auth"}
    }


def empty_the_content():
    """What a fresh database holds: no content and no history."""
    # The glossary serves every pathway: backups and fixtures carry it, not a pathway's export.
    for model in (Pathway, Stage, AgeBand, Service, Tag, ContextDocument, GlossaryTerm):
        for obj in model.objects.all():
            obj.delete()
    for model in ContentHistory.registry:
        model.history.all().delete()
    assert all(not model.objects.exists() for model in ContentHistory.registry)


def test_export_is_self_contained_with_natural_keys(imh, tmp_path):
    rows = json.loads(export(tmp_path))
    models = [row["model"] for row in rows]
    assert models.count("pathways.entry") == 19
    assert models.count("pathways.intervention") == 46
    assert models.count("pathways.documentsection") == 10
    assert all("pk" not in row for row in rows)
    entry = next(row for row in rows if row["model"] == "pathways.entry")
    assert entry["fields"]["pathway"] == [IMH]
    assert entry["fields"]["stage"] == ["birth-6-weeks"]
    assert entry["fields"]["status"] == "published"
    # Everything an entry refers to comes before it, so an import can go top to bottom.
    first_entry = models.index("pathways.entry")
    assert max(models.index(m) for m in ("pathways.stage", "pathways.ageband")) < first_entry


def test_round_trip_into_an_empty_database_is_identical(imh, tmp_path):
    first = export(tmp_path, "first.json")
    empty_the_content()
    out, err, error = run_import(tmp_path / "first.json")
    assert error is None, err
    assert "Imported" in out and "102 created, 0 updated, 0 unchanged" in out
    assert export(tmp_path, "second.json") == first
    # The page reads as before: the import brought back every entry and intervention.
    assert Entry.objects.count() == 19 and Intervention.objects.count() == 46
    entry = Entry.objects.get(pathway__slug=IMH, position=140)
    record = entry.history.get()
    assert record.history_type == "+"
    assert record.history_change_reason == "Imported from first.json"
    assert len(record.parts["interventions"]) == 4


def test_importing_the_same_file_again_changes_nothing(imh, tmp_path):
    export(tmp_path)
    before, counts = everything(), row_counts()
    out, err, error = run_import(tmp_path / "imh.json")
    assert error is None, err
    assert "0 created, 0 updated, 102 unchanged, 0 parts removed" in out
    assert everything() == before  # not even a history record
    assert row_counts() == counts


def invalid_copy(tmp_path, text):
    """The export with one good edit and one invalid row: entry 20's age band moved to
    3 - 5 years, outside its Birth - 6 weeks stage."""
    rows = json.loads(text)
    index = next(
        i
        for i, row in enumerate(rows)
        if row["model"] == "pathways.entry" and row["fields"]["position"] == 20
    )
    rows[index]["fields"]["age_band"] = ["3-5-years"]
    good = next(i for i, row in enumerate(rows) if row["model"] == "pathways.entry")
    rows[good]["fields"]["rationale"] = "An edit that must not land."
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return path, index


def test_one_invalid_row_writes_nothing_and_names_the_row(imh, tmp_path):
    path, index = invalid_copy(tmp_path, export(tmp_path))
    before, counts = everything(), row_counts()
    out, err, error = run_import(path)
    assert error == f"1 invalid row in {path}: nothing was imported."
    assert err.strip() == (
        f"row {index} (pathways.entry infant-mental-health/20): age_band: "
        "The age band 3 - 5 years does not overlap the stage Birth - 6 weeks."
    )
    assert row_counts() == counts
    assert everything() == before
    assert not Entry.objects.filter(rationale="An edit that must not land.").exists()


def test_a_dry_run_checks_and_writes_nothing(imh, tmp_path):
    rows = json.loads(export(tmp_path))
    entry = next(row for row in rows if row["model"] == "pathways.entry")
    entry["fields"]["rationale"] = "Edited in the file."
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    before = everything()
    out, err, error = run_import(path, "--dry-run")
    assert error is None, err
    assert f"Dry run: {path} is valid (0 created, 1 updated, 101 unchanged" in out
    assert everything() == before
    path_invalid, index = invalid_copy(tmp_path, json.dumps(rows))
    out, err, error = run_import(path_invalid, "--dry-run")
    assert f"row {index} (pathways.entry infant-mental-health/20)" in err
    assert everything() == before


def test_every_bad_row_is_reported_with_its_place(imh, tmp_path):
    rows = json.loads(export(tmp_path))
    entries = [i for i, row in enumerate(rows) if row["model"] == "pathways.entry"]
    rows[entries[1]]["fields"]["service"] = ["nope"]
    rows[entries[2]]["fields"]["colour"] = "blue"
    rows[entries[3]]["fields"]["rationale"] = ""
    rows.append({"model": "auth.user", "fields": {"username": "mallory"}})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    out, err, error = run_import(path)
    assert error.startswith("4 invalid rows")
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"row {entries[1]} (pathways.entry infant-mental-health/20)")
    assert "service: no service nope in the database or in an earlier valid row" in lines[0]
    assert lines[1] == (
        f"row {entries[2]} (pathways.entry infant-mental-health/30): colour: there is no such field"
    )
    assert lines[2] == (
        f"row {entries[3]} (pathways.entry infant-mental-health/40): "
        "rationale: This field cannot be blank."
    )
    assert lines[3].endswith("'auth.user' is not pathway content")
    assert not Entry.objects.filter(service__slug="nope").exists()


def test_an_import_edits_through_the_history(imh, tmp_path):
    rows = json.loads(export(tmp_path))
    entry_row = next(
        row for row in rows if row["model"] == "pathways.entry" and row["fields"]["position"] == 140
    )
    entry_row["fields"]["rationale"] = "Follow-up Visiting schedule, revised."
    last_intervention = max(
        (
            i
            for i, row in enumerate(rows)
            if row["model"] == "pathways.intervention" and row["fields"]["entry"] == [IMH, 140]
        ),
    )
    removed_text = rows[last_intervention]["fields"]["text"]
    del rows[last_intervention]
    path = tmp_path / "revised.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    out, err, error = run_import(path)
    assert error is None, err
    assert "1 updated" in out and "1 parts removed" in out
    entry = Entry.objects.get(pathway=imh, position=140)
    assert entry.rationale == "Follow-up Visiting schedule, revised."
    assert entry.interventions.count() == 3
    record = entry.history.latest()
    assert record.history_change_reason == "Imported from revised.json"
    assert len(record.parts["interventions"]) == 3
    gone = Intervention.history.filter(history_type="-").get()
    assert gone.text == removed_text
    assert gone.history_change_reason == "Imported from revised.json"
    # The change is now on the public "What changed" page.
    assert "Follow-up Visiting schedule, revised." in _changes_page(imh)


def _changes_page(pathway):
    from django.test import Client

    return Client().get(f"/pathways/{pathway.slug}/changes/").content.decode()


def test_entries_missing_from_the_file_are_left_alone_and_named(imh, tmp_path):
    rows = json.loads(export(tmp_path))
    rows = [
        row
        for row in rows
        if not (
            row["model"] in {"pathways.entry", "pathways.intervention"}
            and (
                row["fields"].get("position") == 190
                and row["model"] == "pathways.entry"
                or row["fields"].get("entry") == [IMH, 190]
            )
        )
    ]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    out, err, error = run_import(path)
    assert error is None, err
    assert "Left as they are: entries at positions 190 of Infant Mental Health" in out
    assert Entry.objects.filter(pathway=imh, position=190).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("not json", "is not a JSON file"), ('{"model": "pathways.tag"}', "must hold a list")],
)
def test_a_file_that_is_not_an_export_is_refused(db, tmp_path, text, message):
    path = tmp_path / "odd.json"
    path.write_text(text, encoding="utf-8")
    out, err, error = run_import(path)
    assert message in (error or "") + err


def test_export_of_an_unknown_pathway_is_an_error(db):
    with pytest.raises(CommandError, match="no pathway with the slug 'nope'"):
        call_command("export_pathway", "nope")


# Issue 16, defect 5: hostile files are refused whole, the row named, nothing written.


def test_a_file_nested_deeper_than_an_export_is_refused_without_a_traceback(imh, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000, encoding="utf-8")
    before = everything()
    out, err, error = run_import(path)
    assert error == (
        f"{path}: row 0: nested deeper than an export ever is (5 levels). Nothing was imported."
    )
    assert "Traceback" not in out + err
    assert everything() == before


def test_deep_nesting_is_named_by_its_row(imh, tmp_path):
    rows = json.loads(export(tmp_path))
    text = json.dumps(rows[:3])[:-1] + ', {"model": "pathways.tag", "fields": [[[[[1]]]]]}]'
    path = tmp_path / "deep-row.json"
    path.write_text(text, encoding="utf-8")
    out, err, error = run_import(path)
    assert error.startswith(f"{path}: row 3: nested deeper than an export ever is")


@pytest.mark.parametrize(
    ("character", "code"), [("\x00", "U+0000"), ("\x02", "U+0002"), ("\x03", "U+0003")]
)
def test_control_characters_in_text_are_refused_naming_the_row(imh, tmp_path, character, code):
    rows = json.loads(export(tmp_path))
    index, row = next((i, r) for i, r in enumerate(rows) if r["model"] == "pathways.entry")
    row["fields"]["rationale"] = f"Published{character}text"
    path = tmp_path / "control.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    before = everything()
    out, err, error = run_import(path)
    assert error == f"1 invalid row in {path}: nothing was imported."
    assert err.startswith(f"row {index} (pathways.entry infant-mental-health/")
    assert f"rationale: contains {code}, a control character" in err
    assert everything() == before
    assert not [
        text for text in Entry.objects.values_list("rationale", flat=True) if character in text
    ]


def test_duplicate_keys_are_refused_naming_the_row_and_the_key(imh, tmp_path):
    rows = json.loads(export(tmp_path))
    index = next(i for i, r in enumerate(rows) if r["model"] == "pathways.entry")
    text = json.dumps(rows[index]["fields"])
    forged = text.replace('"rationale": ', '"rationale": "Silently winning?", "rationale": ', 1)
    rows[index] = "PLACEHOLDER"
    path = tmp_path / "duplicate.json"
    path.write_text(
        json.dumps(rows).replace(
            '"PLACEHOLDER"', f'{{"model": "pathways.entry", "fields": {forged}}}'
        ),
        encoding="utf-8",
    )
    before = everything()
    out, err, error = run_import(path)
    assert error == f"1 invalid row in {path}: nothing was imported."
    assert f"row {index} (pathways.entry" in err
    assert "fields given more than once: 'rationale'; each may appear only once" in err
    assert everything() == before


@pytest.mark.parametrize("label", [["pathways.tag"], {"a": 1}, None, 7])
def test_a_model_that_is_not_a_name_is_refused_naming_the_row(imh, tmp_path, label):
    # Found by the fuzz suite: a list or an object as the model was a TypeError traceback.
    path = tmp_path / "odd-model.json"
    path.write_text(json.dumps([{"model": label, "fields": {}}]), encoding="utf-8")
    before = everything()
    out, err, error = run_import(path)
    assert error == f"1 invalid row in {path}: nothing was imported."
    assert err.startswith(f"row 0 ({label} ") and "is not pathway content" in err
    assert everything() == before


@pytest.mark.parametrize("label", ["pathways.area", "pathways.localservice", "pathways.localnote"])
def test_a_pathway_file_never_carries_an_areas_content(imh, tmp_path, label):
    # An area's services and notes are changed by its own staff (the directory CSV), never
    # by the operator's whole-pathway file.
    path = tmp_path / "local.json"
    path.write_text(json.dumps([{"model": label, "fields": {"name": "x"}}]), encoding="utf-8")
    before = everything()
    out, err, error = run_import(path)
    assert error == f"1 invalid row in {path}: nothing was imported."
    assert f"'{label}' is not pathway content" in err
    assert everything() == before


@pytest.mark.parametrize(
    ("model", "field", "value", "message"),
    [
        ("pathways.pathway", "last_reviewed", 12, "last_reviewed: 12 cannot be read"),
        ("pathways.intervention", "text", None, "text: a value is needed, not null"),
        ("pathways.entry", "rationale", ["a"], "rationale: expected one value, not a list"),
        ("pathways.entry", "service", "health-visiting", "service: expected a natural key"),
        ("pathways.entry", "id", 5, "id: cannot be imported"),
        ("pathways.pathway", "related_pathways", "all", "expected a list of natural keys"),
        (
            "pathways.pathway",
            "last_reviewed",
            "2026-02-30",
            "last_reviewed: “2026-02-30” value has the correct format (YYYY-MM-DD) but it is an "
            "invalid date.",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_row(
    imh, tmp_path, model, field, value, message
):
    # The first three were found by the fuzz suite as tracebacks (TypeError, AttributeError);
    # the others are values no export writes: a key that is not a list, the id, a bad date.
    rows = json.loads(export(tmp_path))
    index = next(i for i, row in enumerate(rows) if row["model"] == model)
    rows[index]["fields"][field] = value
    path = tmp_path / "wrong-type.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    before = everything()
    out, err, error = run_import(path)
    assert error == f"1 invalid row in {path}: nothing was imported."
    assert err.startswith(f"row {index} ({model}") and message in err
    assert everything() == before


@pytest.mark.parametrize(
    ("row", "place"),
    [
        ("pathways.tag", "row 0"),
        (7, "row 0"),
        ({"model": "pathways.tag", "fields": ["name"]}, "row 0 (pathways.tag None)"),
    ],
)
def test_a_row_that_is_not_an_object_of_fields_is_refused_naming_it(imh, tmp_path, row, place):
    path = tmp_path / "odd-row.json"
    path.write_text(json.dumps([row]), encoding="utf-8")
    before = everything()
    out, err, error = run_import(path)
    assert error == f"1 invalid row in {path}: nothing was imported."
    assert err.strip() == f'{place}: expected {{"model": ..., "fields": {{...}}}}'
    assert everything() == before


def test_a_file_that_cannot_be_read_is_named(db, tmp_path):
    out, err, error = run_import(tmp_path / "missing.json")
    assert error == f"Cannot read {tmp_path / 'missing.json'}: No such file or directory."
    latin = tmp_path / "latin-1.json"
    latin.write_bytes(
        '[{"model": "pathways.tag", "fields": {"name": "Caf\xe9"}}]'.encode("latin-1")
    )
    out, err, error = run_import(latin)
    assert error.startswith(f"{latin} is not a JSON file: 'utf-8' codec can't decode byte 0xe9")
