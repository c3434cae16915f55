"""An area's directory as a spreadsheet: downloaded, edited, imported as one pending change per
service, approved by a publisher of the area; a file with any bad row proposes nothing; hostile
files are refused by line and column. And the public directory page of an area."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from playwright.sync_api import expect

from pathways.local.directory import (
    COLUMNS,
    NOTHING_CHANGES,
    DirectoryError,
    propose_directory,
    read_directory,
    write_directory,
)
from pathways.local.models import EXAMPLE, LocalService
from pathways.models import Pathway
from pathways.publishing import ChangeKind, Decision, PendingChange, Status
from tests.browsing.test_browser import DESKTOP, PHONE
from tests.browsing.test_several_pathways import axe_violations
from tests.editing.test_approval_browser import sign_in
from tests.editing.test_staff_accessibility import problems as staff_problems
from tests.local_area import IMH, MBU_ENTRY
from tests.pagetext import visible_lines

pytestmark = pytest.mark.django_db

IMPORT = "/admin/pathways/localservice/import/"
DOWNLOAD = "/admin/pathways/localservice/download/"
NORTH = "north-example"


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def as_file(rows: list[dict[str, str]], columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def problems_of(data: bytes, area) -> list[str]:
    with pytest.raises(DirectoryError) as raised:
        read_directory(data, area)
    return raised.value.messages


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft_service(area) -> LocalService:
    """A draft in the area's directory, written directly (a draft waits for nobody)."""
    return LocalService.objects.create(
        area=area,
        name="A Draft Clinic",
        slug="draft-clinic",
        offers="Soon.",
        referral_phone="0161 496 0001",
    )


def snapshot() -> tuple:
    """What an import must not touch: the services, and the changes made so far (the example
    area's approvals among them)."""
    services = {s.pk: (s.name, s.hours, s.status) for s in LocalService.objects.all()}
    return services, PendingChange.objects.count()


def nothing_written(before: tuple) -> None:
    assert snapshot() == before
    assert not PendingChange.objects.pending().exists()


# Export and import round trips.


def test_the_download_is_the_directory_with_drafts_for_the_areas_staff(example_area):
    draft = draft_service(example_area.area)
    response = signed_in(example_area.editor).get(DOWNLOAD, {"area": NORTH})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffslug,name,offers,")
    rows = rows_of(text)
    assert [r["slug"] for r in rows] == [
        "draft-clinic",
        "perinatal-mental-health",
        "postnatal-groups",
        "gp-liaison",
    ]  # directory order: by name
    perinatal = rows[1]
    assert perinatal["serves_entries"] == f"{IMH}#{MBU_ENTRY}"
    assert perinatal["referral_phone"] == "0161 496 0000"
    assert perinatal["is_example"] == "yes" and perinatal["remove"] == "no"
    assert rows[3]["serves_tags"] == "targeted-support"
    assert rows[2]["serves_services"] == "childrens-centres-eyfs"
    assert draft.slug in text


def test_export_then_import_matches_the_directory(example_area):
    data = write_directory(example_area.area).encode()
    rows = read_directory(data, example_area.area)
    with pytest.raises(DirectoryError) as raised:
        propose_directory(example_area.area, rows, example_area.editor)
    assert raised.value.messages == [NOTHING_CHANGES]
    assert not PendingChange.objects.pending().exists()
    # The admin says so in its preview, with nothing to propose.
    client = signed_in(example_area.editor)
    upload = SimpleUploadedFile("north.csv", data, "text/csv")
    page = client.post(f"{IMPORT}?area={NORTH}", {"upload": upload, "action": "preview"})
    lines = visible_lines(page.content.decode(), within_id="directory-preview")
    assert sum("Unchanged" in line for line in lines) == 3
    said = visible_lines(page.content.decode())
    assert "The file matches the directory: nothing to propose." in said
    assert b'value="propose"' not in page.content


