"""An entry's number names it wherever a link, a report, a spreadsheet or another system does:
a reorder moves the card, and every old link still finds the same rationale."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command

from pathways.models import Entry, Pathway

from .conftest import FIXTURES, IMH_URL, approve_pending

IMH = "infant-mental-health"


def swap(first: Entry, second: Entry) -> None:
    """Swaps two entries' places as an approved move would, straight in the ORM."""
    first_place, second_place = first.position, second.position
    first.position = 99_999  # out of the way: a place is one entry's at a time
    first.save()
    second.position = first_place
    second.save()
    first.position = second_place
    first.save()


@pytest.fixture
def swapped(imh):
    """The seed with its first two entries (positions 10 and 20) swapped: (first, second)."""
    first = Entry.objects.get(pathway__slug=IMH, position=10)
    second = Entry.objects.get(pathway__slug=IMH, position=20)
    swap(first, second)
    return first, second


def card(page: str, anchor: str) -> str:
    """The card whose id is `anchor`, as markup."""
    found = re.search(rf'<article[^>]* id="{anchor}"[^>]*>(.*?)</article>', page, re.S)
    assert found, f"no card #{anchor}"
    return found.group(1)


def test_entries_are_numbered_by_the_seeds_places(imh):
    numbers = Entry.objects.filter(pathway__slug=IMH).values_list("position", "number")
    assert all(position == number for position, number in numbers)


def test_after_a_reorder_the_card_anchor_names_the_same_rationale(client, swapped):
    first, second = swapped
    page = client.get(IMH_URL).content.decode()
    # A link made before the reorder (#entry-10, #entry-20) still lands on its rationale.
    assert first.rationale in card(page, "entry-10")
    assert second.rationale in card(page, "entry-20")
    # And the page still lists them in their new order.
    assert page.index(second.rationale) < page.index(first.rationale)


def test_after_a_reorder_the_report_url_names_the_same_rationale(client, swapped):
    first, second = swapped
    page = client.get(IMH_URL).content.decode()
    assert f'href="{IMH_URL}entries/10/report/"' in card(page, "entry-10")
    response = client.get(f"{IMH_URL}entries/10/report/")
    assert first.rationale in response.content.decode()
    assert second.rationale not in response.content.decode()
    assert second.rationale in client.get(f"{IMH_URL}entries/20/report/").content.decode()


def test_after_a_reorder_a_report_is_kept_against_the_named_entry(client, swapped):
    first, _ = swapped
    response = client.post(f"{IMH_URL}entries/10/report/", {"text": "Out of date."})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{IMH_URL}entries/10/report/sent/")
    assert list(first.problem_reports.values_list("text", flat=True)) == ["Out of date."]


def test_after_a_reorder_the_csv_names_the_same_rationale(client, swapped):
    first, second = swapped
    text = client.get(f"{IMH_URL}export.csv").content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    rationale_of = {row["Entry"]: row["Rationale"] for row in rows}
    assert rationale_of["10"] == first.rationale
    assert rationale_of["20"] == second.rationale
    # Rows stay in the page's order: the second entry now comes first.
    assert rows[0]["Entry"] == "20"


def test_after_a_reorder_the_api_names_the_same_rationale(client, swapped):
    first, second = swapped
    items = client.get(f"/api/pathways/{IMH}/entries/").json()["entries"]
    by_number = {item["number"]: item for item in items}
    assert by_number[10]["rationale"] == first.rationale
    assert by_number[10]["position"] == 20  # kept for clients that read it: the place
    assert by_number[10]["url"].endswith(f"{IMH_URL}#entry-10")
    assert by_number[10]["report_url"].endswith(f"{IMH_URL}entries/10/report/")
    assert by_number[20]["rationale"] == second.rationale


def test_after_a_reorder_fhir_names_the_same_rationale(client, swapped):
    first, _ = swapped
    plan = client.get(f"/api/pathways/{IMH}/fhir").json()
    titles = {}

    def walk(actions):
        for action in actions:
            titles[action["id"]] = action.get("title")
            walk(action.get("action", []))

    walk(plan["action"])
    assert titles["entry-10"] == first.rationale


def test_after_a_reorder_the_timeline_links_to_the_same_cards(client, swapped):
    page = client.get(IMH_URL).content.decode()
    links = set(re.findall(r'href="#entry-(\d+)"', page))
    cards = set(re.findall(r'<article[^>]* id="entry-(\d+)"', page))
    assert links and links <= cards


def test_a_new_entry_never_takes_a_number_or_place_another_entry_had(imh):
    pathway = Pathway.objects.get(slug=IMH)
    last = Entry.objects.filter(pathway=pathway).order_by("position").last()
    template = Entry.objects.filter(pathway=pathway).first()
    last.delete()
    new = Entry.objects.create(
        pathway=pathway,
        position=5,
        stage=template.stage,
        age_band=template.age_band,
        service=template.service,
        rationale="A new rationale.",
    )
    # Above the deleted entry's number, which old links may still carry.
    assert new.number == last.number + 1


def test_loading_the_fixtures_after_a_reorder_puts_the_seed_back_under_the_same_numbers(
    swapped,
):
    first, second = swapped
    call_command("loaddata", *FIXTURES, verbosity=0)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.number, first.position) == (10, 10)
    assert (second.number, second.position) == (20, 20)
    # And again: loading it twice changes nothing.
    before = list(Entry.objects.values_list("pk", "number", "position", "rationale"))
    call_command("loaddata", *FIXTURES, verbosity=0)
    assert list(Entry.objects.values_list("pk", "number", "position", "rationale")) == before


def test_an_export_of_a_reordered_pathway_imports_by_number(tmp_path, swapped):
    first, second = swapped
    path = tmp_path / "imh.json"
    call_command("export_pathway", IMH, "--output", str(path), stderr=io.StringIO())
    rows = json.loads(path.read_text(encoding="utf-8"))
    numbered = [row["fields"]["number"] for row in rows if row["model"] == "pathways.entry"]
    assert 10 in numbered and 20 in numbered
    swap(second, first)  # the other database still has the seed's order
    out = io.StringIO()
    call_command("import_pathway", str(path), stdout=out, stderr=io.StringIO())
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.number, first.position) == (10, 20)
    assert (second.number, second.position) == (20, 10)
    assert Entry.objects.filter(pathway__slug=IMH).count() == len(numbered)


def test_a_move_approved_in_the_admin_keeps_each_anchor_on_its_rationale(
    client, imh, editor, approver
):
    first = Entry.objects.get(pathway__slug=IMH, position=30)
    second = Entry.objects.get(pathway__slug=IMH, position=40)
    client.force_login(editor)
    client.post(f"/admin/pathways/entry/{second.pk}/move-entry/up/")
    client.logout()
    assert approve_pending(approver) == 1
    second.refresh_from_db()
    assert second.position == 30 and second.number == 40
    page = client.get(IMH_URL).content.decode()
    assert second.rationale in card(page, "entry-40")
    assert first.rationale in card(page, "entry-30")
    assert page.index('id="entry-40"') < page.index('id="entry-30"')
