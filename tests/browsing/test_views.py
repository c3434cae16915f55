"""The public pages: what they show, what they hide, and how they answer bad requests."""

import string
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.characters import control_character
from pathways.models import Entry, Intervention, Pathway, Status

from ..conftest import IMH_URL, examples
from ..pagetext import element, elements, links

HTMX = {"HX-Request": "true"}


def test_home_links_pathways_with_entries_and_names_the_others(client, imh):
    content = client.get("/").content.decode()
    assert links(content)["Infant Mental Health"] == IMH_URL
    assert "Parental Mental Health and Wellbeing" in content
    assert "/pathways/parental-mental-health-and-wellbeing/" not in content


def test_pathway_without_entries_has_no_page(client, imh):
    assert client.get("/pathways/parental-mental-health-and-wellbeing/").status_code == 404


def test_unknown_pathway_is_404(client, imh):
    assert client.get("/pathways/no-such-pathway/").status_code == 404
    assert client.get("/documents/no-such-document/").status_code == 404


def test_pathway_page_shows_notes_related_pathway_as_text_and_policy_link(client, imh):
    content = client.get(IMH_URL).content.decode()
    assert "MUST be read in conjunction with Section 3: Pathways." in content
    assert "Parental Mental Health and Wellbeing" in content
    assert "/pathways/parental-mental-health-and-wellbeing/" not in content
    assert 'href="/documents/pimh-delivery-plan-2021-2022/"' in content


def test_related_pathway_is_linked_once_it_has_published_entries(client, imh):
    parental = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
    source = Entry.objects.filter(pathway=imh).first()
    entry = Entry.objects.create(
        pathway=parental,
        position=10,
        stage=source.stage,
        age_band=source.age_band,
        rationale="Ask about the parent's mood.",
        service=source.service,
    )
    # A new entry is a draft: to practitioners the pathway still has no entries.
    assert (
        'href="/pathways/parental-mental-health-and-wellbeing/"'
        not in client.get(IMH_URL).content.decode()
    )
    entry.status = Status.PUBLISHED
    entry.save()
    content = client.get(IMH_URL).content.decode()
    assert 'href="/pathways/parental-mental-health-and-wellbeing/"' in content
    assert client.get("/pathways/parental-mental-health-and-wellbeing/").status_code == 200


def test_full_page_and_htmx_fragment(client, imh):
    full = client.get(IMH_URL, {"service": "primary-care-gp"})
    assert full.status_code == 200
    assert "<html" in full.content.decode()
    assert "Vary" in full and "HX-Request" in full["Vary"]

    fragment = client.get(IMH_URL, {"service": "primary-care-gp"}, headers=HTMX)
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "HX-Request" in fragment["Vary"]
    assert "<html" not in body and "nhsuk-header" not in body and "<form" not in body
    # The count is swapped out of band into the live region the page keeps, then the panel.
    first, *_ = elements(body)
    assert first.attrs["id"] == "result-count"
    assert first.attrs["hx-swap-oob"] == "innerHTML"
    assert first.text == "Showing 1 of 19 rationales"
    panel = element(body, "results-panel")
    assert body.index(first.markup) < body.index(panel.markup)
    assert "Facilitate Joint working and support integrated care planning." in body
    assert "Ensure appropriate ongoing" not in body


def test_htmx_history_restore_gets_the_whole_page(client, imh):
    response = client.get(
        IMH_URL,
        {"service": "primary-care-gp"},
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    )
    body = response.content.decode()
    assert "<html" in body and "<form" in body
    assert "hx-swap-oob" not in body


def test_active_filters_each_removable_by_a_plain_link(client, imh):
    response = client.get(
        IMH_URL, {"stage": ["1-3-years", "3-5-years"], "service": "health-visiting", "q": "massage"}
    )
    content = response.content.decode()
    removals = {(item["label"], item["text"]): item["query"] for item in response.context["active"]}
    assert removals == {
        ("Stage", "1 - 3 years"): "stage=3-5-years&service=health-visiting&q=massage",
        ("Stage", "3 - 5 years"): "stage=1-3-years&service=health-visiting&q=massage",
        ("Service", "Health Visiting"): "stage=1-3-years&stage=3-5-years&q=massage",
        (
            "Search the pathway",
            "massage",
        ): "stage=1-3-years&stage=3-5-years&service=health-visiting",
    }
    assert 'href="?stage=3-5-years&amp;service=health-visiting&amp;q=massage"' in content
    # Following a removal link filters without that value, no JavaScript needed.
    after = client.get(f"{IMH_URL}?{removals[('Search the pathway', 'massage')]}")
    assert [e.position for e in after.context["entries"]] == [140, 150, 160, 170]


