"""import_document_text and export_document_text: seed 004 bootstrapped into an empty database
gives the delivery plan's page as the fixtures do; an import without --publish waits for a
second person; a round trip gives the same text; bad text, files and arguments write nothing."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from pathways.models import ContextDocument, DocumentSection, Pathway
from pathways.publishing import ChangeKind, Decision, PendingChange, authors_of

from ..conftest import ROOT
from ..pagetext import visible_lines

SLUG = "pimh-delivery-plan-2021-2022"
SEED = ROOT / "tests" / "data" / "004_45ee33944793d219.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
NEW_WORDS = "Family Nurses across Scotland are supporting"


def run(*args) -> tuple[str, str, str | None]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), str(error)
    return out.getvalue(), err.getvalue(), None


def write(tmp_path, text: str | bytes, name: str = "plan.txt") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def page(client, slug: str = SLUG) -> list[str]:
    response = client.get(f"/documents/{slug}/")
    assert response.status_code == 200
    return visible_lines(response.content.decode(), within_id="maincontent")


def stored() -> tuple:
    """What an import could write: documents, sections, their history, pending changes."""
    return (
        list(ContextDocument.objects.values()),
        list(DocumentSection.objects.values()),
        ContextDocument.history.count(),
        DocumentSection.history.count(),
        PendingChange.objects.count(),
    )


def changed_seed() -> str:
    return SEED_TEXT.replace("Family Nurses are supporting", NEW_WORDS)


def test_seed_004_bootstrapped_into_an_empty_database_gives_the_fixtures_page(
    client, imh, nothing_reused
):
    with_fixtures = page(client)
    ContextDocument.objects.all().delete()
    assert not DocumentSection.objects.exists()

    out, err, error = run("import_document_text", str(SEED), "--slug", SLUG, "--publish")

    assert error is None, err
    document = ContextDocument.objects.get(slug=SLUG)
    assert f"Published “{document}” at /documents/{SLUG}/." in out
    # The link back to the pathway is the pathway's (its policy context), not the document's.
    Pathway.objects.filter(pk=imh.pk).update(policy_context=document)
    assert page(client) == with_fixtures
    assert document.sections.count() == 10


def test_a_bootstrap_is_recorded_as_an_operators_with_no_person(imh):
    ContextDocument.objects.all().delete()
    run("import_document_text", str(SEED), "--slug", SLUG, "--publish")
    document = ContextDocument.objects.get(slug=SLUG)
    reason = f"Operator's bootstrap: imported from document text {SEED.name}"
    record = document.history.get()
    assert (record.history_change_reason, record.history_user, len(record.parts["sections"])) == (
        reason,
        None,
        10,
    )
    sections = DocumentSection.history.filter(document_id=document.pk)
    assert {(r.history_change_reason, r.history_user) for r in sections} == {(reason, None)}
    assert authors_of(document) == set()  # approved, as loaded fixtures are


def test_publish_into_a_database_with_the_document_writes_nothing(imh, tmp_path):
    before = stored()
    _, _, error = run(
        "import_document_text", write(tmp_path, changed_seed()), "--slug", SLUG, "--publish"
    )
    assert "exists already" in error and "Nothing was written" in error
    assert stored() == before


def test_export_import_under_another_slug_and_export_again_gives_the_same_text(imh, tmp_path):
    first = tmp_path / "first.txt"
    run("export_document_text", SLUG, "--output", str(first))
    out, err, error = run("import_document_text", str(first), "--slug", "copy", "--publish")
    assert error is None, err
    again, _, _ = run("export_document_text", "copy")
    assert again == first.read_text(encoding="utf-8")
    assert again.startswith("Perinatal and Infant Mental Health Programme Board: delivery plan")
    assert "Area of focus:\n\n3. Develop a framework" in again


def test_export_of_an_unknown_slug_says_so(imh):
    _, _, error = run("export_document_text", "no-such-plan")
    assert error == "No document has the slug “no-such-plan”."


def test_an_import_by_a_staff_member_waits_for_another_publisher(
    client, imh, editor, publisher, nothing_reused, tmp_path
):
    out, err, error = run(
        "import_document_text", write(tmp_path, changed_seed()), "--slug", SLUG, "--by", "erin"
    )
    assert error is None, err
    assert "waits for approval by another publisher" in out
    change = PendingChange.objects.pending().get()
    assert (change.kind, change.proposed_by, change.reason) == (
        ChangeKind.CHANGE,
        editor,
        "Imported from document text",
    )
    assert not any(NEW_WORDS in line for line in page(client))
    with pytest.raises(PermissionDenied):
        change.approve(editor)
    change.approve(publisher)
    assert any(NEW_WORDS in line for line in page(client))
    # Sections keep their ids: only the one changed has a new version.
    assert DocumentSection.history.filter(history_change_reason=change.reason).count() == 1


def test_a_new_document_by_a_staff_member_exists_only_once_approved(
    client, imh, editor, publisher, nothing_reused, tmp_path
):
    run("import_document_text", write(tmp_path, changed_seed()), "--slug", "plan-2", "--by", "erin")
    change = PendingChange.objects.pending().get()
    assert change.kind == ChangeKind.CREATE
    assert client.get("/documents/plan-2/").status_code == 404
    change.approve(publisher)
    assert change.decision == Decision.APPROVED
    lines = page(client, "plan-2")
    assert lines[0].startswith("Perinatal and Infant Mental Health Programme Board")
    assert any(NEW_WORDS in line for line in lines)
    document = ContextDocument.objects.get(slug="plan-2")
    assert document.history.get().history_user == editor


def test_a_second_new_document_of_a_waiting_slug_is_refused(imh, editor, tmp_path):
    file = write(tmp_path, changed_seed())
    run("import_document_text", file, "--slug", "plan-2", "--by", "erin")
    before = stored()
    _, _, error = run("import_document_text", file, "--slug", "plan-2", "--by", "erin")
    assert "already waits for approval" in error
    assert stored() == before


def test_the_live_text_again_is_no_change(imh, editor):
    before = stored()
    _, _, error = run("import_document_text", str(SEED), "--slug", SLUG, "--by", "erin")
    assert "same as the live document" in error
    assert stored() == before


def test_text_that_cannot_be_read_names_each_line_and_writes_nothing(imh, editor, tmp_path):
    text = SEED_TEXT.replace("2. Raise", "1. Raise").replace("What we did:\n\nWave 3", "Wave 3")
    before = stored()
    _, err, error = run(
        "import_document_text", write(tmp_path, text), "--slug", "x", "--by", "erin"
    )
    assert error.endswith("nothing was written.")
    assert "line 22: section 1 is numbered twice (first at line 12)" in err
    assert stored() == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--slug", "x"], "--by USERNAME"),
        (["--slug", "x", "--by", "nobody"], "no active staff member"),
        (["--slug", "not a slug", "--publish"], "--slug 'not a slug'"),
        (["--slug", "x" * 101, "--publish"], "at most 100 characters"),
    ],
)
def test_bad_arguments_write_nothing(imh, tmp_path, args, expected):
    before = stored()
    _, _, error = run("import_document_text", str(SEED), *args)
    assert expected in error
    assert stored() == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Café".encode("latin-1"), "is not UTF-8 text"),
        (b"", "it is empty"),
        (("x" * 1_000_001).encode(), "over 1,000,000 bytes"),
    ],
)
def test_bad_files_write_nothing(imh, tmp_path, content, expected):
    before = stored()
    _, err, error = run(
        "import_document_text", write(tmp_path, content), "--slug", "x", "--publish"
    )
    assert expected in err + error
    assert stored() == before


def test_a_missing_file_is_named(imh, tmp_path):
    _, _, error = run(
        "import_document_text", str(tmp_path / "none.txt"), "--slug", "x", "--publish"
    )
    assert error.startswith(f"Cannot read {tmp_path / 'none.txt'}")


def test_a_dry_run_reads_and_checks_and_writes_nothing(imh, tmp_path):
    before = stored()
    out, _, error = run(
        "import_document_text", str(SEED), "--slug", "copy", "--publish", "--dry-run"
    )
    assert error is None
    assert "holds “Perinatal and Infant Mental Health" in out and "10 sections" in out
    assert stored() == before
