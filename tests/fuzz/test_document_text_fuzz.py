"""Arbitrary text into the policy document reader (pathways/editing/document_text.py): it
reads a document or raises DocumentTextError naming lines of the text, nothing else; and what
it reads it writes as text that reads back the same. Arbitrary bytes uploaded to the admin's
Import from text: never a 5xx, nothing saved."""

import os

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.editing.document_text import (
    DocumentTextError,
    read_document_text,
    write_document_text,
)
from pathways.models import ContextDocument, DocumentSection
from pathways.publishing import PendingChange

from ..conftest import ROOT, examples
from .counts import record

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=examples(EXAMPLES * 5),  # pure and quick: no request, no database
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEED_LINES = (ROOT / "tests" / "data" / "004_45ee33944793d219.txt").read_text().split("\n")


def reads_or_names_lines(text: str) -> None:
    try:
        document = read_document_text(text)
    except DocumentTextError as error:
        assert error.problems
        last = text.count("\n") + text.count("\r") + 1
        assert all(isinstance(line, int) and 0 <= line <= last for line, _ in error.problems)
        assert all(isinstance(what, str) and what for _, what in error.problems)
        return
    assert read_document_text(write_document_text(document)) == document


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text(text):
    reads_or_names_lines(text)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(SEED_LINES) - 1),
            st.one_of(st.text(max_size=40), st.sampled_from(["Area of focus:", "1. A", ":", ""])),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_seed_with_lines_replaced(replacements):
    lines = list(SEED_LINES)
    for index, text in replacements:
        lines[index] = text
    reads_or_names_lines("\n".join(lines))


@settings(
    max_examples=examples(EXAMPLES),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.binary(max_size=300), st.sampled_from(["preview", "save"]))
def test_arbitrary_uploads_to_the_admin_import(client, imh, editor, data, action):
    client.force_login(editor)
    before = (ContextDocument.history.count(), DocumentSection.objects.count())
    upload = SimpleUploadedFile("plan.txt", data, "text/plain")
    response = client.post(
        "/admin/pathways/contextdocument/import-text/",
        {"slug": "fuzzed", "upload": upload, "action": action},
    )
    record("admin document import", response.status_code)
    assert response.status_code == 200
    assert (ContextDocument.history.count(), DocumentSection.objects.count()) == before
    assert not PendingChange.objects.exists()
