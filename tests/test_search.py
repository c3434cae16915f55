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
from pathways.search import (
    SAME_AS,
    TRIGRAM_FLOOR,
    entry_words,
    mark_terms,
    one_typo_apart,
    parse_terms,
    render_marked,
    stem,
    words_of,
)

from .conftest import IMH_URL, examples
from .pagetext import elements, links
from .test_filters import CHILDRENS_CENTRES, HEALTH_VISITING

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
    ("q", "expected"),
    [
        # Stemming, on both databases: "visits" finds "visiting" and "visit", and the
        # entries of the Health Visiting service by its name.
        ("visits", {40, 50, 60, 70, 80, 100, 110, 140, 170, *HEALTH_VISITING}),
        # A quoted phrase needs the words together; unquoted they may be anywhere.
        ('"family support"', {50, 60, 70, 80, 100, 110, 130, 140, 150, 170}),
        (
            "family support",
            {20, 50, 60, 70, 80, 90, 100, 110, 130, 140, 150, 160, 170, 180, 190},
        ),
        # -word leaves entries out, by stem: "-fathers" also drops "father" (140, and 170,
        # which repeats 140's interventions).
        ("massage -fathers", {60, 80}),
        ("massage -father", {60, 80}),
        # Issue 11, each as typed by a practitioner.
        # A straight apostrophe finds the seed's curly one, a hyphen its en dash; the
        # service's name, "Childrens Centres & EYFS", finds its entries.
        ("children's centre", {50, 70, 100, 140, 170, 180, *CHILDRENS_CENTRES}),
        ("children’s centre", {50, 70, 100, 140, 170, 180, *CHILDRENS_CENTRES}),
        ("CHILDREN'S CENTRE", {50, 70, 100, 140, 170, 180, *CHILDRENS_CENTRES}),
        ("parent-infant", {140, 170, 190}),
        ("parent–infant", {140, 170, 190}),
        ('"parent infant psychotherapy"', {140, 170, 190}),
        # One typo in a word of 5+ letters: the seed's "admisisons".
        ("admissions", {10}),
        ("admisisons", {10}),
        # The glossary, both ways.
        ("neonatal", {20}),
        ("NICU", {20}),
        ('"neonatal intensive care unit"', {20}),
        ("SW", {20, 180}),
        ("social worker", {20, 180}),
        ('"social worker"', {20, 180}),
        # PND: postnatal depression, which the pathway calls "parental mood concerns".
        ("depression", {50, 70, 100, 140, 170}),
        ("PND", {50, 70, 100, 140, 170}),
        ("postnatal depression", {50, 70, 100, 140, 170}),
        # Stemming on SQLite too: "attached" and "attachment" find the same entries.
        ("attached", {50, 70, 100, 140, 170, 180, 190}),
        ("attachment", {50, 70, 100, 140, 170, 180, 190}),
        # Stop words alone find nothing (PostgreSQL leaves them out of its index).
        ("the", set()),
    ],
)
def test_search_finds_the_same_on_both_databases(client, imh, q, expected):
    assert set(found(client, q)) == expected


def test_attached_and_attachment_find_the_same_entries(client, imh):
    assert set(found(client, "attached")) == set(found(client, "attachment"))


def test_a_reference_to_the_entry_repeated_is_searched_with_the_age(client, imh):
    """The 3 - 5 years follow-up says "As above in 1 - 3 years age range plus:": massage at
    four years is found through the 1 - 3 years entry it repeats."""
    assert found(client, "massage", age="4y") == [170]
    assert found(client, "massage", age="2y") == [140]
    content = client.get(IMH_URL, {"q": "massage", "age": "4y"}).content.decode()
    [repeats] = elements(content, "details", "entry__repeats")
    assert "Deliver infant massage - undertaken at home, one to one." in repeats.lines
    assert [mark.text for mark in elements(repeats.markup, "mark")] == ["massage"]


