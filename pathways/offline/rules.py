"""What the offline page needs to filter its saved cards by itself: tables and words the
server works out from its own rules and hands to offline.js (as json_script), which looks
typed words up in them rather than keeping a copy of the rules."""

from __future__ import annotations

from functools import lru_cache

from django.core.validators import MaxLengthValidator

from .. import ages, search
from ..filters import ACTIVE_LABELS, PARAMETER_LIMITS, PARAMETERS, EntryFilter

NEEDS_SIGNAL = "{label}: working this out needs a signal, so these results are not filtered by it."
NOT_SAVED = "Filtering needs a signal: this pathway's full page is not saved on this device."
# Stands for the typed length in Django's own message, which the browser fills in.
_LENGTH = 987654321


def _too_long(limit: int) -> str:
    """Django's message for a value over `limit` characters, with "{length}" to fill in."""
    message = MaxLengthValidator.message % {"limit_value": limit, "show_value": _LENGTH}
    return str(message).replace(str(_LENGTH), "{length}")


# search._WORD, "[^\W_]+" (a letter or digit, then more), written for JavaScript's RegExp
# with the "u" flag: Python's \w is Unicode already, JavaScript's only with \p{...}.
WORD_PATTERN_JS = r"[\p{L}\p{N}]+"
# Said when a search alone empties the page; {q} is the search, {count} how many the other
# filters find (one, or any other number). The page and offline.js word it the same.
WITHOUT_SEARCH = {
    "one": "No rationales match “{q}”. {count} rationale matches your other filters:",
    "other": "No rationales match “{q}”. {count} rationales match your other filters:",
}
SHOW_THEM = "show them"
# What keyboards and phones type in English and the languages of Western Europe: capitals,
# Latin letters with accents, combining accents and ligatures (and search.SAME_AS), as code
# point ranges. The browser compares other characters as typed.
TYPED_CHARACTERS = [(0x41, 0x5B), (0x80, 0x180), (0x300, 0x370), (0xFB00, 0xFB07)]
# Stands in a typo key for one letter; never part of a word (search._WORD).
BLANK = "_"
# Parts a card's own words from its names' in data-stems: no stem, so no phrase spans it.
NAMES_APART = "|"


def without_search(q: str, count: int) -> str:
    return WITHOUT_SEARCH["one" if count == 1 else "other"].format(q=q, count=count)


@lru_cache(maxsize=1)
def folding() -> dict[str, str]:
    """search.normalise as a table, character by character, for the TYPED_CHARACTERS it
    changes ("É": "e", "’": "'", "ﬁ": "fi", a combining accent: ""). Folding text a character
    at a time gives what normalise gives the whole text."""
    typed = [chr(code) for start, end in TYPED_CHARACTERS for code in range(start, end)]
    chars = dict.fromkeys([*typed, *search.SAME_AS])
    return {char: search.normalise(char) for char in chars if search.normalise(char) != char}


def typo_index(words) -> dict[str, list[str]]:
    """Each word's stem under its one-typo keys (the SymSpell idea): the word with a letter
    dropped, two neighbours swapped, a letter BLANK or a BLANK added. A typed word looked up
    as itself and with each letter BLANK finds exactly the words search.one_typo_apart from
    it; keys shorter than a word search.may_have_typo are left out."""
    index: dict[str, set[str]] = {}
    for word in set(words):
        word_stem = search.stem(word)
        if not word_stem:
            continue
        keys = {word[:i] + word[i + 1 :] for i in range(len(word))}
        keys |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
        keys |= {word[:i] + BLANK + word[i + 1 :] for i in range(len(word))}
        keys |= {word[:i] + BLANK + word[i:] for i in range(len(word) + 1)}
        for key in keys:
            if len(key) >= search.TYPO_MIN_LENGTH:
                index.setdefault(key, set()).add(word_stem)
    return {key: sorted(stems) for key, stems in sorted(index.items())}


def search_words(entries, glossary: search.Glossary) -> dict:
    """What offline.js searches the cards with, worked out as the server searches, from the
    words of the entries (fetched, with their interventions and those they repeat) and the
    glossary: each word's stem where it is not the word itself (with usual inflections the
    pathway does not use; "" for a stop word), the typo_index, the glossary's table of names
    (pathways.search.Glossary) and the folding of typed characters."""
    words = [w for entry in entries for doc in _documents(entry) for w in doc]
    stems = search.stems_for_offline([" ".join(words)], glossary)
    return {
        "pattern": glossary.pattern,
        "stems": {word: stem for word, stem in stems.items() if stem != word},
        "typos": typo_index(words),
        "glossary": glossary.names,
        "fold": folding(),
    }


def _documents(entry) -> list[list[str]]:
    return [search.entry_words(entry), *search.entry_names(entry)]


def card_stems(entry) -> str:
    """The stems of an entry's words in order, space-separated ("" for a stop word), then
    those of its service's and tag's names, each after NAMES_APART: what offline.js looks a
    search's words and phrases up in (data-stems)."""
    return f" {NAMES_APART} ".join(
        " ".join(search.stem(word) for word in doc) for doc in _documents(entry)
    )


def for_page(
    filterset: EntryFilter,
    *,
    all_cards: bool,
    no_matches: list[str],
    review_status: str = "",
    words: dict | None = None,
) -> dict:
    """The rules for one rendering of the pathway page. `all_cards` says whether it is the
    unfiltered page, whose cards (all the pathway's, none marked) the browser may filter;
    then `words` are its search_words. `review_status` is the pathway's review in words, as
    it stood when the page was made."""
    fields = filterset.form.fields
    labels = {name: str(field.label) for name, field in fields.items()}
    return {
        "review": review_status,
        "all_cards": all_cards,
        "labels": labels,
        # "Filters in use": each parameter's name there, and each option's words.
        "in_use_labels": {name: ACTIVE_LABELS.get(name, label) for name, label in labels.items()},
        "choices": {name: list(fields[name].choices) for name in ("stage", "service", "tag")},
        "parameters": PARAMETERS,
        "limits": PARAMETER_LIMITS,
        "age": ages.age_rules_for_browser(),
        # Gestation and corrected age: the union of what applies at both ages, each marked.
        "gestation": ages.gestation_rules_for_browser(),
        "too_long": {name: _too_long(limit) for name, limit in PARAMETER_LIMITS.items()},
        "search": {
            "pattern": search.TERM_PATTERN,
            "word_pattern": WORD_PATTERN_JS,
            # Each card carries its words' stems (data-stems); the page the tables.
            **(words or {"stems": {}, "typos": {}, "glossary": {}, "fold": {}}),
            "without_search": WITHOUT_SEARCH,
            "show_them": SHOW_THEM,
        },
        "needs_signal": NEEDS_SIGNAL,
        "not_saved": NOT_SAVED,
        # Word by word: the page holds the sentences as text only when nothing matches
        # (PRODUCT.md), and a page scanned for them must not find them in this data.
        "no_matches": [sentence.split(" ") for sentence in no_matches],
    }
