"""What the pathway page hands the offline script: each card's filtering data, worked out by
the server, and the rules for reading a typed age and search (no rule of the browser's own)."""

import json
import re
from html import unescape

import pytest

from pathways.ages import AGE_MESSAGES, DAYS_PER_UNIT, GESTATION_MESSAGES
from pathways.models import Entry, Stage
from pathways.search import entry_words, normalise, stem

from ..conftest import HTMX, IMH_URL

CARD = re.compile(r'<article class="nhsuk-card entry" id="entry-(\d+)"([^>]*)>')


def cards(html: str) -> dict[int, dict[str, str]]:
    """Each card's data attributes, by entry position."""
    return {
        int(position): {
            name: unescape(value) for name, value in re.findall(r' data-(\w+)="([^"]*)"', attrs)
        }
        for position, attrs in CARD.findall(html)
    }


def rules(html: str) -> dict:
    found = re.search(r'<script id="offline-rules" type="application/json">(.*?)</script>', html)
    return json.loads(found[1])


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
        assert card["stages"].split() == overlapped
        assert card["service"] == entry.service.slug
        assert card["tag"] == (entry.tag.slug if entry.tag else "")
        assert json.loads(card["words"]) == entry_words(entry)
    # "Birth - 5 years" shows under every stage: its card names all five.
    everywhere = [c for c in shown.values() if c["start"] == "0" and c["end"] == "1826"]
    assert everywhere and all(len(c["stages"].split()) == 5 for c in everywhere)
    # The seed's curly apostrophe parts words as a straight one does, in lower case.
    assert any(
        '"children","s","centre","groups"' in c["words"].replace(" ", "") for c in shown.values()
    )
    # The 3 - 5 years follow-up carries the words of the 1 - 3 years one it repeats.
    assert "massage" in json.loads(shown[170]["words"])


def test_the_htmx_fragment_carries_the_same_card_data(client, imh):
    whole = cards(client.get(IMH_URL, {"service": "health-visiting"}).content.decode())
    fragment = client.get(IMH_URL, {"service": "health-visiting"}, headers=HTMX)
    assert cards(fragment.content.decode()) == whole


def test_the_page_carries_the_stems_of_its_words_from_the_server(client, imh):
    """On both databases: the stems come from the server (the offline page has no stemmer)."""
    html = client.get(IMH_URL).content.decode()
    stems = rules(html)["search"]["stems"]
    words = {w for card in cards(html).values() for w in json.loads(card["words"])}
    assert words <= set(stems)
    assert all(stems[w] == stem(w) for w in stems)
    assert stems["visiting"] == "visit" and stems["families"] == "famili"
    assert stems["the"] == ""  # a stop word
    # Inflections the pathway does not use, and the glossary's words.
    assert stems["attaching"] == stems["attached"] == "attach"
    assert stems["neonatal"] == "neonat"


def test_the_page_hands_over_the_glossary_both_ways(client, imh):
    glossary = rules(client.get(IMH_URL).content.decode())["search"]["glossary"]
    assert ["nicu"] in glossary["neonat"]
    assert ["social", "worker"] in glossary["sw"] and ["sw"] in glossary["social worker"]
    assert ["pnd"] in glossary["depress"]


def test_the_page_hands_over_the_servers_rules_for_reading_an_age_and_a_search(client, imh):
    page = rules(client.get(IMH_URL).content.decode())
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
    assert page["search"]["typo_min_length"] == 5
    assert [" ".join(words) for words in page["no_matches"]] == [
        "There are no rationales that match your filters.",
        "Please amend your choices to see more rationales.",
    ]


@pytest.mark.parametrize(
    "query", ["", "age=&q=+", "service=health-visiting", "q=massage", "stage=nope&age=zz"]
)
def test_only_the_unfiltered_page_may_be_filtered_in_the_browser(client, imh, query):
    html = client.get(f"{IMH_URL}?{query}").content.decode()
    unfiltered = query in ("", "age=&q=+")
    assert rules(html)["all_cards"] is unfiltered
    # Only the page filtered in the browser carries the cards' words and their stems.
    assert all(("words" in card) is unfiltered for card in cards(html).values())
    assert bool(rules(html)["search"]["stems"]) is unfiltered
