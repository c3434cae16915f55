"""An area on the practitioners' pages (issue 25): `?area=<slug>` adds the area's services and
its note to the cards of the entries they serve, after the national text and apart from it;
the checklist prints them with the contacts to hand over; the home page offers the areas.
Without an area, or with another, nothing of the first area is shown; an area not recognised
is named in the page's notice and the page is the national one."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.local.models import Area, LocalService
from pathways.models import Entry
from pathways.publishing import Status, state_of, submit

from ..conftest import HTMX, IMH_URL
from ..local_area import MBU_ENTRY, MBU_ROUTE
from ..pagetext import element, elements, links, summary_list, visible_lines

NORTH = "?area=north-example"
SOUTH = "?area=south-example"
CHECKLIST = IMH_URL + "checklist/"
# What North Example alone shows: its services' names and its note.
NORTH_SERVICES = [
    "North Example Perinatal Mental Health Team",
    "North Example Postnatal Health Promotion Group",
    "North Example Primary Care Liaison",
]
NORTH_NOTE = "In North Example, the Mother and Baby Unit takes admissions from the whole area"
NOT_RECOGNISED = "Area: “nope” was not recognised, so no local services are shown."
# Each surface, at an address showing the Mother and Baby Unit entry (Birth - 6 weeks).
SURFACES = {
    "page": (IMH_URL, "", {}),
    "fragment": (IMH_URL, "age=2w", HTMX),
    "checklist": (CHECKLIST, "age=2w", {}),
}


def get(client, url, area="", query="", headers=None):
    """The page at `url` with `?area=<area>` and `query`."""
    params = "&".join(p for p in (f"area={area}" if area else "", query) if p)
    response = client.get(url + (f"?{params}" if params else ""), headers=headers or {})
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str) -> str:
    return "\n".join(visible_lines(html))


@pytest.mark.parametrize("surface", SURFACES)
def test_an_area_shows_its_own_services_and_note_and_no_other_area_does(
    client, example_area, second_area, surface
):
    url, query, headers = SURFACES[surface]
    north = shown(get(client, url, "north-example", query, headers))
    assert NORTH_SERVICES[0] in north and NORTH_NOTE in north
    assert MBU_ROUTE in north
    for area in ("", "south-example", "nope"):
        other = shown(get(client, url, area, query, headers))
        assert not any(name in other for name in NORTH_SERVICES), area
        assert NORTH_NOTE not in other, area
    south = shown(get(client, url, "south-example", query, headers))
    assert "South Example Perinatal Mental Health Team" in south


def test_the_unfiltered_page_shows_each_service_beside_the_entries_it_serves(client, example_area):
    html = get(client, IMH_URL, "north-example")
    cards = {card.attrs["id"]: card.text for card in elements(html, "article", "entry")}
    perinatal, groups, liaison = NORTH_SERVICES
    served = {
        name: sorted(int(i.removeprefix("entry-")) for i, text in cards.items() if name in text)
        for name in NORTH_SERVICES
    }
    assert served[perinatal] == [MBU_ENTRY]  # by entry
    by_service = Entry.objects.filter(pathway__slug="infant-mental-health")
    assert served[groups] == sorted(
        by_service.filter(service__slug="childrens-centres-eyfs").values_list("number", flat=True)
    )
    assert served[liaison] == sorted(
        by_service.filter(tag__slug="targeted-support").values_list("number", flat=True)
    )
    assert [i for i, text in cards.items() if NORTH_NOTE in text] == [f"entry-{MBU_ENTRY}"]


def test_the_local_block_follows_the_national_text_and_precedes_the_report_link(
    client, example_area
):
    card = element(get(client, IMH_URL, "north-example"), f"entry-{MBU_ENTRY}")
    lines = card.lines
    national = "Mental health admisisons to Mother and Baby Unit where possible."
    order = [
        lines.index(national),
        lines.index("In North Example"),
        lines.index(NORTH_SERVICES[0]),
        lines.index("Example, not a real service"),
        lines.index(MBU_ROUTE),
        lines.index("Local to North Example"),
        next(i for i, line in enumerate(lines) if line.startswith(NORTH_NOTE)),
        lines.index("Report a problem with this content"),
    ]
    assert order == sorted(order), lines
    # The note is its own block, never inside the seed's words.
    [note] = elements(card.markup, "div", "entry__local-note")
    assert note.lines[0] == "Local to North Example"
    assert NORTH_NOTE not in element(get(client, IMH_URL), f"entry-{MBU_ENTRY}").text


def test_a_service_says_how_to_refer_in_full(client, example_area):
    card = element(get(client, IMH_URL, "north-example"), f"entry-{MBU_ENTRY}")
    [service] = elements(card.markup, "details", "entry__local-service")
    assert "open" not in service.attrs  # folded: the answer stays first on a phone
    assert service.lines[0] == NORTH_SERVICES[0]
    found = links(service.markup)
    assert found["0161 496 0000"] == "tel:01614960000"
    assert found["perinatal.team@example.nhs.uk"] == "mailto:perinatal.team@example.nhs.uk"
    assert found["https://example.org/perinatal"] == "https://example.org/perinatal"
    report = "Report a problem with this service"
    assert found[report] == "/areas/north-example/services/perinatal-mental-health/report/"
    for words in [
        "Assessment and care for parents with serious mental illness",
        "Health visitors, midwives and GPs.",
        "Parents in pregnancy or with a baby under one year.",
        "Monday to Friday, 9:00 to 17:00",
        "1 Example Road, North Example",
    ]:
        assert words in service.text
    assert [term.text for term in elements(service.markup, "dt")] == [
        "How to refer",
        "Phone",
        "Email",
        "Who may refer",
        "Eligibility",
        "Hours",
        "Address",
        "Website",
    ]
    assert "Overdue for checking" not in service.text


def test_a_service_overdue_for_checking_says_so_with_its_dates(client, example_area):
    service = example_area.services["perinatal-mental-health"]
    LocalService.objects.filter(pk=service.pk).update(
        last_verified="2025-01-01", next_verification_due="2025-06-01"
    )
    service.refresh_from_db()
    card = element(get(client, IMH_URL, "north-example"), f"entry-{MBU_ENTRY}")
    [folded] = elements(card.markup, "details", "entry__local-service")
    assert "Overdue for checking" in folded.text
    assert service.verification_status in folded.text


def test_an_area_card_without_its_local_block_is_the_national_card(client, example_area):
    """Faithfulness: the area adds one block to a card and changes nothing else of it."""
    national = get(client, IMH_URL)
    local = get(client, IMH_URL, "north-example")
    cards = re.compile(r'<article class="nhsuk-card entry".*?</article>', re.S)
    block = re.compile(r'\n?<section class="entry__local".*?</section>\n', re.S)
    national_cards, local_cards = cards.findall(national), cards.findall(local)
    assert len(national_cards) == len(local_cards) == 19
    with_block = [card for card in local_cards if block.search(card)]
    assert len(with_block) > 3
    assert [block.sub("", card) for card in local_cards] == national_cards


@pytest.mark.parametrize("area", ["nope", "draft-area"])
def test_an_area_not_recognised_gives_the_national_page_and_says_so(client, imh, publisher, area):
    Area.objects.create(name="Draft Area", slug="draft-area")  # a draft: offered nowhere
    national = get(client, IMH_URL)
    html = get(client, IMH_URL, area)
    cards = re.compile(r'<article class="nhsuk-card entry".*?</article>', re.S)
    assert cards.findall(html) == cards.findall(national)
    assert "data-area" not in html and 'name="area"' not in html
    [notice] = elements(html, "div", "results__notices")
    assert f"Area: “{area}” was not recognised, so no local services are shown." in notice.lines
    checklist = get(client, CHECKLIST, area)
    assert f"Area: “{area}” was not recognised, so no local services are shown." in shown(checklist)


def test_an_empty_area_is_no_area(client, example_area):
    for url in (IMH_URL + "?area=", IMH_URL + "?area=%20"):
        html = get(client, url)
        assert "results__notices" not in html and "data-area" not in html


def test_the_area_travels_with_every_link_and_the_form(client, example_area):
    html = get(client, IMH_URL, "north-example", "service=health-visiting&age=2w")
    form = element(html, "filters")
    assert '<input type="hidden" name="area" value="north-example">' in form.markup
    found = links(html)
    assert found["Download these results (CSV)"].endswith(
        "export.csv?area=north-example&service=health-visiting&age=2w"
    )
    assert found["Visit checklist for these results"] == (
        CHECKLIST + "?area=north-example&service=health-visiting&age=2w"
    )
    assert found["Copy link to these results"].endswith(
        IMH_URL + "?area=north-example&service=health-visiting&age=2w"
    )
    assert found["Clear filters"] == IMH_URL + "?area=north-example"
    removing = [link.attrs["href"] for link in elements(html, "a", "active-filters__remove")]
    assert removing and all("area=north-example" in href for href in removing)
    # One row above the form names the area, with a way to change it.
    [line] = elements(html, "p", "area-line")
    assert line.text == "Area: North Example · Change"
    assert links(line.markup)["Change"] == "/?area=north-example#your-area"
    assert '<body data-area="north-example">' in html


def test_a_filtered_area_page_keeps_its_services_and_the_fragment_too(client, example_area):
    fragment = get(client, IMH_URL, "north-example", "age=2w", HTMX)
    assert NORTH_SERVICES[0] in shown(fragment)
    # The saved copy for offline use is the area's unfiltered page: every card, its words.
    page = client.get(IMH_URL + NORTH)
    assert "Offline-Tables" in page
    assert "data-stems=" in page.content.decode()
    assert "Offline-Tables" not in client.get(IMH_URL + NORTH + "&age=2w")


def test_the_checklist_prints_the_services_and_the_contacts_to_hand_over(client, example_area):
    html = get(client, CHECKLIST, "north-example")
    assert summary_list(html)["Area"] == ["North Example"]
    [entry] = [e for e in elements(html, "section", "checklist__entry") if NORTH_NOTE in e.text]
    assert "0161 496 0000" in entry.text and MBU_ROUTE in entry.text
    assert "Local to North Example" in entry.lines
    # On paper: no links to follow or report with, addresses in full.
    assert "tel:" not in html and "mailto:" not in html and "/report/" not in html
    assert "https://example.org/postnatal-groups/book" in shown(html)
    lines = visible_lines(html)
    contacts = lines[lines.index("Contacts to hand over") + 1 : lines.index("Notes")]
    for name in NORTH_SERVICES:
        assert sum(line.startswith(name) for line in contacts) == 1, contacts
    assert any("0161 496 0000" in line for line in contacts)
    assert "Contacts to hand over" not in shown(get(client, CHECKLIST))


# The home page. -------------------------------------------------------------------------------


def test_home_offers_each_published_area_and_the_national_pathway(
    client, example_area, second_area
):
    html = get(client, "/")
    section = element(html, "your-area")
    found = links(section.markup)
    assert found["North Example"] == "/?area=north-example"
    assert found["South Example"] == "/?area=south-example"
    assert found["No area: the national pathway"] == "/"
    assert links(html)["Infant Mental Health"] == IMH_URL
    # The device's offer, hidden until site.js finds an area kept on this device.
    offer = element(html, "area-offer-north-example")
    assert "hidden" in offer.attrs
    assert links(offer.markup)["Continue with North Example"] == "/?area=north-example"
    assert "data-area=" not in html.split("<body", 1)[1].split(">", 1)[0]


def test_home_with_an_area_keeps_it_in_every_pathway_and_search_link(client, example_area):
    html = get(client, "/", "north-example", "q=mother")
    [pathways] = elements(html, "ul", "pathway-list")
    assert links(pathways.markup)["Infant Mental Health"] == IMH_URL + NORTH
    groups = [a.attrs["href"] for a in elements(element(html, "your-area").markup, "a")]
    assert "/?area=south-example" not in groups
    results = [a.attrs["href"] for a in elements(html, "a") if a.attrs["href"].startswith(IMH_URL)]
    assert results and all("area=north-example" in href for href in results)
    assert 'type="hidden" name="area" value="north-example"' in html
    assert '<body data-area="north-example">' in html
    assert "Showing local services in North Example." in shown(html)
    assert "area-offer" not in html


def test_home_without_areas_says_none_has_been_set_up(client, imh):
    html = get(client, "/")
    assert element(html, "your-area").lines == ["Your area", "No area has been set up yet."]
    assert "area-offer" not in html


def test_home_names_an_area_not_recognised(client, example_area):
    html = get(client, "/", "nope")
    assert NOT_RECOGNISED in shown(html)
    assert links(html)["Infant Mental Health"] == IMH_URL


# What it costs. -------------------------------------------------------------------------------


def add_services(area, count: int) -> None:
    mbu = Entry.objects.get(pathway__slug="infant-mental-health", number=MBU_ENTRY)
    for n in range(count):
        service = LocalService.objects.create(
            area=area,
            name=f"Extra service {n}",
            slug=f"extra-{n}",
            offers="Something useful.",
            referral_phone="0161 496 0001",
            is_example=True,
            status=Status.PUBLISHED,
        )
        service.serves_entries.set([mbu])


@pytest.mark.parametrize(
    ("url", "headers"),
    [(IMH_URL + NORTH, {}), (IMH_URL + NORTH + "&age=2w", HTMX), (CHECKLIST + NORTH, {})],
    ids=["page", "fragment", "checklist"],
)
def test_an_area_page_costs_the_same_queries_with_3_or_30_services(
    client, example_area, nothing_reused, url, headers
):
    with CaptureQueriesContext(connection) as three:
        client.get(url, headers=headers)
    add_services(example_area.area, 27)
    with CaptureQueriesContext(connection) as thirty:
        html = client.get(url, headers=headers).content.decode()
    assert "Extra service 26" in html
    assert len(thirty) == len(three)


def test_a_kept_area_page_costs_no_more_queries_than_the_national_one(client, example_area):
    for url in (IMH_URL, IMH_URL + NORTH):
        client.get(url + "&age=3m" if "?" in url else url + "?age=3m")
    with CaptureQueriesContext(connection) as national:
        client.get(IMH_URL + "?age=3m")
    with CaptureQueriesContext(connection) as local:
        client.get(IMH_URL + NORTH + "&age=3m")
    assert len(local) == len(national) == 0


def test_an_approved_service_edit_is_shown_at_once(client, example_area):
    before = get(client, IMH_URL, "north-example")
    service = example_area.services["perinatal-mental-health"]
    proposed = state_of(service)
    proposed["fields"]["referral_route"] = "Refer through the new online form."
    change = submit(service, proposed, user=example_area.editor)
    assert get(client, IMH_URL, "north-example") == before  # waiting for a second person
    change.approve(example_area.publisher)
    after = shown(get(client, IMH_URL, "north-example"))
    assert "Refer through the new online form." in after and MBU_ROUTE not in after


def test_a_draft_service_is_previewed_by_staff_alone(client, example_area, editor):
    add_services(example_area.area, 1)
    LocalService.objects.filter(slug="extra-0").update(status=Status.DRAFT)
    assert "Extra service 0" not in shown(get(client, IMH_URL, "north-example"))
    client.force_login(editor)
    card = element(get(client, IMH_URL, "north-example"), f"entry-{MBU_ENTRY}")
    [draft] = [s for s in elements(card.markup, "details") if "Extra service 0" in s.text]
    assert "Draft" in draft.lines