def test_edit_one_cell_import_approve_and_the_export_is_the_edited_file(example_area):
    area = example_area.area
    rows = rows_of(write_directory(area))
    rows[0]["hours"] = "Monday to Thursday, 8:30 to 16:00"  # perinatal-mental-health
    edited = as_file(rows)
    client = signed_in(example_area.editor)
    preview = client.post(
        f"{IMPORT}?area={NORTH}",
        {"upload": SimpleUploadedFile("north.csv", edited, "text/csv"), "action": "preview"},
    )
    lines = visible_lines(preview.content.decode(), within_id="directory-preview")
    assert any("Changed" in line for line in lines)
    assert "Monday to added: Thursday, 8:30 to added: 16:00" in lines
    assert not PendingChange.objects.pending().exists()  # a preview proposes nothing
    # The form carries the file's text: proposing reads it again.
    text = edited.decode("utf-8-sig")
    response = client.post(
        f"{IMPORT}?area={NORTH}",
        {"text": text, "action": "propose", "change_reason": "Hours from the team"},
    )
    assert response.status_code == 302
    change = PendingChange.objects.pending().get()
    assert (change.kind, change.area, change.reason) == (
        ChangeKind.CHANGE,
        area,
        "Hours from the team",
    )
    perinatal = example_area.services["perinatal-mental-health"]
    perinatal.refresh_from_db()
    assert perinatal.hours == "Monday to Friday, 9:00 to 17:00"  # nothing live yet
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(f"/admin/pathways/pendingchange/{change.pk}/change/" in m for m in messages)
    change.approve(example_area.publisher)
    assert write_directory(area).encode() == edited


def test_new_and_removed_services_are_pending_changes_each(example_area):
    area = example_area.area
    rows = rows_of(write_directory(area))
    rows[2]["remove"] = "yes"  # gp-liaison
    new = dict.fromkeys(COLUMNS, "")
    new |= {
        "slug": "baby-clinic",
        "name": "North Example Baby Clinic",
        "offers": "Weighing.",
        "referral_phone": "+44 161 496 0002",
        "serves_entries": f"{IMH}#{MBU_ENTRY}",
    }
    rows.append(new)
    changes = propose_directory(area, read_directory(as_file(rows), area), example_area.editor)
    assert sorted(c.kind for c in changes) == [ChangeKind.CREATE, ChangeKind.DELETE]
    assert all(c.area == area for c in changes)
    assert LocalService.objects.filter(area=area).count() == 3  # nothing live yet
    for change in changes:
        change.approve(example_area.publisher)
    services = {s.slug: s for s in LocalService.objects.filter(area=area)}
    assert "gp-liaison" not in services
    clinic = services["baby-clinic"]
    assert clinic.status == Status.DRAFT  # a new service arrives as a draft
    assert clinic.referral_phone == "+44 161 496 0002"
    assert [e.number for e in clinic.serves_entries.all()] == [MBU_ENTRY]


def test_a_file_naming_some_services_and_some_columns_leaves_the_rest_alone(example_area):
    area = example_area.area
    data = b"slug,name,hours\r\ngp-liaison,North Example Primary Care Liaison,Tuesdays\r\n"
    (change,) = propose_directory(area, read_directory(data, area), example_area.editor)
    change.approve(example_area.publisher)
    liaison = LocalService.objects.get(area=area, slug="gp-liaison")
    assert liaison.hours == "Tuesdays"
    assert liaison.offers == "Advice for practices planning integrated care."
    assert [t.slug for t in liaison.serves_tags.all()] == ["targeted-support"]
    assert LocalService.objects.filter(area=area).count() == 3


def test_a_bad_row_names_its_line_and_field_and_nothing_is_proposed(example_area):
    area = example_area.area
    before = snapshot()
    rows = rows_of(write_directory(area))
    rows[0]["hours"] = "Weekdays"  # a good change, on line 2
    rows[1]["referral_email"] = "not an address"  # line 3
    rows[2]["last_verified"] = "31/03/2026"  # line 4
    data = as_file(rows)
    assert problems_of(data, area) == [
        "Line 3, referral_email: Enter a valid email address.",
        "Line 4, last_verified: Expected a date as 2026-03-31 (year-month-day).",
    ]
    client = signed_in(example_area.editor)
    upload = SimpleUploadedFile("north.csv", data, "text/csv")
    page = client.post(f"{IMPORT}?area={NORTH}", {"upload": upload, "action": "propose"})
    assert page.status_code == 200
    lines = visible_lines(page.content.decode(), within_id="directory-problems")
    assert "Line 3, referral_email: Enter a valid email address." in lines
    nothing_written(before)


def test_a_row_that_says_nothing_of_how_to_refer_is_refused(example_area):
    data = b"slug,name,offers\nnew-one,New One,Something.\n"
    assert problems_of(data, example_area.area) == [
        "Line 2: Say how to refer: a route in words, a form link, a phone number or an email."
    ]


# Hostile files.


def header(*cells: str) -> bytes:
    return (",".join(cells) + "\n").encode()


LIAISON = "gp-liaison,North Example Primary Care Liaison"


