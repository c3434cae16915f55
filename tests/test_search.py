"""Search in the practitioner's own words. PostgreSQL runs full-text search (stemming,
phrases, -word, ranking, a GIN index); SQLite matches words and phrases. CI runs this file
on both, so each database's expectations are checked on every build."""

import re
from html import escape

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.characters import control_character
from pathways.models import Entry
from pathways.search import mark_terms, parse_terms, render_marked

from .conftest import IMH_URL

POSTGRES = connection.vendor == "postgresql"
# 170 (3 - 5 years) repeats 140's interventions ("As above in 1 - 3 years age range plus:").
MASSAGE = {50, 60, 70, 80, 100, 140, 170}


def found(client, q: str, **params) -> list[int]:
    response = client.get(IMH_URL, {"q": q, **params})
    assert response.status_code == 200
    return [entry.position for entry in response.context["entries"]]


def test_massage_finds_the_six_entries_offering_infant_massage(client, imh):
    assert set(found(client, "massage")) == MASSAGE
    assert set(found(client, "Massage")) == MASSAGE


def test_a_word_that_matches_nothing_shows_the_empty_state(client, imh):
    content = client.get(IMH_URL, {"q": "xylophone"}).content.decode()
    assert "There are no rationales that match your filters." in content
    assert "Showing 0 of 19 rationales" in content


def test_search_combines_with_every_other_filter(client, imh):
    assert found(client, "massage", stage="1-3-years") == [140]
    assert set(found(client, "massage", service="childrens-centres-eyfs")) == {80}
    assert set(found(client, "massage", age="10w")) == {70, 80}
    assert found(client, "massage", tag="targeted-support") == []


def test_results_stay_grouped_under_their_stage_headings(client, imh):
    entries = client.get(IMH_URL, {"q": "visiting"}).context["entries"]
    stage_order = [entry.stage.position for entry in entries]
    assert stage_order == sorted(stage_order)


@pytest.mark.parametrize(
    ("q", "postgres", "sqlite"),
    [
        # Stemming: "visits" finds "visiting" and "visit" on PostgreSQL, only "Visits" here.
        ("visits", {40, 50, 60, 70, 80, 100, 110, 140, 170}, {70, 100, 140}),
        # A quoted phrase needs the words together; unquoted they may be anywhere.
        (
            '"family support"',
            {50, 60, 70, 80, 100, 110, 130, 140, 150},
            {50, 60, 70, 80, 100, 110, 130, 140, 150},
        ),
        (
            "family support",
            {20, 50, 60, 70, 80, 90, 100, 110, 130, 140, 150, 160, 180, 190},
            {20, 50, 60, 70, 80, 100, 110, 130, 140, 150},
        ),
        # -word leaves entries out; stemming makes "-fathers" also drop "father".
        ("massage -fathers", {60, 80}, {60, 80, 140}),
        ("massage -father", {60, 80}, {60, 80}),
    ],
)
def test_database_search_semantics(client, imh, q, postgres, sqlite):
    assert set(found(client, q)) == (postgres if POSTGRES else sqlite)


def test_ranking_within_a_stage(client, imh):
    entries = client.get(IMH_URL, {"q": "visit", "stage": "birth-6-weeks"}).context["entries"]
    birth = [e for e in entries if e.stage.slug == "birth-6-weeks"]
    if POSTGRES:
        # Entry 40 mentions a visit only in passing: it comes after 50 and 60.
        assert [e.position for e in birth] == [50, 60, 40]
        assert [e.rank for e in birth] == sorted((e.rank for e in birth), reverse=True)
    else:
        # Word matching has no ranking: page order.
        assert [e.position for e in birth] == [40, 50, 60]
        assert {e.rank for e in birth} == {0.0}