def test_print_summary_states_the_filters_in_words_and_the_url(client, imh):
    content = client.get(IMH_URL, {"service": "primary-care-gp", "age": "2y"}).content.decode()
    assert "Filters: Child&#x27;s age: 2y; Service: Primary Care &amp; GP" in content
    assert (
        f"Printed from http://testserver{IMH_URL}?service=primary-care-gp&amp;age=2y on " in content
    )
    assert "No filters: every rationale of the pathway." in client.get(IMH_URL).content.decode()


def test_htmx_fragment_carries_the_empty_state_and_notices(client, imh):
    body = client.get(
        IMH_URL, {"service": ["primary-care-gp", "nope"], "tag": "core-purpose-2"}, headers=HTMX
    ).content.decode()
    assert "There are no rationales that match your filters." in body
    assert "“nope” was not recognised" in body


def test_form_is_plain_get_with_htmx_enhancement(client, imh):
    content = client.get(IMH_URL).content.decode()
    assert f'method="get" action="{IMH_URL}"' in content
    assert f'hx-get="{IMH_URL}"' in content
    assert 'hx-push-url="true"' in content
    assert 'hx-target="#results-panel"' in content
    # The child's age first, open; stage, service, tag and search folded on a phone.
    assert content.index('id="id_age"') < content.index("Stage, service, tag and search")
    assert 'hx-trigger="submit, change from:.nhsuk-checkboxes__input"' in content
    # htmx itself comes from our own static files, not a CDN.
    assert "/static/django_htmx/htmx-2.min.js" in content
    assert "https://" not in content.split("<body")[0].replace("http://www.w3.org", "")


def test_form_remembers_choices(client, imh):
    content = client.get(
        IMH_URL, {"stage": "1-3-years", "age": "10w", "q": "massage"}
    ).content.decode()
    ticked = [box.attrs["id"] for box in elements(content, "input") if "checked" in box.attrs]
    assert ticked == ["stage-1-3-years"]
    assert element(content, "id_age").attrs["value"] == "10w"
    assert element(content, "id_q").attrs["value"] == "massage"


def test_document_page(client, imh):
    content = client.get("/documents/pimh-delivery-plan-2021-2022/").content.decode()
    [heading] = elements(content, "h1")
    assert heading.text.startswith(
        "Perinatal and Infant Mental Health Programme Board: delivery plan"
    )
    assert len(elements(content, "li", "document-section")) == 10
    assert f'href="{IMH_URL}"' in content


@pytest.mark.parametrize("url", ["/", IMH_URL, "/documents/pimh-delivery-plan-2021-2022/"])
def test_pages_are_read_only(client, imh, url):
    assert client.post(url).status_code == 405


def add_entries(pathway, count):
    """Adds generated entries (with two interventions each) to grow the data set."""
    template = Entry.objects.filter(pathway=pathway).first()
    start = Entry.objects.filter(pathway=pathway).count() * 10 + 1000
    entries = Entry.objects.bulk_create(
        Entry(
            pathway=pathway,
            position=start + i,
            number=start + i,  # bulk_create skips save(), which numbers a new entry
            stage=template.stage,
            age_band=template.age_band,
            tag=template.tag,
            service=template.service,
            rationale=f"Generated rationale {i}",
            criteria="Generated criteria",
            status=Status.PUBLISHED,
        )
        for i in range(count)
    )
    Intervention.objects.bulk_create(
        Intervention(entry=entry, position=n, text=f"Step {n}", bullets="one\ntwo")
        for entry in entries
        for n in (1, 2)
    )


