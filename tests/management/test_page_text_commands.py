"""import_pathway_text and export_pathway_text (issue 24): seed 000 into an empty database
gives the page the fixtures give, and a pathway's text survives export and import."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pathways.models import (
    AgeBand,
    Entry,
    Intervention,
    Pathway,
    ReadingNote,
    Service,
    Stage,
    Tag,
)
from pathways.publishing import ChangeKind, PendingChange

from ..browsing.test_faithfulness import OURS, pathway_seed_lines
from ..conftest import IMH_URL
from ..pagetext import is_subsequence, visible_lines

SEED = str(Path(__file__).parent.parent / "data" / "000_daf425ab71d75f66.txt")


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def empty_the_content() -> None:
    for model in (Intervention, Entry, ReadingNote, Pathway, Stage, AgeBand, Service, Tag):
        model.objects.all().delete()


def results(client) -> list[str]:
    html = client.get(IMH_URL).content.decode()
    return visible_lines(html, within_id="results", skip_classes=OURS)


def test_seed_000_into_an_empty_database_gives_the_fixtures_page(client, imh):
    fixtures_page = visible_lines(client.get(IMH_URL).content.decode())
    fixtures_results = results(client)
    empty_the_content()
    out, _ = run("import_pathway_text", SEED, "--slug", "infant-mental-health", "--publish")
    assert "Line 289: “as above” linked to “Follow-up Visiting schedule.”" in out
    assert "Published “Infant Mental Health” (19 entries)" in out
    imported_results = results(client)
    assert imported_results == fixtures_results  # entry by entry, in order, typos kept
    page = visible_lines(client.get(IMH_URL).content.decode())
    start = page.index("Infant Mental Health")
    assert page[start : start + 4] == fixtures_page[start : start + 4]  # title and notes
    # The faithfulness test's checks, against the imported page.
    seed = pathway_seed_lines()
    assert is_subsequence(seed, page)[0]
    assert imported_results == seed[seed.index("Birth - 6 weeks") :]
    record = Pathway.objects.get(slug="infant-mental-health").history.get()
    assert record.history_user is None
    assert record.history_change_reason == (
        "Operator's bootstrap: imported from page text 000_daf425ab71d75f66.txt"
    )


def test_publish_is_refused_where_the_pathway_is_published(imh):
    entries = Entry.objects.count()
    with pytest.raises(CommandError, match="nothing was saved"):
        run("import_pathway_text", SEED, "--slug", "infant-mental-health", "--publish")
    assert Entry.objects.count() == entries


def test_by_a_staff_member_makes_a_pending_import(client, imh, editor):
    before = results(client)
    out, _ = run("import_pathway_text", SEED, "--slug", "infant-mental-health", "--by", "erin")
    assert "Nothing is live until another publisher approves it" in out
    change = PendingChange.objects.get()
    assert change.kind == ChangeKind.IMPORT and change.proposed_by == editor
    with pytest.raises(CommandError, match="nothing was saved"):  # its title is taken
        run("import_pathway_text", SEED, "--slug", "imh-again", "--by", "erin")
    assert results(client) == before


def test_unreadable_text_names_its_lines_and_saves_nothing(tmp_path, imh, editor):
    bad = tmp_path / "bad.txt"
    text = Path(SEED).read_text(encoding="utf-8").replace("\nHealth Visiting\n", "\n", 1)
    bad.write_text(text, encoding="utf-8")
    entries = Entry.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_pathway_text", str(bad), "--slug", "bad", "--by", "erin", stderr=err)
    assert "bad.txt, line 22: expected the service" in err.getvalue()
    for bad_bytes in (b"\xff\xfe not utf-8", b"text\x00binary"):
        bad.write_bytes(bad_bytes)
        with pytest.raises(CommandError, match="nothing was saved"):
            run("import_pathway_text", str(bad), "--slug", "bad", "--publish")
    assert Entry.objects.count() == entries and not Pathway.objects.filter(slug="bad").exists()


def test_dry_run_reports_and_writes_nothing(imh):
    out, _ = run("import_pathway_text", SEED, "--slug", "infant-mental-health", "--dry-run")
    assert "19 entries, 0 to add, change, move or remove" in out
    out, _ = run("import_pathway_text", SEED, "--slug", "new-one", "--dry-run")
    assert out.count("Added: ") == 19
    assert not Pathway.objects.filter(slug="new-one").exists()


def test_export_import_under_another_slug_export_again_is_identical(tmp_path, imh):
    first = tmp_path / "first.txt"
    run("export_pathway_text", "infant-mental-health", "--output", str(first))
    empty_the_content()  # the title is unique: the copy stands alone
    run("import_pathway_text", str(first), "--slug", "imh-copy", "--publish")
    again, _ = run("export_pathway_text", "imh-copy")
    assert again == first.read_text(encoding="utf-8")
    assert again.count("\n") > 100
