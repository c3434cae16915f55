"""`make backup` and `make restore`: the content survives a round trip byte for byte, and a
restore never quietly merges into content that is already there."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pathways.models import Entry, Intervention, Pathway

from ..conftest import IMH_URL


def back_up(path):
    call_command("backup", output=str(path), verbosity=0)
    return path.read_bytes()


def test_a_backup_restored_into_an_empty_database_dumps_identically(imh, tmp_path, client):
    # An editor's change since the fixtures were loaded is part of the content too.
    Entry.objects.filter(pathway=imh, position=20).update(rationale="Reviewed wording.")
    first = back_up(tmp_path / "first.json")
    assert b'"model": "pathways.intervention"' in first
    assert b'"pk"' not in first  # natural keys only: loads the same on any database

    # An empty database: every table emptied. PostgreSQL will not empty a table with foreign
    # key checks still pending in this test's transaction, so run them first.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    assert not Pathway.objects.exists() and not Intervention.objects.exists()

    call_command("restore", str(tmp_path / "first.json"), verbosity=0)
    assert back_up(tmp_path / "second.json") == first
    page = client.get(IMH_URL).content.decode()
    assert "Showing 19 of 19 rationales" in page
    assert "Reviewed wording." in page
    # Outside the two-person rule, as loading fixtures is, and history says so: no person.
    record = Entry.objects.get(pathway__slug="infant-mental-health", position=20).history.latest()
    assert record.history_change_reason.startswith("Restored by an operator from a backup")
    assert record.history_user is None


def test_backup_names_the_file_by_time(imh, tmp_path, monkeypatch):
    from pathways.management.commands import backup

    monkeypatch.setattr(backup, "BACKUP_DIR", tmp_path / "backups")
    call_command("backup", verbosity=0)
    (written,) = (tmp_path / "backups").iterdir()
    assert written.name.endswith("Z.json") and len(written.name) == len("20250101T120000Z.json")


def test_restore_refuses_a_database_that_has_content(imh, tmp_path):
    back_up(tmp_path / "backup.json")
    with pytest.raises(CommandError, match="already has pathway content"):
        call_command("restore", str(tmp_path / "backup.json"), verbosity=0)


def test_restore_can_replace_the_content_it_finds(imh, tmp_path):
    back_up(tmp_path / "backup.json")
    Entry.objects.filter(pathway=imh, position=20).update(rationale="Edited after the backup.")
    added = Entry.objects.filter(pathway=imh).first()
    added.pk, added.number, added.position = None, None, 999
    added.save()

    call_command("restore", str(tmp_path / "backup.json"), replace=True, verbosity=0)

    assert Entry.objects.filter(pathway__slug="infant-mental-health").count() == 19
    assert not Entry.objects.filter(rationale="Edited after the backup.").exists()
    assert back_up(tmp_path / "again.json") == (tmp_path / "backup.json").read_bytes()


def test_an_areas_services_and_notes_survive_a_backup_and_restore(example_area, tmp_path):
    from pathways.local.models import Area, LocalNote, LocalService

    first = back_up(tmp_path / "first.json")
    assert b'"model": "pathways.localservice"' in first
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(tmp_path / "first.json"), verbosity=0)
    assert back_up(tmp_path / "second.json") == first
    service = LocalService.objects.get(area__slug="north-example", slug="perinatal-mental-health")
    assert [e.number for e in service.serves_entries.all()] == [10]
    assert LocalNote.objects.get(area__slug="north-example").entry.number == 10
    assert Area.objects.get(slug="north-example").status == "published"
    # Replacing content deletes an area's additions before the entries they name.
    call_command("restore", str(tmp_path / "first.json"), replace=True, verbosity=0)
    assert back_up(tmp_path / "third.json") == first