HOSTILE = {
    "nul": (
        b"slug,name\ngp-liaison,North\x00\n",
        "Expected a text file (this one is binary).",
    ),
    "binary": (bytes(range(256)) * 4, "Expected a text file (this one is binary)."),
    "latin-1": (
        "slug,name\ngp-liaison,Caf\xe9\n".encode("latin-1"),
        "Expected UTF-8 text (byte 25 is not UTF-8).",
    ),
    "5 MB": (b"a" * 5_000_000, "The file is over 1,000,000 bytes."),
    "100,000 rows": (
        b"slug,name\n" + b"x,y\r\n" * 100_000,
        "Line 2002: Expected at most 2,000 services in one file.",
    ),
    "1 MB cell": (
        header("slug", "name", "offers") + b'gp-liaison,N,"' + b"x" * 999_000 + b'"\n',
        "Line 2: A cell is over 131,072 characters.",
    ),
    "javascript URL": (
        header("slug", "name", "web_url") + LIAISON.encode() + b",javascript:alert(1)\n",
        "Line 2, web_url: Enter a valid URL.",
    ),
    "script": (
        header("slug", "name", "offers") + LIAISON.encode() + b",<script>alert(1)</script>\n",
        "Line 2, offers: A line contains markup (<script>)",
    ),
    "control character": (
        header("slug", "name", "hours") + LIAISON.encode() + b",Mon\x07day\n",
        "Line 2, hours: A line contains a control character",
    ),
    "header only": (header("slug", "name"), "The file has a header but no services."),
    "empty": (b"", "The file is empty: expected a header row, then services."),
    "unknown column": (
        header("slug", "name", "colour") + LIAISON.encode() + b",blue\n",
        "Line 1, colour: Not a column of the directory",
    ),
    "no slug column": (
        header("name", "hours") + b"North,Mondays\n",
        "Line 1, slug: This column is required.",
    ),
    "blank name": (
        header("slug", "name") + b"gp-liaison,\n",
        "Line 2, name: This field cannot be blank.",
    ),
    "duplicate slug": (
        header("slug", "name") + LIAISON.encode() + b"\n" + LIAISON.encode() + b"\n",
        "Line 3, slug: “gp-liaison” is also on line 2.",
    ),
    "remove unknown": (
        header("slug", "name", "remove") + b"nowhere,Nowhere,yes\n",
        "Line 2, remove: North Example has no service “nowhere” to remove.",
    ),
    "unknown tag": (
        header("slug", "name", "serves_tags") + LIAISON.encode() + b",targeted-support;made-up\n",
        "Line 2, serves_tags: “made-up” is not a tag of a published entry",
    ),
    "unclosed quote": (
        header("slug", "name") + b'gp-liaison,"North\n',
        "Line 2: Not readable as CSV",
    ),
}