def test_how_search_finds_rows(imh):
    from django.db import connection as conn

    if POSTGRES:
        with conn.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            # Without the page's ordering, so the plan shows how rows are found.
            plan = Entry.objects.search("massage").order_by().explain()
        assert "entry_search_vector_gin" in plan
        assert Entry.objects.filter(search_vector__isnull=True).count() == 0
    else:
        where = str(Entry.objects.search("massage").query).split(" WHERE ", 1)[1]
        assert "search_vector" not in where and "LIKE" in where
        # The column is PostgreSQL's alone; here it stays empty.
        assert Entry.objects.exclude(search_vector__isnull=True).count() == 0


def test_search_follows_edits_to_interventions(client, imh):
    """On PostgreSQL triggers rebuild the entry's search vector; either way an edit to an
    intervention is searchable at once."""
    entry = Entry.objects.get(pathway=imh, position=30)  # no interventions in the seed
    assert found(client, "hydrotherapy") == []
    intervention = entry.interventions.create(position=1, text="Offer hydrotherapy.")
    assert found(client, "hydrotherapy") == [30]
    intervention.text = "Offer swimming."
    intervention.save()
    assert found(client, "hydrotherapy") == []
    assert found(client, "swimming") == [30]
    intervention.delete()
    assert found(client, "swimming") == []


def test_matches_are_marked(client, imh):
    content = client.get(IMH_URL, {"q": "massage"}).content.decode()
    assert "Deliver infant <mark>massage</mark> - undertaken at home, one to one." in content
    assert content.count("<mark>") == content.count("</mark>") >= 6


def test_marks_in_rationale_and_criteria(client, imh):
    content = client.get(IMH_URL, {"q": "outreach emotional"}).content.decode()
    # Nothing has both words: empty. Each alone is marked where it is.
    assert "There are no rationales that match" in content
    content = client.get(IMH_URL, {"q": "outreach"}).content.decode()
    assert "<mark>Outreach</mark> home visiting family support." in content
    content = client.get(IMH_URL, {"q": "emotional"}).content.decode()
    assert "parental <mark>emotional</mark> availability" in content


def test_parse_terms():
    terms = parse_terms('infant "social  baby" -dad -"home visit" "unclosed phrase')
    assert terms.include == ["infant", "social baby", "unclosed phrase"]
    assert terms.exclude == ["dad", "home visit"]
    assert parse_terms('- "" -').include == []


def test_render_marked_escapes_everything_but_the_marks():
    marked = mark_terms("<b>&/or</b> massage", ["massage", "&/or"])
    assert render_marked(marked) == "&lt;b&gt;<mark>&amp;/or</mark>&lt;/b&gt; <mark>massage</mark>"
    # A stray mark character from pasted text cannot produce a tag.
    assert render_marked("a\x02b") == "ab"


H3 = re.compile(r'<h3 class="nhsuk-card__heading nhsuk-heading-s">(.*?)</h3>', re.S)
QUERY_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            [
                "massage",
                "<b>",
                "&",
                '"',
                "-",
                "support",
                "&amp;",
                "mark",
                "'",
                "<mark>",
                "family",
                "e.g.",
                "visit",
                "\x02",
                "\x03",
            ]
        ),
        max_size=5,
    ).map(" ".join),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(QUERY_TEXT)
def test_highlighting_never_breaks_escaping(client, imh, q):
    response = client.get(IMH_URL, {"q": q})
    if control_character(q):
        # Refused whole before any search (tests/operations/test_control_characters.py), so
        # a mark character can never be typed into one.
        assert response.status_code == 400
        assert "\x02" not in response.content.decode()
        return
    assert response.status_code == 200
    content = response.content.decode()
    entries = response.context["entries"]
    headings = H3.findall(content)
    assert len(headings) == len(entries)
    for entry, heading in zip(entries, headings, strict=True):
        assert heading.count("<mark>") == heading.count("</mark>")
        assert heading.replace("<mark>", "").replace("</mark>", "") == escape(entry.rationale)
    # No stray mark character reaches the results (the search box echoes what was typed).
    results = content[content.index('id="results"') :]
    assert "\x02" not in results and "\x03" not in results
