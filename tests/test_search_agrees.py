"""Search agrees with itself (issue 23): a compound finds the same written joined,
hyphenated or spaced; services' and tags' names are searched; highlights mark what matched,
a glossary expansion or a compound in two words as a whole phrase. On both databases."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.search import (
    Glossary,
    compounds_in,
    load_glossary,
    mark_phrases,
    parse_terms,
    patterns,
    published_texts,
    read_search,
)

from .conftest import IMH_URL, examples
from .pagetext import elements
from .test_filters import CHILDRENS_CENTRES, CORE_PURPOSE_2

# "Post Natal Ward" (20) and the entries that write "postnatal" (PND's expansion among them).
POSTNATAL = {20, 50, 70, 100, 140, 170}


def found(client, q: str, **params) -> set[int]:
    response = client.get(IMH_URL, {"q": q, **params})
    assert response.status_code == 200
    return {entry.position for entry in response.context["entries"]}


def marks(client, q: str) -> list[str]:
    """The text of every <mark> on the page for a search, as read."""
    html = client.get(IMH_URL, {"q": q}).content.decode()
    return [mark.text for mark in elements(html, "mark")]


def marked_names(html: str) -> dict[str, list[str]]:
    """Each card's service and tag as read, and the words of them marked."""
    named = [
        *elements(html, "dl", "entry__service"),
        *elements(html, "strong", "nhsuk-tag--purple"),
    ]
    return {name.text: [mark.text for mark in elements(name.markup, "mark")] for name in named}


@pytest.mark.parametrize(
    "q", ["postnatal", "post-natal", "post natal", "Post Natal", "POST–NATAL", "post  natal"]
)
def test_a_compound_finds_the_same_joined_hyphenated_or_spaced(client, imh, q):
    assert found(client, q) == POSTNATAL


def test_a_spaced_compound_is_one_term_only_when_its_words_stand_together(client, imh):
    # "post natal" is one term; "natal" alone is only "Post Natal Ward".
    assert found(client, "natal") == {20}
    assert found(client, "natal post") == {20}
    glossary = load_glossary()
    assert parse_terms("post natalities", glossary.pattern).include == ["post", "natalities"]
    assert parse_terms('-post natal "post natal"', glossary.pattern).exclude == ["post natal"]


def test_the_compounds_are_read_from_the_published_content(imh):
    compounds = compounds_in(published_texts())
    assert compounds["postnatal"] == ("post", "natal")  # "Post Natal Ward" and "postnatal"
    assert compounds["parentinfant"] == ("parent", "infant")  # "parent–infant"
    # A stop word is never a part: search leaves "up" out of "follow-up" on both databases.
    assert "followup" not in compounds
    glossary = load_glossary()
    assert parse_terms("post natal care", glossary.pattern).include == ["post natal", "care"]
    assert parse_terms("post natal care", Glossary().pattern).include == ["post", "natal", "care"]


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_compound_of_the_seed_finds_the_same_however_written(client, imh, data):
    compounds = sorted(compounds_in(published_texts()).items())
    assert len(compounds) >= 2
    joined, (first, second) = data.draw(st.sampled_from(compounds))
    between = data.draw(st.sampled_from(["", "-", "\u2013", " ", "  "]))
    typed = data.draw(st.sampled_from([str.lower, str.upper, str.title]))(
        f"{first}{between}{second}"
    )
    assert found(client, typed) == found(client, joined), typed


def test_service_and_tag_names_are_searched(client, imh):
    assert set(CHILDRENS_CENTRES) <= found(client, "childrens centre")
    assert set(CHILDRENS_CENTRES) <= found(client, "Children’s Centres")
    assert found(client, "EYFS") == set(CHILDRENS_CENTRES)
    assert found(client, '"core purpose 2"') == set(CORE_PURPOSE_2)
    # Names narrow like any words: with another filter, and left out with -.
    assert found(client, "eyfs", service="health-visiting") == set()
    assert found(client, "massage -eyfs") == found(client, "massage") - set(CHILDRENS_CENTRES)
    # Entries without a tag stay when a tag's name is left out.
    assert found(client, "massage -purpose") == found(client, "massage") - set(CORE_PURPOSE_2)
    # A phrase is never found across an entry's own words and a name.
    assert found(client, '"centres eyfs"') == set(CHILDRENS_CENTRES)
    assert found(client, '"eyfs core"') == set()


def test_a_service_or_tag_name_that_matched_is_marked(client, imh):
    html = client.get(IMH_URL, {"q": "childrens centre"}).content.decode()
    assert marked_names(html)["Childrens Centres & EYFS"] == ["Childrens", "Centres"]
    html = client.get(IMH_URL, {"q": '"core purpose"'}).content.decode()
    assert marked_names(html)["Core Purpose 2"] == ["Core Purpose"]
    # Unsearched, nothing is marked.
    unsearched = marked_names(client.get(IMH_URL).content.decode())
    assert "Childrens Centres & EYFS" in unsearched and not any(unsearched.values())


def test_a_glossary_expansion_is_marked_as_a_whole_phrase(client, imh):
    neonatal = marks(client, "neonatal")
    assert neonatal
    assert {m.lower() for m in neonatal} <= {"neonatal", "nicu", "neonatal intensive care unit"}
    pnd = marks(client, "PND")
    assert pnd
    assert {m.lower() for m in pnd} <= {"pnd", "postnatal depression", "parental mood concerns"}
    assert "parental" not in {m.lower() for m in pnd}


def test_a_compound_in_two_words_is_marked_whole(client, imh):
    # "postnatal" is a word of PND's "postnatal depression": the glossary's names for PND too.
    pnd = {"pnd", "postnatal depression", "parental mood concerns"}
    for q in ("postnatal", "post-natal", "post natal"):
        shown = {m.lower() for m in marks(client, q)}
        assert shown <= {"postnatal", "post natal", *pnd}, q
        assert {"postnatal", "post natal"} <= shown, q


def test_mark_phrases_marks_only_where_the_words_stand_together():
    glossary = Glossary.of([("NICU", ["neonatal intensive care unit"])])
    found_ = [p for term in read_search("neonatal", glossary) for p in patterns(term, {})]
    text = "Care at home. Neonatal Intensive Care Unit (NICU) staff; neonatal care"
    marked = mark_phrases(text, found_)
    assert marked == (
        "Care at home. \x02Neonatal Intensive Care Unit\x03 (\x02NICU\x03) staff; "
        "\x02neonatal\x03 care"
    )
    # A phrase over a bullet's line end is not marked: bullets are shown line by line.
    assert "\x02" not in mark_phrases("neonatal intensive\ncare unit", found_[2:])