def test_typos_are_allowed_only_in_words_of_five_letters_or_more(client, imh):
    # "visit" with one letter changed is still found; "baby" with one changed is not.
    assert set(found(client, "vosit")) == set(found(client, "visit"))
    assert found(client, "babz") == []
    # Swapped neighbours, a letter dropped, a letter added.
    assert set(found(client, "massgae")) == set(found(client, "massage"))
    assert set(found(client, "masage")) == set(found(client, "massage"))
    assert set(found(client, "masssage")) == set(found(client, "massage"))
    # Two typos are not one.
    assert found(client, "msasgae") == []


def test_the_one_typo_rule():
    assert one_typo_apart("admissions", "admisisons")
    assert one_typo_apart("massage", "masage") and one_typo_apart("masage", "massage")
    assert one_typo_apart("massage", "massagr")
    assert not one_typo_apart("massage", "msasgae")
    assert not one_typo_apart("abcde", "abced" + "x")
    assert not one_typo_apart("abcdef", "badcef")


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=5, max_size=20), st.data())
def test_one_typo_keeps_the_trigram_similarity_search_asks_for(word, data):
    """pg_trgm finds typo candidates by similarity >= TRIGRAM_FLOOR: every word one typo away
    (of TYPO_MIN_LENGTH letters or more) must clear it, or a typo would go unfound."""
    kind = data.draw(st.sampled_from(["add", "drop", "change", "swap"]))
    at = data.draw(st.integers(0, len(word) - 2))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    typo = {
        "add": word[:at] + letter + word[at:],
        "drop": word[:at] + word[at + 1 :],
        "change": word[:at] + letter + word[at + 1 :],
        "swap": word[:at] + word[at + 1] + word[at] + word[at + 2 :],
    }[kind]
    assert one_typo_apart(word, typo)
    assert trigram_similarity(word, typo) >= TRIGRAM_FLOOR


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity() for one lower-case word each: shared padded trigrams over all."""

    def grams(word: str) -> set[str]:
        padded = f"  {word} "
        return {padded[i : i + 3] for i in range(len(padded) - 2)}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


def test_python_reads_words_and_stems_as_postgresql_does(imh):
    """SQLite search and the offline copy read words and stems in Python: texts split into
    the same words as PostgreSQL's pathways_search_text, and, on PostgreSQL, every entry's
    words have the stems its search vector holds."""
    text = "Children’s Centre – parent-infant, CAFÉ/SW"
    expected = ["children", "s", "centre", "parent", "infant", "cafe", "sw"]
    assert words_of(text) == expected
    assert [stem(w) for w in ["attached", "attachment", "the", "1y6m"]] == [
        "attach",
        "attach",
        "",
        "1y6m",
    ]
    if not POSTGRES:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pathways_search_text(%s)", [text])
        assert cursor.fetchone()[0].split() == expected
        for entry in Entry.objects.for_browser(imh):
            cursor.execute(
                "SELECT array_agg(lexeme) FROM unnest(%s::tsvector)", [entry.search_vector]
            )
            [[lexemes]] = cursor.fetchall()
            assert set(lexemes) == {stem(w) for w in entry_words(entry)} - {""}, entry.position


def test_ranking_within_a_stage(client, imh):
    entries = client.get(IMH_URL, {"q": "visit", "stage": "birth-6-weeks"}).context["entries"]
    birth = [e for e in entries if e.stage.slug == "birth-6-weeks"]
    if POSTGRES:
        # Entry 40 mentions a visit only in passing: it comes after 50 and 60; 10, 20 and
        # 30 are found only by their service's name (Health Visiting), with rank 0.
        assert [e.position for e in birth] == [50, 60, 40, 10, 20, 30]
        assert [e.rank for e in birth] == sorted((e.rank for e in birth), reverse=True)
    else:
        # Word matching has no ranking: page order.
        assert [e.position for e in birth] == [10, 20, 30, 40, 50, 60]
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
        # The entries' words are read and matched in Python; the rows are found by id.
        where = str(Entry.objects.search("massage").query).split(" WHERE ", 1)[1]
        assert "search_vector" not in where and " IN (" in where
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
    max_examples=examples(80),
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
        plain = re.sub(r"</?(mark|abbr)[^>]*>", "", heading)
        assert plain == escape(entry.rationale)
    # No stray mark character reaches the results (the search box echoes what was typed).
    results = content[content.index('id="results"') :]
    assert "\x02" not in results and "\x03" not in results


# Every apostrophe and dash as phones and word processors type them, and the plain ones.
APOSTROPHES = ["'", *[c for c, plain in SAME_AS.items() if plain == "'"]]
DASHES = ["-", *[c for c, plain in SAME_AS.items() if plain == "-"]]


def phrases_of_the_pathway() -> list[tuple[int, str]]:
    """(entry position, phrase): runs of one to four words as the seed writes them, each on
    one line of an entry's own text, holding a word that is not a stop word."""
    found = []
    for entry in Entry.objects.prefetch_related("interventions"):
        texts = [entry.rationale, entry.criteria]
        texts += [t for i in entry.interventions.all() for t in (i.text, i.bullets)]
        for line in "\n".join(texts).splitlines():
            words = line.split()
            for size in range(1, 5):
                for start in range(0, len(words) - size + 1, size):
                    phrase = " ".join(words[start : start + size])
                    if any(stem(w) for w in words_of(phrase)) and '"' not in phrase:
                        found.append((entry.position, phrase))
    return found


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_any_apostrophe_dash_or_case_of_a_phrase_finds_its_entry(client, imh, data):
    phrases = phrases_of_the_pathway()
    # The seed's own apostrophes and dashes are among those drawn.
    assert any("’" in p for _, p in phrases) and any("–" in p for _, p in phrases)
    position, phrase = data.draw(st.sampled_from(phrases))
    typed = ""
    for char in phrase:
        if char in APOSTROPHES:
            char = data.draw(st.sampled_from(APOSTROPHES))
        elif char in DASHES:
            char = data.draw(st.sampled_from(DASHES))
        typed += data.draw(st.sampled_from([char, char.upper(), char.lower()]))
    assert position in found(client, f'"{typed}"'), typed
    # Unquoted, a leading "-" is the search's "not" (search.parse_terms): "-use of tools" asks for
    # entries without "use", so only the quoted phrase is sure to find its entry then.
    if not typed.startswith("-"):
        assert position in found(client, typed), typed


