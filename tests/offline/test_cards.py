"""What the pathway page hands the offline script: each card's filtering data, worked out by
the server, and the tables it reads a typed age and search with (no rule of the browser's own:
it looks typed words up)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.ages import AGE_MESSAGES, DAYS_PER_UNIT, GESTATION_MESSAGES
from pathways.models import Entry, Stage
from pathways.offline.rules import BLANK, TYPED_CHARACTERS, folding, typo_index
from pathways.search import (
    TYPO_MIN_LENGTH,
    entry_words,
    normalise,
    one_typo_apart,
    stem,
    words_of,
)

from ..conftest import HTMX, IMH_URL
from ..pagetext import element, elements


def cards(html: str) -> dict[int, dict[str, str]]:
    """Each card's data attributes, by entry position."""
    return {
        int(card.attrs["id"].removeprefix("entry-")): {
            name.removeprefix("data-"): value
            for name, value in card.attrs.items()
            if name.startswith("data-")
        }
        for card in elements(html, "article", "entry")
    }


def rules(html: str) -> dict:
    script = element(html, "offline-rules")
    assert script.attrs["type"] == "application/json"
    return json.loads(script.content)


def tables(client, html: str) -> dict:
    """The tables the unfiltered page names (offline/rules.py `tables`), as served."""
    return json.loads(client.get(rules(html)["tables_url"]).content)


def test_normalise_reads_text_however_it_is_typed():
    assert normalise("Children’s Parent–Infant CAFÉ") == "children's parent-infant cafe"
    assert normalise("‘naïve’ — `x´ ‐‑‒―−") == "'naive' - 'x' -----"


def test_each_card_carries_its_band_stages_service_tag_and_words(client, imh):
    shown = cards(client.get(IMH_URL).content.decode())
    entries = Entry.objects.filter(pathway=imh).select_related("age_band", "service", "tag")
    assert set(shown) == {entry.position for entry in entries}
    stages = list(Stage.objects.all())
    for entry in entries.prefetch_related("interventions", "repeats__interventions"):
        card = shown[entry.position]
        band = entry.age_band
        assert (int(card["start"]), int(card["end"])) == (band.start_days, band.end_days)
        overlapped = [
            s.slug for s in stages if band.start_days < s.end_days and s.start_days < band.end_days
        ]
        assert card["stage"].split() == overlapped
        assert card["service"] == entry.service.slug
        assert card["tag"] == (entry.tag.slug if entry.tag else "")
        # Its own words, then its service's and tag's names, each after a "|".
        own, *names = card["stems"].split(" | ")
        assert own.split(" ") == [stem(word) for word in entry_words(entry)]
        named = [entry.service.name] + ([entry.tag.name] if entry.tag else [])
        assert names == [" ".join(stem(w) for w in words_of(name)) for name in named]
    # "Birth - 5 years" shows under every stage: its card names all five.
    everywhere = [c for c in shown.values() if c["start"] == "0" and c["end"] == "1826"]
    assert everywhere and all(len(c["stage"].split()) == 5 for c in everywhere)
    # The seed's curly apostrophe parts words as a straight one does ("s", a stop word, is "").
    assert any(" children  centr group " in f" {c['stems']} " for c in shown.values())
    # The 3 - 5 years follow-up carries the words of the 1 - 3 years one it repeats.
    assert "massag" in shown[170]["stems"].split(" ")


def test_the_htmx_fragment_carries_the_same_card_data(client, imh):
    whole = cards(client.get(IMH_URL, {"service": "health-visiting"}).content.decode())
    fragment = client.get(IMH_URL, {"service": "health-visiting"}, headers=HTMX)
    assert cards(fragment.content.decode()) == whole


def test_the_page_carries_the_stems_of_its_words_from_the_server(client, imh):
    """On both databases: the stems come from the server (the offline page has no stemmer).
    A word whose stem is the word itself is left out: the browser reads it as its own."""
    html = client.get(IMH_URL).content.decode()
    stems = tables(client, html)["search"]["stems"]
    entries = Entry.objects.prefetch_related("interventions", "repeats__interventions")
    words = {w for entry in entries.filter(pathway=imh) for w in entry_words(entry)}
    assert all(stems.get(word, word) == stem(word) for word in words)
    assert all(stems[w] == stem(w) != w for w in stems)
    assert stems["visiting"] == "visit" and stems["families"] == "famili"
    assert stems["the"] == ""  # a stop word
    # Inflections the pathway does not use, and the glossary's words.
    assert stems["attaching"] == stems["attached"] == "attach"
    assert stems["neonatal"] == "neonat"


def test_the_page_hands_over_the_glossary_both_ways(client, imh):
    glossary = tables(client, client.get(IMH_URL).content.decode())["search"]["glossary"]
    assert ["nicu"] in glossary["neonat"]
    assert ["social", "worker"] in glossary["sw"] and ["sw"] in glossary["social worker"]
    assert ["pnd"] in glossary["depress"]


