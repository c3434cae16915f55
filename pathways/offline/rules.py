"""What the offline page needs to filter its saved cards by itself: tables and words the
server works out from its own rules and hands to offline.js (as json_script), which looks
typed words up in them rather than keeping a copy of the rules."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.urls import reverse

from .. import ages, search
from ..filters import (
    ACTIVE_LABELS,
    BOTH_AGES,
    PARAMETER_LIMITS,
    PARAMETERS,
    DateOfBirthField,
    EntryFilter,
)

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


# strptime's directives as CPython's _strptime reads them, for JavaScript's RegExp (flag "i");
# a month's name (%b, %B) is looked up in the table of names date_of_birth hands over.
_DIRECTIVES = {
    "d": r"(?<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9])",
    "m": r"(?<m>1[0-2]|0[1-9]|[1-9])",
    "Y": r"(?<y>\d{4})",
    "b": r"(?<name>[a-z]+)",
    "B": r"(?<name>[a-z]+)",
}


def date_of_birth() -> dict:
    """How the form reads a date of birth (filters.DateOfBirthField), for offline.js: its
    rewrites and formats as patterns, the months' names, the UK's time zone for "today",
    the second birthday in months and the messages; the age in words is in the tables."""
    field = DateOfBirthField()
    patterns = [
        "^"
        + "".join(_DIRECTIVES.get(part[1:], re.escape(part)) for part in re.split(r"(%\w)", f))
        + "$"
        for f in field.FORMATS
    ]
    return {
        "rewrites": [
            [pattern.replace("(?P<", "(?<"), re.sub(r"\\g<(\w+)>", r"$<\1>", to)]
            for pattern, to in field.REWRITES
        ],
        "patterns": list(dict.fromkeys(patterns)),
        "months": {
            date(2000, month, 1).strftime(form).lower(): month
            for month in range(1, 13)
            for form in ("%b", "%B")
        },
        "time_zone": settings.TIME_ZONE,
        "correct_until_months": ages.CORRECT_UNTIL_YEARS * 12,
        "calendar_from_days": ages.CALENDAR_FROM_DAYS,
        "messages": {
            code: str(field.error_messages[code]) for code in ("invalid", "future", "too_old")
        },
        "both": BOTH_AGES,
    }


def tables_url(pathway, version: str | None) -> str:
    """Where the unfiltered page's tables are (offline.views.tables): under the content
    version, so an address is never reused for other content and may be kept for good. With
    no version (staff, or the version unreadable) the address says so and is never kept."""
    return reverse("pathways:offline_tables", args=[pathway.slug, version or "unversioned"])


def tables(words: dict, empty_state: str) -> dict:
    """The tables the unfiltered page's rules leave out, fetched once per content version
    and saved with the page by the service worker: the search_words; each age in days up to
    the second birthday in the server's words (ages.describe_days), which says the corrected
    age, how early a baby was born and when one is due; the page's sentences about the ages
    it used, and the words for an age from a date of birth (ages.calendar_words); and the
    empty state's markup (the page holds its sentences only when nothing matches)."""
    return {
        "search": words,
        "empty_state": empty_state,
        "age_words": ages.days_in_words(),
        "age_sentences": ages.AGE_SENTENCES,
        "age_today": ages.AGE_TODAY,
        "calendar_words": ages.calendar_words(),
    }


def for_page(
    filterset: EntryFilter,
    *,
    all_cards: bool,
    tables_url: str = "",
) -> dict:
    """The rules for one rendering of the pathway page. `all_cards` says whether it is the
    unfiltered page, whose cards (all the pathway's, none marked) the browser may filter;
    then `tables_url` is the address of its tables."""
    fields = filterset.form.fields
    labels = {name: str(field.label) for name, field in fields.items()}
    return {
        "all_cards": all_cards,
        "tables_url": tables_url,
        "labels": labels,
        # "Filters in use": each parameter's name there, and each option's words.
        "in_use_labels": {name: ACTIVE_LABELS.get(name, label) for name, label in labels.items()},
        "choices": {name: list(fields[name].choices) for name in ("stage", "service", "tag")},
        "parameters": PARAMETERS,
        "limits": PARAMETER_LIMITS,
        "age": ages.age_rules_for_browser(),
        "dob": date_of_birth(),
        # Gestation and corrected age: the union of what applies at both ages, each marked.
        "gestation": ages.gestation_rules_for_browser(),
        "too_long": {name: _too_long(limit) for name, limit in PARAMETER_LIMITS.items()},
        "search": {
            "pattern": search.TERM_PATTERN,
            "word_pattern": WORD_PATTERN_JS,
            # Each card carries its words' stems (data-stems); the tables, at tables_url.
            "stems": {},
            "typos": {},
            "glossary": {},
            "fold": {},
            "without_search": WITHOUT_SEARCH,
        },
        "not_saved": NOT_SAVED,
    }
