"""Arbitrary bytes into the directory's doors: the reader (pathways/local/directory.py) reads a
file or names its problems by line, nothing else; the admin's import answers every upload or
paste without a 5xx and writes all it proposes or nothing (never a partial write, never a
live row); the area's public pages and its report form take any address or words."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from pathways.local.directory import (
    COLUMNS,
    DirectoryError,
    directory_changes,
    read_directory,
    write_directory,
)
from pathways.local.models import LocalService
from pathways.models import ProblemReport
from pathways.publishing import PendingChange

from .test_fuzz import BYTES, FUZZ, PROBE, TEXT, check, encoded, form_body

IMPORT = "/admin/pathways/localservice/import/?area=north-example"
CELL = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "",
            "yes",
            "maybe",
            "2026-02-30",
            '=HYPERLINK("https://evil.example","x")',
            "'=1+1",
            "javascript:alert(1)",
            "https://example.org/",
            "infant-mental-health#10",
            "infant-mental-health#9999",
            "targeted-support;nope",
            "a\r\nb",
            '"',
            "\x00",
        ]
    ),
)
EDITS = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(COLUMNS), CELL), min_size=1, max_size=4
)


def live_rows() -> tuple:
    return tuple(LocalService.objects.order_by("pk").values_list())


def edited_export(area, edits) -> bytes:
    """The area's export with some cells replaced (row 3: a new service)."""
    rows = list(csv.DictReader(io.StringIO(write_directory(area).removeprefix("\ufeff"))))
    rows.append({**rows[0], "slug": "a-new-one", "name": "A New One"})
    for index, column, value in edits:
        rows[index][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


def expected_changes(data: bytes, area) -> int | None:
    """How many pending changes proposing `data` makes: None when the file is refused."""
    try:
        changes = directory_changes(area, read_directory(data, area))
    except DirectoryError as error:
        assert error.problems and all(isinstance(line, int) for line, _, _ in error.problems)
        return None
    return sum(change.what != "unchanged" for change in changes) or None


def propose_through_the_admin(client, area, data: bytes, as_upload: bool) -> None:
    """Posts `data` to the admin's import as an editor would, inside a savepoint rolled back
    after, and checks it wrote everything it proposed or nothing."""
    with transaction.atomic():
        expected = expected_changes(data, area)
        before, pending = live_rows(), PendingChange.objects.pending().count()
        if as_upload:
            fields = {"upload": SimpleUploadedFile("d.csv", data, "text/csv")}
        else:
            fields = {"text": data.decode("utf-8", "replace")}
            expected = expected_changes(fields["text"].encode(), area)
        response = client.post(IMPORT, {**fields, "action": "propose"})
        check("admin directory import", response, data)
        assert live_rows() == before  # nothing goes live without an approval
        made = PendingChange.objects.pending().count() - pending
        if response.status_code == 302:
            assert made == expected
        else:
            assert made == 0
        transaction.set_rollback(True)


@FUZZ
@given(data=BYTES, as_upload=st.booleans())
def test_arbitrary_bytes_to_the_admin_import(client, example_area, data, as_upload):
    client.force_login(example_area.editor)
    propose_through_the_admin(client, example_area.area, data, as_upload)


@FUZZ
@given(edits=EDITS, as_upload=st.booleans())
def test_the_export_with_cells_replaced_to_the_admin_import(client, example_area, edits, as_upload):
    client.force_login(example_area.editor)
    data = edited_export(example_area.area, edits)
    propose_through_the_admin(client, example_area.area, data, as_upload)


@FUZZ
@given(data=BYTES)
def test_arbitrary_bytes_to_the_preview(client, example_area, data):
    client.force_login(example_area.editor)
    upload = SimpleUploadedFile("d.csv", data, "text/csv")
    response = client.post(IMPORT, {"upload": upload, "action": "preview"})
    check("admin directory preview", response, data)
    assert response.status_code == 200
    assert PROBE not in response.content  # what the file says is shown escaped


AREA_ADDRESSES = [
    "/areas/{}/",
    "/areas/{}/services/gp-liaison/report/",
    "/areas/north-example/services/{}/report/",
    "/areas/north-example/services/{}/report/sent/",
    "/admin/pathways/localservice/download/?area={}",
    "/admin/pathways/localservice/import/?area={}",
]


@FUZZ
@given(segment=BYTES, template=st.sampled_from(AREA_ADDRESSES))
def test_area_addresses(client, example_area, segment, template):
    client.force_login(example_area.editor)
    response = client.get(template.format(encoded(segment)))
    check("area addresses", response, segment)


@FUZZ
@given(text=BYTES, email=BYTES)
def test_service_report_form(client, example_area, text, email):
    before = ProblemReport.objects.count()
    response = client.post(
        "/areas/north-example/services/gp-liaison/report/",
        form_body({"text": text, "email": email}),
        content_type="application/x-www-form-urlencoded",
    )
    check("service report form", response, text + email)
    if response.status_code != 302:
        assert ProblemReport.objects.count() == before
    cache.clear()  # the hourly limit is tested elsewhere


@pytest.mark.parametrize("column", ["offers", "hours", "web_url", "serves_entries"])
def test_every_column_takes_a_probe_without_a_5xx(client, example_area, column):
    client.force_login(example_area.editor)
    data = edited_export(example_area.area, [(0, column, PROBE.decode())])
    propose_through_the_admin(client, example_area.area, data, True)
