"""Issue 16, defect 4 and 5: a control character (NUL, or search's own \\x02/\\x03 marks) in an
address, a query string, a form or an admin page is refused with a 400 that says why and
repeats nothing sent; an admin address with an id that is not one is a 404. Never a 5xx."""

import pytest

from pathways.models import Entry, ProblemReport

from ..conftest import IMH_URL
from ..editing.test_admin import change_form_data

ADDRESS_REFUSED = (
    "The address contains a control character (an invisible character such as NUL), which "
    "this site does not accept. Remove it and try again."
)
TEXT_REFUSED = ADDRESS_REFUSED.replace("The address", "The text you sent")


def assert_refused_page(response, message=ADDRESS_REFUSED):
    content = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Sorry, this request could not be used</h1>" in content
    assert f"<p>{message}</p>" in content
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/pathways/%00/", "path"),
        ("/api/pathways/%00/entries/", "path"),
        ("/api/pathways/%00/fhir", "path"),
        ("/api/pathways/infant-mental-health/entries/?q=%00", "q"),
        ("/api/pathways/infant-mental-health/entries/?service=%02", "service"),
        ("/api/pathways/infant-mental-health/entries/?%00=1", "a parameter"),
    ],
)
def test_the_api_refuses_control_characters_with_its_own_400(client, imh, path, parameter):
    response = client.get(path)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some query parameters could not be used.",
        "errors": [{"parameter": parameter, "message": ADDRESS_REFUSED}],
    }


@pytest.mark.parametrize(
    "path",
    [
        f"{IMH_URL}?q=infant%00",
        f"{IMH_URL}?q=%02mark%03",
        f"{IMH_URL}?age=%0010w",
        f"{IMH_URL}?service%00=health-visiting",
        f"{IMH_URL}checklist/?stage=%7F",
        f"{IMH_URL}export.csv?tag=%1B",
        "/pathways/infant%00mental-health/",
        "/documents/%00/",
    ],
)
def test_pages_refuse_control_characters_in_the_address(client, imh, path):
    assert_refused_page(client.get(path))


def test_tabs_and_line_breaks_are_ordinary_text(client, imh):
    response = client.get(f"{IMH_URL}?q=attachment%09%0Aplay")
    assert response.status_code == 200


def test_the_refusal_repeats_nothing_that_was_sent(client, imh):
    response = client.get(f"{IMH_URL}?q=%00<script>alert(1)</script>")
    assert_refused_page(response)
    assert "<script>alert" not in response.content.decode()
    assert "alert(1)" not in response.content.decode()


def test_a_problem_report_with_a_control_character_is_refused_and_not_stored(client, imh):
    response = client.post(f"{IMH_URL}entries/20/report/", {"text": "Wrong\x02 here", "email": ""})
    assert_refused_page(response, TEXT_REFUSED)
    assert not ProblemReport.objects.exists()


def test_admin_sign_in_refuses_a_nul_in_the_username(client, db):
    response = client.post("/admin/login/", {"username": "erin\x00", "password": "x"})
    assert_refused_page(response, TEXT_REFUSED)


@pytest.mark.parametrize("character", ["\x00", "\x02", "\x03"])
def test_an_admin_change_with_a_control_character_is_refused_and_not_saved(
    client, imh, editor, character
):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    before = entry.rationale
    data = change_form_data(entry, rationale=f"Changed{character}wording")
    response = client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    assert_refused_page(response, TEXT_REFUSED)
    entry.refresh_from_db()
    assert entry.rationale == before
    assert entry.history.count() == 1


def test_admin_list_filters_refuse_a_nul(client, imh, editor):
    client.force_login(editor)
    assert_refused_page(client.get("/admin/pathways/entry/?status__exact=%00"))


@pytest.mark.parametrize("version", ["abc", "1.5", "-"])
def test_an_admin_version_address_that_is_not_an_id_is_not_found(client, imh, editor, version):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    response = client.get(f"/admin/pathways/entry/{entry.pk}/history/{version}/")
    assert response.status_code == 404
    response = client.get(f"/admin/pathways/entry/abc/history/{version}/")
    assert response.status_code == 404
