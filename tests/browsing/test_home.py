"""The home page: the published pathways, and one search across all of them, grouped by
pathway, each group carrying the search on into its pathway's page."""

import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.filters import PARAMETER_LIMITS
from pathways.models import Entry, Pathway, Status

from ..conftest import IMH_URL
from ..integration.test_fhir import entry_like
from ..pagetext import element, elements, links, visible_lines
from ..second_pathway import PARENTAL_TITLE, PARENTAL_URL, give_entries
from .test_views import add_entries

# In both pathways: the second copies the first's opening rationales.
IN_BOTH = "consistent"
# Only in the second pathway's variant words.
ONLY_PARENTAL = '"Parental wellbeing"'


def home(client, q: str | None = None, **headers):
    return client.get("/", {"q": q} if q is not None else {}, headers=headers)


def group_headings(content: str) -> list[str]:
    return [heading.text for heading in elements(content, "h3", "home-results__pathway")]


def page_count(client, url: str, q: str) -> int:
    """How many rationales the pathway's own page finds for `q`."""
    content = client.get(url, {"q": q}).content.decode()
    return int(re.search(r"Showing (\d+) of", element(content, "result-count").text)[1])


def test_home_lists_the_published_pathways_and_links_one_with_entries(client, imh, publisher):
    before = home(client).content.decode()
    assert f"{PARENTAL_TITLE} (not yet available)" in visible_lines(before)
    assert PARENTAL_TITLE not in links(before)
    give_entries(publisher)
    after = home(client).content.decode()
    assert links(after)["Infant Mental Health"] == IMH_URL
    assert links(after)[PARENTAL_TITLE] == PARENTAL_URL
    assert "(not yet available)" not in after


@pytest.mark.parametrize("q", [None, "", "   "])
def test_without_search_words_the_home_page_shows_no_results(client, imh, q):
    content = home(client, q).content.decode()
    assert "Search results" not in visible_lines(content)
    assert element(content, "id_q").attrs["name"] == "q"
    assert elements(content, "form", "home-search")[0].attrs["method"] == "get"


def test_search_across_pathways_is_grouped_by_pathway_with_each_pages_count(client, imh, publisher):
    give_entries(publisher)
    content = home(client, IN_BOTH).content.decode()
    imh_count = page_count(client, IMH_URL, IN_BOTH)
    parental_count = page_count(client, PARENTAL_URL, IN_BOTH)
    assert imh_count and parental_count
    assert group_headings(content) == [
        f"Infant Mental Health: {imh_count} rationales",
        f"{PARENTAL_TITLE}: {parental_count} rationales",
    ]
    total = imh_count + parental_count
    assert element(content, "result-count").text == f"{total} rationales found in 2 pathways"


def test_each_group_and_result_links_into_its_pathway_with_the_search_kept(client, imh, publisher):
    give_entries(publisher)
    content = home(client, IN_BOTH).content.decode()
    query = urlencode({"q": IN_BOTH})
    for heading, url in zip(
        elements(content, "h3", "home-results__pathway"), [IMH_URL, PARENTAL_URL], strict=True
    ):
        assert elements(heading.markup, "a")[0].attrs["href"] == f"{url}?{query}"
    for lists, url in zip(
        elements(content, "ul", "home-results__entries"), [IMH_URL, PARENTAL_URL], strict=True
    ):
        for link in elements(lists.markup, "a"):
            address, anchor = link.attrs["href"].split("#")
            assert address == f"{url}?{query}"
            # The pathway's page, with that search, shows the card the result names.
            element(client.get(address).content.decode(), anchor)
            # What matched is marked, as on the pathway page.
            assert "<mark" in link.markup


def test_a_word_of_one_pathway_finds_that_pathway_alone(client, imh, publisher):
    give_entries(publisher)
    assert page_count(client, IMH_URL, ONLY_PARENTAL) == 0
    content = home(client, ONLY_PARENTAL).content.decode()
    count = page_count(client, PARENTAL_URL, ONLY_PARENTAL)
    assert group_headings(content) == [f"{PARENTAL_TITLE}: {count} rationales"]


def test_nothing_found_says_so(client, imh):
    content = home(client, "zzyzx").content.decode()
    assert element(content, "result-count").text == "No rationale in any pathway matches “zzyzx”"
    assert group_headings(content) == []


def test_drafts_are_never_searched(client, imh, publisher):
    entry_like(Entry.objects.filter(pathway=imh).first(), imh, 5, "Quixotic draft wording.")
    assert group_headings(home(client, "quixotic").content.decode()) == []
    # A draft pathway's published entries are not searched either.
    parental = give_entries(publisher)
    parental.status = Status.DRAFT
    parental.save()
    headings = group_headings(home(client, IN_BOTH).content.decode())
    assert [heading.split(":")[0] for heading in headings] == ["Infant Mental Health"]


def test_a_huge_search_gets_the_pathway_pages_message_and_no_results(client, imh):
    q = "a" * (PARAMETER_LIMITS["q"] + 1)
    response = home(client, q)
    assert response.status_code == 200
    content = response.content.decode()
    on_pathway_page = element(client.get(IMH_URL, {"q": q}).content.decode(), "q-error").text
    assert element(content, "q-error").text == on_pathway_page
    assert "Search results" not in visible_lines(content)


@pytest.mark.parametrize("q", ['"unbalanced', "-", "--x", "*", "(", "a" * 200, "é ü ß 中"])
def test_odd_searches_never_fail(client, imh, q):
    assert home(client, q).status_code == 200


def test_the_search_results_are_a_public_cacheable_page(client, imh):
    response = home(client, IN_BOTH)
    assert "public" in response["Cache-Control"]
    assert not response.cookies
    etag = response["ETag"]
    assert home(client, IN_BOTH, **{"If-None-Match": etag}).status_code == 304
    # Another search is another page.
    assert home(client, "visit")["ETag"] != etag


def test_search_query_count_does_not_grow_with_the_data(client, imh, publisher):
    give_entries(publisher)
    home(client, IN_BOTH)  # warm up
    with CaptureQueriesContext(connection) as small:
        home(client, "schedule")
    add_entries(imh, 200)
    add_entries(Pathway.objects.get(slug="parental-mental-health-and-wellbeing"), 200)
    with CaptureQueriesContext(connection) as large:
        response = home(client, "schedule")
    assert response.status_code == 200
    assert len(large) == len(small)