@pytest.mark.parametrize(("data", "expected"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_files_are_refused_whole(example_area, data, expected):
    before = snapshot()
    problems = problems_of(data, example_area.area)
    assert any(expected in problem for problem in problems), problems
    nothing_written(before)


def test_a_formula_round_trips_as_plain_text(example_area):
    area = example_area.area
    formula = '=HYPERLINK("https://evil.example/","Click here")'
    LocalService.objects.filter(area=area, slug="gp-liaison").update(hours=formula)
    text = write_directory(area)
    (liaison,) = [row for row in rows_of(text) if row["slug"] == "gp-liaison"]
    assert liaison["hours"] == "'" + formula  # a spreadsheet shows it as text
    with pytest.raises(DirectoryError, match="matches the directory"):
        propose_directory(area, read_directory(text.encode(), area), example_area.editor)
    # A formula typed into the file is read as the words it is.
    data = header("slug", "name", "hours") + f'{LIAISON},"=1+2"\n'.encode()
    (row,) = read_directory(data, area)
    assert row.service.hours == "=1+2"


def test_crlf_and_quoted_newlines_are_read_and_lines_counted_as_the_file_has_them(example_area):
    area = example_area.area
    offers = "First paragraph.\r\n\r\nSecond paragraph."
    data = (
        b"slug,name,offers,referral_email\r\n"
        + f'{LIAISON},"{offers}",liaison@example.nhs.uk\r\n'.encode()
        + b"postnatal-groups,North Example Postnatal Health Promotion Group,Groups.,nope\r\n"
    )
    assert problems_of(data, area) == ["Line 5, referral_email: Enter a valid email address."]
    good = data.rsplit(b"\r\npostnatal", 1)[0] + b"\r\n"
    (row,) = read_directory(good, area)
    assert row.service.offers == "First paragraph.\n\nSecond paragraph."


def test_entries_of_a_draft_pathway_are_not_offered_and_hidden_links_are_kept(example_area):
    area = example_area.area
    Pathway.objects.filter(slug=IMH).update(status=Status.DRAFT)
    data = header("slug", "name", "serves_entries") + f"{LIAISON},{IMH}#20\n".encode()
    assert problems_of(data, area) == [
        f"Line 2, serves_entries: “{IMH}#20” is not a published entry (as "
        "infant-mental-health#10: the pathway's slug, #, the entry's number)."
    ]
    # The export does not name a draft's entry, and importing it keeps the link it has.
    text = write_directory(area)
    assert f"{IMH}#" not in text
    with pytest.raises(DirectoryError, match="matches the directory"):
        propose_directory(area, read_directory(text.encode(), area), example_area.editor)


def test_another_areas_service_of_the_same_slug_is_untouched(example_area, second_area):
    south = second_area.services["perinatal-mental-health"]
    data = header("slug", "name", "hours", "remove")
    data += b"perinatal-mental-health,North Example Perinatal Mental Health Team,Weekends,no\n"
    data += f"{LIAISON},,yes\n".encode()
    changes = propose_directory(
        example_area.area, read_directory(data, example_area.area), example_area.editor
    )
    assert {c.area for c in changes} == {example_area.area}
    for change in changes:
        change.approve(example_area.publisher)
    south.refresh_from_db()
    assert south.hours == "Monday to Friday, 9:00 to 17:00"
    assert LocalService.objects.filter(area=second_area.area, slug="gp-liaison").exists()
    assert not LocalService.objects.filter(area=example_area.area, slug="gp-liaison").exists()


def test_the_preview_says_when_a_change_to_a_service_already_waits(example_area):
    area = example_area.area
    first = header("slug", "name", "hours") + f"{LIAISON},Tuesdays\n".encode()
    (waiting,) = propose_directory(area, read_directory(first, area), example_area.editor)
    second = header("slug", "name", "hours") + f"{LIAISON},Wednesdays\n".encode()
    client = signed_in(example_area.editor)
    upload = SimpleUploadedFile("north.csv", second, "text/csv")
    page = client.post(f"{IMPORT}?area={NORTH}", {"upload": upload, "action": "preview"})
    lines = visible_lines(page.content.decode(), within_id="directory-preview")
    assert any("A change to this service already waits for approval" in line for line in lines)
    assert f"/admin/pathways/pendingchange/{waiting.pk}/change/" in page.content.decode()
    # Proposing joins the one pending change of the service, as the admin's form does.
    (joined,) = propose_directory(area, read_directory(second, area), example_area.editor)
    assert joined.pk == waiting.pk
    assert joined.proposed["fields"]["hours"] == "Wednesdays"


def test_a_new_service_waiting_for_approval_is_not_proposed_twice(example_area):
    area = example_area.area
    data = header("slug", "name", "offers", "referral_phone")
    data += b"baby-clinic,Baby Clinic,Weighing.,0161 496 0002\n"
    propose_directory(area, read_directory(data, area), example_area.editor)
    assert problems_of(data, area) == [
        "Line 2, slug: A new service “baby-clinic” already waits for approval: decide that first."
    ]


# Who may import and download.


def test_only_the_areas_staff_import_or_download_its_directory(example_area, second_area):
    south = signed_in(second_area.editor)
    assert south.get(IMPORT, {"area": NORTH}).status_code == 403
    assert south.get(DOWNLOAD, {"area": NORTH}).status_code == 403
    data = header("slug", "name", "hours") + f"{LIAISON},Weekends\n".encode()
    upload = SimpleUploadedFile("north.csv", data, "text/csv")
    assert (
        south.post(f"{IMPORT}?area={NORTH}", {"upload": upload, "action": "propose"}).status_code
        == 403
    )
    assert not PendingChange.objects.pending().exists()
    with pytest.raises(Exception, match="not yours"):
        propose_directory(
            example_area.area, read_directory(data, example_area.area), second_area.editor
        )
    # The list of areas offers each person theirs only.
    page = south.get(IMPORT)
    assert b"South Example" in page.content and b"North Example" not in page.content
    assert Client().get(DOWNLOAD, {"area": NORTH}).status_code == 302  # to sign in
    assert signed_in(example_area.editor).get(IMPORT, {"area": "nowhere"}).status_code == 404


# The commands.


def test_the_commands_export_and_import_as_the_admin_does(example_area, second_area, tmp_path):
    out = io.StringIO()
    call_command("export_directory", NORTH, stdout=out)
    assert out.getvalue() == write_directory(example_area.area)
    rows = rows_of(out.getvalue())
    rows[0]["hours"] = "Tuesdays"
    path = tmp_path / "north.csv"
    path.write_bytes(as_file(rows))
    said = io.StringIO()
    call_command(
        "import_directory", str(path), area=NORTH, by="n-editor", dry_run=True, stdout=said
    )
    assert "changed: North Example Primary Care Liaison" in said.getvalue()
    assert not PendingChange.objects.pending().exists()
    call_command("import_directory", str(path), area=NORTH, by="n-editor", stdout=io.StringIO())
    change = PendingChange.objects.pending().get()
    assert (change.proposed_by, change.decision) == (example_area.editor, Decision.PENDING)
    with pytest.raises(CommandError, match="not yours"):
        call_command("import_directory", str(path), area=NORTH, by="s-editor")


def test_the_import_command_names_each_problem(example_area, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(header("slug", "name", "web_url") + f"{LIAISON},javascript:x\n".encode())
    with pytest.raises(CommandError, match="Line 2, web_url: Enter a valid URL."):
        call_command("import_directory", str(path), area=NORTH, by="n-editor")
    assert not PendingChange.objects.pending().exists()


# The public directory page.


def test_the_area_page_lists_its_published_services_with_all_readers_see(client, example_area):
    draft_service(example_area.area)
    response = client.get(f"/areas/{NORTH}/")
    assert response.status_code == 200
    html = response.content.decode()
    lines = visible_lines(html, within_id="service-perinatal-mental-health")
    assert lines[:2] == ["North Example Perinatal Mental Health Team", EXAMPLE]
    for said in [
        "How to refer",
        "Phone the perinatal mental health team's duty worker to discuss an admission.",
        "0161 496 0000",
        "perinatal.team@example.nhs.uk",
        "Health visitors, midwives and GPs.",
        "Monday to Friday, 9:00 to 17:00",
        "1 Example Road, North Example",
        f"Entry {MBU_ENTRY} of Infant Mental Health",
        "Not yet verified.",
        "Report a problem with this service",
    ]:
        assert any(said in line for line in lines), said
    assert 'href="/areas/north-example/services/perinatal-mental-health/report/"' in html
    assert "A Draft Clinic" not in html
    groups = visible_lines(html, within_id="service-postnatal-groups")
    assert "Entries for Childrens Centres & EYFS" in groups
    assert "Entries tagged Targeted Support" in visible_lines(html, within_id="service-gp-liaison")


def test_the_area_page_says_when_a_check_is_overdue(client, example_area):
    LocalService.objects.filter(slug="gp-liaison").update(
        last_verified="2024-01-02", next_verification_due="2025-01-02"
    )
    lines = visible_lines(
        client.get(f"/areas/{NORTH}/").content.decode(), within_id="service-gp-liaison"
    )
    assert (
        "Last verified 2 January 2024. Overdue for checking: it was due on 2 January 2025." in lines
    )


def test_the_area_page_is_cached_like_the_other_public_pages(client, example_area):
    response = client.get(f"/areas/{NORTH}/")
    assert "public" in response["Cache-Control"]
    etag = response["ETag"]
    again = client.get(f"/areas/{NORTH}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_only_a_published_area_has_a_page(client, example_area):
    assert client.get("/areas/nowhere/").status_code == 404
    area = example_area.area
    area.status = Status.DRAFT
    area.save()
    assert client.get(f"/areas/{NORTH}/").status_code == 404


# In a real browser: accessible, and the import done by hand.


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_directory_pages_are_accessible_and_an_import_is_proposed_by_hand(
    browser, live_imh, live_server, example_area, viewport, tmp_path
):
    base = live_server.url
    reader = browser.new_context(viewport=viewport).new_page()
    found = {}
    for path in (f"/areas/{NORTH}/", f"/areas/{NORTH}/services/gp-liaison/report/"):
        reader.goto(base + path)
        found[path] = axe_violations(reader)
    editor = sign_in(browser, base, "n-editor", viewport)
    rows = rows_of(write_directory(example_area.area))
    rows[2]["hours"] = "Tuesdays, 9:00 to 12:00"
    path = tmp_path / "north.csv"
    path.write_bytes(as_file(rows))
    editor.goto(f"{base}{IMPORT}")
    editor.get_by_role("link", name="Import directory of North Example").click()
    editor.get_by_label("Or upload the file (.csv, UTF-8)").set_input_files(path)
    editor.get_by_role("button", name="Preview").click()
    expect(editor.locator("#directory-preview")).to_contain_text("Tuesdays, 9:00 to 12:00")
    found["preview"] = staff_problems(editor)
    editor.get_by_role("button", name="Propose these changes").click()
    expect(editor.get_by_text("1 change(s) to the directory wait")).to_be_visible()
    assert found == {name: [] for name in found}
    assert PendingChange.objects.pending().get().area == example_area.area
