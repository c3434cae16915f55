"""What the offline page needs to filter its saved cards by itself: the rules and the words
the server hands to offline.js (as json_script), so the browser keeps no copy of its own."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator

from .. import ages, search
from ..filters import ACTIVE_LABELS, PARAMETER_LIMITS, EntryFilter

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
# filters find. The page and offline.js word it the same.
WITHOUT_SEARCH = "No rationales match “{q}”. {count} {rationales} your other filters:"
SHOW_THEM = "show them"


def without_search(q: str, count: int) -> str:
    rationales = "rationale matches" if count == 1 else "rationales match"
    return WITHOUT_SEARCH.format(q=q, count=count, rationales=rationales)


def search_words(entries, glossary: search.Glossary) -> dict:
    """What offline.js searches the cards with, as the server searches: the stems of every
    word the entries (fetched, with their interventions and those they repeat) and the
    glossary use, with their usual inflections, and the glossary's table of names
    (pathways.search.Glossary)."""
    words = [w for entry in entries for w in search.entry_words(entry)]
    return {
        "stems": search.stems_for_offline([" ".join(words)], glossary),
        "glossary": glossary.names,
    }


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
    return {
        "review": review_status,
        "all_cards": all_cards,
        "labels": {name: str(field.label) for name, field in filterset.form.fields.items()},
        "active_labels": ACTIVE_LABELS,
        "limits": PARAMETER_LIMITS,
        "age": ages.age_rules_for_browser(),
        # Gestation and corrected age: the union of what applies at both ages, each marked.
        "gestation": ages.gestation_rules_for_browser(),
        "too_long": {name: _too_long(limit) for name, limit in PARAMETER_LIMITS.items()},
        "search": {
            "pattern": search.TERM_PATTERN,
            "same_as": search.SAME_AS,
            "word_pattern": WORD_PATTERN_JS,
            "typo_min_length": search.TYPO_MIN_LENGTH,
            # Each card carries its words (data-words); the page their stems.
            **(words or {"stems": {}, "glossary": {}}),
            "without_search": WITHOUT_SEARCH,
            "show_them": SHOW_THEM,
        },
        "needs_signal": NEEDS_SIGNAL,
        "not_saved": NOT_SAVED,
        # Word by word: the page holds the sentences as text only when nothing matches
        # (PRODUCT.md), and a page scanned for them must not find them in this data.
        "no_matches": [sentence.split(" ") for sentence in no_matches],
    }