def test_the_page_hands_over_the_servers_rules_for_reading_an_age_and_a_search(client, imh):
    html = client.get(IMH_URL).content.decode()
    page = rules(html)
    assert page["all_cards"] is True
    assert page["age"]["messages"] == AGE_MESSAGES
    assert page["age"]["days_per_unit"] == {
        unit: float(size) for unit, size in DAYS_PER_UNIT.items()
    }
    assert page["age"]["max_days"] == 19 * 365
    assert "(?<y>" in page["age"]["pattern"] and "(?P<" not in page["age"]["pattern"]
    assert page["limits"] == {"age": 40, "dob": 20, "q": 200, "born_at_weeks": 20}
    assert page["gestation"]["messages"] == GESTATION_MESSAGES
    assert (page["gestation"]["correct_from"], page["gestation"]["correct_to"]) == (154, 258)
    assert "(?<weeks>" in page["gestation"]["pattern"]
    assert (
        page["too_long"]["q"] == "Ensure this value has at most 200 characters (it has {length})."
    )
    assert page["labels"]["age"] == "Child's age"
    # "Filters in use" in the server's order, with its names for the parameters.
    assert page["parameters"] == ["stage", "age", "dob", "born_at_weeks", "service", "tag", "q"]
    assert page["in_use_labels"]["born_at_weeks"] == "Born at"
    assert page["in_use_labels"]["q"] == "Search the pathway"
    assert ["health-visiting", "Health Visiting"] in page["choices"]["service"]
    assert [s for s, _ in page["choices"]["stage"]] == list(
        Stage.objects.order_by("position", "start_days").values_list("slug", flat=True)
    )
    # The empty state's sentences are in the page only when nothing matches: offline.js
    # copies them from the tables.
    assert "There are no rationales" not in html
    empty_state = tables(client, html)["empty_state"]
    assert "There are no rationales that match your filters." in empty_state
    assert 'class="results__range"' in empty_state


@pytest.mark.parametrize(
    "query", ["", "age=&q=+", "service=health-visiting", "q=massage", "stage=nope&age=zz"]
)
def test_only_the_unfiltered_page_may_be_filtered_in_the_browser(client, imh, query):
    html = client.get(f"{IMH_URL}?{query}").content.decode()
    unfiltered = query in ("", "age=&q=+")
    assert rules(html)["all_cards"] is unfiltered
    # Only the page filtered in the browser carries the cards' stems; every page names the
    # pathway's tables (the service worker saves them with it), and none carries them.
    assert all(("stems" in card) is unfiltered for card in cards(html).values())
    assert rules(html)["tables_url"].endswith(".json")
    kept = [rules(html)["search"][name] for name in ("stems", "typos", "glossary", "fold")]
    assert not any(kept)


# The browser's side of typo_index, as offline.js looks a typed word up: as it is, and with
# each letter BLANK.
def browser_finds(index: dict, typed: str) -> set[str]:
    keys = [typed, *(typed[:i] + BLANK + typed[i + 1 :] for i in range(len(typed)))]
    return {found for key in keys for found in index.get(key, [])}


VOCABULARY = ["attachment", "admisisons", "visiting", "families", "massage", "worker", "sleep"]
EDITS = st.sampled_from(["drop", "add", "change", "swap", "none"])


@given(
    word=st.sampled_from(VOCABULARY),
    edit=EDITS,
    at=st.integers(0, 20),
    letter=st.text("aeisx", min_size=1, max_size=1),
)
def test_looking_a_typed_word_up_finds_exactly_the_words_one_typo_away(word, edit, at, letter):
    """The index holds the one rule (search.one_typo_apart) as data: a lookup finds a word
    exactly when it is one typo away, and only for words long enough to have a typo."""
    i = at % (len(word) + 1)
    typed = {
        "drop": word[:i] + word[i + 1 :],
        "add": word[:i] + letter + word[i:],
        "change": word[:i] + letter + word[i + 1 :],
        "swap": word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :],
        "none": word,
    }[edit]
    index = typo_index(VOCABULARY)
    expected = {
        stem(w) for w in VOCABULARY if one_typo_apart(typed, w) and len(typed) >= TYPO_MIN_LENGTH
    }
    assert browser_finds(index, typed) == expected


def test_the_typo_index_never_finds_a_word_two_typos_away():
    index = typo_index(["xaby", "xbcyz", "abcdef"])
    assert browser_finds(index, "xbcyq") == {stem("xbcyz")}
    assert browser_finds(index, "bacdfe") == set()  # two swaps
    assert browser_finds(index, "axcdef") == {stem("abcdef")}


@given(
    st.text(
        st.sampled_from(
            [chr(c) for a, b in TYPED_CHARACTERS for c in range(a, b)] + list("’–‘ab '-")
        )
    )
)
def test_folding_a_character_at_a_time_is_normalise(text):
    fold = folding()
    folded = "".join(fold.get(char, char) for char in text)
    assert folded == normalise(text)
