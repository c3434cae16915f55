"""Every control on the staff pages has a name a screen reader can say, and what a page tells
after a sign-in or a decision is announced (issue 27). These read the HTML; the browser test
(test_staff_accessibility.py) runs axe over the same pages."""

import html
import re

from pathways.models import Tag
from pathways.problem_reports.models import ProblemReport

LOGIN_URL = "/admin/login/"
PASSWORD = "a-long-enough-password"  # the editor fixture's


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def controls(content: str, name_pattern: str) -> list[str]:
    """The <input> and <select> tags whose name matches `name_pattern`."""
    return re.findall(rf'<(?:input|select)\b[^>]*\sname="{name_pattern}"[^>]*>', content)


def test_the_lists_position_boxes_are_named_after_their_row(client, imh, editor):
    client.force_login(editor)
    boxes = controls(client.get("/admin/pathways/tag/").content.decode(), r"form-\d+-position")
    assert sorted(attribute(box, "aria-label") for box in boxes) == sorted(
        f"Position of “{tag.name}”" for tag in Tag.objects.all()
    )


def test_the_report_status_selects_are_named_after_their_report(client, imh, editor):
    entry = imh.entries.first()
    ProblemReport.objects.create(entry=entry, text="The phone number is out of date.")
    ProblemReport.objects.create(entry=entry, text="A " + "very " * 30 + "long report.")
    client.force_login(editor)
    content = client.get("/admin/pathways/problemreport/").content.decode()
    selects = controls(content, r"form-\d+-status")
    names = sorted(attribute(select, "aria-label") for select in selects)
    # A long report is cut short, within 60 characters.
    assert names[0].startswith("Status of “A very very") and names[0].endswith("…”")
    assert len(names[0]) <= len("Status of “”") + 60
    assert names[1] == "Status of “The phone number is out of date.”"


def test_the_repeats_autocomplete_says_which_field_it_is(client, imh, editor):
    client.force_login(editor)
    entry = imh.entries.first()
    content = client.get(f"/admin/pathways/entry/{entry.pk}/change/").content.decode()
    [box] = controls(content, "repeats")
    assert attribute(box, "data-placeholder") == "Repeats: none chosen"


def test_related_pathways_are_named_tick_boxes(client, imh, editor):
    client.force_login(editor)
    content = client.get(f"/admin/pathways/pathway/{imh.pk}/change/").content.decode()
    boxes = controls(content, "related_pathways")
    assert {attribute(box, "type") for box in boxes} == {"checkbox"}
    [box] = [box for box in boxes if "checked" in box]
    related = imh.related_pathways.get()
    box_id = attribute(box, "id")
    label = rf'<label for="{box_id}"><input[^>]*>\s*{re.escape(related.title)}</label>'
    assert re.search(label, content)


def test_a_failed_sign_in_is_announced_and_marks_both_fields(client, editor):
    content = client.post(
        LOGIN_URL, {"username": "erin", "password": "wrong", "next": "/admin/"}
    ).content.decode()
    assert re.search(r'<div id="sign-in-error" role="alert">\s*<p class="errornote">', content)
    for name in ("username", "password"):
        [field] = controls(content, name)
        assert attribute(field, "aria-invalid") == "true"
        assert attribute(field, "aria-describedby") == "sign-in-error"


def test_a_sign_in_page_without_an_error_marks_nothing(client, db):
    content = client.get(LOGIN_URL).content.decode()
    assert "aria-invalid" not in content and 'role="alert"' not in content
