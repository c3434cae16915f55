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


def test_repeats_is_a_labelled_choice_of_the_pathways_entries(client, imh, editor):
    client.force_login(editor)
    entry = imh.entries.get(position=140)
    content = client.get(f"/admin/pathways/entry/{entry.pk}/change/").content.decode()
    [select] = controls(content, "repeats")
    assert '<label for="id_repeats">Repeats:</label>' in content
    assert attribute(select, "id") == "id_repeats" and "select2" not in content
    options = re.findall(
        r'<option value="(\d+)"', content[content.index(select) :].split("</select>")[0]
    )
    assert sorted(map(int, options)) == sorted(imh.entries.values_list("pk", flat=True))


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


def test_a_decision_opens_the_change_at_its_announced_message(client, imh, editor, publisher):
    from .test_staff_accessibility import propose_rationale

    change = propose_rationale(imh.entries.get(position=140), editor, "Reworded for the test.")
    client.force_login(publisher)
    url = f"/admin/pathways/pendingchange/{change.pk}/change/"
    refused = client.post(url, {"decision": "neither"})
    assert refused["Location"] == f"{url}#messages"
    content = client.get(url).content.decode()
    assert re.search(r'<div id="messages" class="messages" tabindex="-1" autofocus>', content)
    assert re.search(
        r'<div role="alert">\s*<ul class="messagelist">\s*<li class="error">Choose', content
    )
    assert 'role="status"' not in content
    approved = client.post(url, {"decision": "approve", "comment": "Checked"})
    assert approved["Location"] == f"{url}#messages"
    content = client.get(url).content.decode()
    assert re.search(
        r'<div role="status">\s*<ul class="messagelist">\s*<li class="success">Approved:', content
    )
    assert 'role="alert"' not in content


def test_a_list_with_filters_offers_a_link_past_them(client, imh, editor):
    client.force_login(editor)
    content = client.get("/admin/pathways/entry/").content.decode()
    skip = content.index('<a class="skip-to-results" href="#changelist-form">')
    assert skip < content.index('id="changelist-filter"') < content.index('id="changelist-form"')
    assert "skip-to-results" not in client.get("/admin/pathways/service/").content.decode()


def test_move_buttons_name_the_intervention_and_the_ends_are_disabled(client, imh, editor):
    entry = imh.entries.get(position=70)
    interventions = list(entry.interventions.order_by("position"))
    assert len(interventions) == 5
    client.force_login(editor)
    content = client.get(f"/admin/pathways/entry/{entry.pk}/change/").content.decode()
    buttons = re.findall(r'<button [^>]*class="button move-button"[^>]*>.*?</button>', content)
    said = [
        (re.sub(r"<[^>]+>", "", html.unescape(button)), " disabled>" in button)
        for button in buttons
    ]
    expected = []
    for place, intervention in enumerate(interventions, start=1):
        text = intervention.text if len(intervention.text) <= 40 else intervention.text[:39] + "…"
        for words, at_the_end in (
            ("Move up", place == 1),
            ("Move down", place == len(interventions)),
        ):
            expected.append((f"{words} intervention {place}: {text}", at_the_end))
    assert said == expected


def test_the_diff_says_in_words_what_was_removed_and_added():
    from pathways.editing.textdiff import word_diff

    before, after = word_diff("Refer to Health Visiting <now>", "Refer to Childrens Centres <now>")
    hidden = '<span class="visually-hidden">{}: </span>'
    assert before == f"Refer to <del>{hidden.format('removed')}Health Visiting</del> &lt;now&gt;"
    assert after == f"Refer to <ins>{hidden.format('added')}Childrens Centres</ins> &lt;now&gt;"


def test_the_pending_change_and_the_history_show_the_diffs_key(client, imh, editor):
    from .test_staff_accessibility import propose_rationale

    entry = imh.entries.get(position=140)
    change = propose_rationale(entry, editor, "Reworded for the test.")
    client.force_login(editor)
    key = '<p class="diff-key">Key: <del>removed words are struck through</del>'
    for url in (
        f"/admin/pathways/pendingchange/{change.pk}/change/",
        f"/admin/pathways/entry/{entry.pk}/history/",
    ):
        assert key in client.get(url).content.decode(), url