@pytest.mark.parametrize(
    "query",
    ["", "stage=birth-6-weeks&service=health-visiting", "age=10w&tag=core-purpose-2&q=massage"],
)
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_query_count_does_not_grow_with_the_data(client, imh, nothing_reused, query, headers):
    url = f"{IMH_URL}?{query}"
    client.get(url, headers=headers)  # warm up: session, content types
    with CaptureQueriesContext(connection) as small:
        client.get(url, headers=headers)
    add_entries(imh, 981)
    assert Entry.objects.filter(pathway=imh).count() == 1000
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert len(large) == len(small)
    # 14 with nothing reused (the pinned 15 below, less the age bands read only to reuse
    # rows per selection); a search reads the entries' words (SQLite: entries, interventions)
    # or its typo candidates (PostgreSQL: one query, with pg_trgm) instead of the total.
    assert len(large) <= 15


def test_query_count_is_pinned(client, imh, django_assert_num_queries):
    # pathway (+ has_entries), reading notes, related pathways (those it lists and those
    # listing it, in one query), stages, services, tags, the glossary and the published words its
    # compounds are found in (with it, once per content version), entries, interventions,
    # the interventions of entries they repeat, total count; the published pathways its
    # notes may name; the timeline's bars; the age bands the entries use (the last four once
    # per content version).
    with django_assert_num_queries(15):
        client.get(IMH_URL)


def test_interventions_are_fetched_for_the_page_alone(client, imh):
    # Ordering interventions by their entry (the model's default) joins every entry of every
    # pathway; at 10,000 entries that was most of the page's database time.
    with CaptureQueriesContext(connection) as queries:
        client.get(IMH_URL, {"stage": "birth-6-weeks"}, headers=HTMX)
    (fetch,) = [q["sql"] for q in queries if 'FROM "pathways_intervention"' in q["sql"]]
    assert "JOIN" not in fetch
    assert '"pathways_intervention"."entry_id" IN' in fetch


PARAMS = st.sampled_from(["stage", "service", "tag", "age", "q", "dob", "x", "stage[]", ""])
PROBES = st.builds(
    lambda name, tail: f'<probe-{name} title="{tail}">',
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.text(max_size=20),
)
VALUES = st.one_of(
    PROBES,
    st.text(max_size=50),
    st.sampled_from(
        [
            "birth-6-weeks",
            "health-visiting",
            "core-purpose-2",
            "10w",
            "1y6m",
            "<script>alert(1)</script>",
            '"><img src=x>',
            "%00",
            "\x00",
            "' OR 1=1 --",
        ]
    ),
    st.text(max_size=3000),
)


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(PARAMS, VALUES), max_size=6), st.booleans())
def test_any_query_string_is_answered_safely(client, imh, pairs, htmx):
    response = client.get(f"{IMH_URL}?{urlencode(pairs)}", headers=HTMX if htmx else {})
    # A control character is refused whole (tests/operations/test_control_characters.py).
    refused = any(control_character(name + value) for name, value in pairs)
    assert response.status_code == (400 if refused else 200)
    content = response.content.decode()
    for _, value in pairs:
        # A markup probe may come back (escaped, in the form or a notice), never as markup.
        if value.startswith("<probe-"):
            assert value not in content
    for marker in ("<script>alert(1)</script>", '"><img src=x>'):
        assert marker not in content


def test_typed_text_comes_back_escaped(client, imh):
    probe = '<probe-a title="b">'
    content = client.get(IMH_URL, {"q": probe, "service": probe}).content.decode()
    assert probe not in content
    assert 'value="&lt;probe-a title=&quot;b&quot;&gt;"' in content  # the search box
    assert "“&lt;probe-a title=&quot;b&quot;&gt;” was not recognised" in content


def test_htmx_response_pushes_a_tidy_url(client, imh):
    response = client.get(
        IMH_URL, {"service": "primary-care-gp", "age": "", "q": " ", "stage": ""}, headers=HTMX
    )
    assert response["HX-Push-Url"] == f"{IMH_URL}?service=primary-care-gp"
    response = client.get(IMH_URL, {"age": "", "q": ""}, headers=HTMX)
    assert response["HX-Push-Url"] == IMH_URL
    assert "HX-Push-Url" not in client.get(IMH_URL, {"age": ""})