def test_when_search_alone_empties_the_page_it_says_what_the_other_filters_find(client, imh):
    content = client.get(IMH_URL, {"q": "xylophone", "service": "health-visiting"}).content
    content = content.decode()
    # The exact empty state stays, with a line of its own after it.
    assert "There are no rationales that match your filters." in content
    assert "Please amend your choices to see more rationales." in content
    [without] = elements(content, "p", "results__without-search")
    assert without.text == (
        "No rationales match “xylophone”. 13 rationales match your other filters: show them"
    )
    assert links(without.markup)["show them"] == f"{IMH_URL}?service=health-visiting"
    alone = client.get(IMH_URL, {"q": "xylophone"}).content.decode()
    [without] = elements(alone, "p", "results__without-search")
    assert without.text == (
        "No rationales match “xylophone”. 19 rationales match your other filters: show them"
    )
    assert links(without.markup)["show them"] == IMH_URL
    # One rationale: said in the singular.
    one = client.get(IMH_URL, {"q": "xylophone", "age": "4y", "service": "health-visiting"})
    assert "1 rationale matches your other filters" in one.content.decode()
    # When the other filters find nothing either, there is nothing more to say.
    assert (
        "1 rationale matches your other filters"
        in client.get(
            IMH_URL, {"q": "xylophone", "tag": "targeted-support", "age": "4y"}
        ).content.decode()
    )
    none = client.get(
        IMH_URL, {"q": "xylophone", "tag": "targeted-support", "service": "health-visiting"}
    )
    assert not elements(none.content.decode(), "p", "results__without-search")
    assert "There are no rationales that match your filters." in none.content.decode()
