"""Searching the pathway in the practitioner's own words, and marking what matched.

On PostgreSQL: full-text search with English stemming ("visits" finds "visiting") and web
search syntax ("quoted phrases", -word), ranked, over a GIN-indexed search vector that
triggers keep current (migration 0006). Elsewhere (SQLite): every word or phrase must
appear, case-insensitively, and -word must not. Matches are marked with <mark> either way.
`SearchableQuerySet` holds both backends; the entry queryset mixes it in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html import escape

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Prefetch, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

# Marks travel through SQL and Python as control characters that cannot occur in content
# (fixtures and forms refuse them), so the text can be escaped whole before they become tags.
START, STOP = "\x02", "\x03"
TERM_PATTERN = r'(-?)"([^"]*)"?|(-?)(\S+)'
_TERM = re.compile(TERM_PATTERN)
# Apostrophes and dashes as phones and word processors type them, each read as the plain one:
# "children’s" is "children's", "parent–infant" is "parent-infant".
SAME_AS = {
    **dict.fromkeys("\u2018\u2019\u201b\u02bc\u00b4`", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
}
_SAME_AS = str.maketrans(SAME_AS)


def normalise(text: str) -> str:
    """Text as offline search compares it: one apostrophe and one dash, accents stripped,
    lower case. offline.js reads typed words with the same steps (SAME_AS is handed over)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SAME_AS))
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).lower()


def searchable_text(entry) -> str:
    """What search looks through in an entry, normalised: rationale, criteria, and each
    intervention's text and bullets. One line each, so a phrase never spans two of them."""
    parts = [entry.rationale, entry.criteria]
    for intervention in entry.interventions.all():
        parts += [intervention.text, intervention.bullets]
    return normalise("\n".join(part for part in parts if part))


# Each word of an entry's text as PostgreSQL's full-text search reads it (the same text the
# search vector of migration 0006 is built from), with its stem: {"visiting": "visit",
# "the": ""} (a stop word has none). Offline search matches typed words by these stems.
_WORDS_AND_STEMS = """(
  SELECT json_object_agg(w.token, w.stem)::text FROM (
    SELECT DISTINCT lower(d.token) AS token, coalesce(d.lexemes[1], '') AS stem
    FROM ts_debug('english',
      coalesce("pathways_entry"."rationale", '') || ' ' ||
      coalesce("pathways_entry"."criteria", '') || ' ' ||
      coalesce((SELECT string_agg(i.text || ' ' || i.bullets, ' ')
                FROM pathways_intervention i WHERE i.entry_id = "pathways_entry"."id"), '')) d
    WHERE d.lexemes IS NOT NULL
  ) w
)"""


@dataclass
class Terms:
    """A search split into what must appear (words and phrases) and what must not."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)


def parse_terms(text: str) -> Terms:
    """'infant "social baby" -dad' -> include ["infant", "social baby"], exclude ["dad"]."""
    terms = Terms()
    for negated_phrase, phrase, negated_word, word in _TERM.findall(text):
        value = " ".join((phrase or word).split()).strip('"')
        if not value or value == "-":
            continue
        (terms.exclude if (negated_phrase or negated_word) else terms.include).append(value)
    return terms


class SearchableQuerySet(models.QuerySet):
    """Search over an entry's rationale, criteria and its interventions' text and bullets."""

    def _interventions(self):
        return self.model._meta.get_field("interventions").related_model.objects

    def search(self, text: str):
        """Entries matching a search: full text on PostgreSQL, words and phrases elsewhere.

        Annotates `rank` (higher is better; 0 without full-text search)."""
        if connections[self.db].vendor == "postgresql":
            query = _search_query(text)
            ranked = self.filter(search_vector=query).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
            # Stage headings stay in page order; within a stage the best match comes first.
            return ranked.order_by("stage__position", "stage__start_days", "-rank", "position")
        return self.matching_terms(text).annotate(rank=Value(0.0))

    def matching_terms(self, text: str):
        """Entries where every word or "phrase" appears, case-insensitively, in the rationale,
        criteria or an intervention's text or bullets, and no -word does."""
        terms = parse_terms(text)
        queryset = self
        for term, wanted in [(t, True) for t in terms.include] + [
            (t, False) for t in terms.exclude
        ]:
            in_interventions = (
                self._interventions()
                .filter(entry=OuterRef("pk"))
                .filter(Q(text__icontains=term) | Q(bullets__icontains=term))
            )
            found = (
                Q(rationale__icontains=term)
                | Q(criteria__icontains=term)
                | Exists(in_interventions)
            )
            queryset = queryset.filter(found if wanted else ~found)
        return queryset

    def with_search_words(self):
        """On PostgreSQL, annotates `search_words`: the entry's words and their stems as JSON,
        for the offline page to match stemmed words as the server does."""
        if connections[self.db].vendor != "postgresql":
            return self
        return self.annotate(search_words=RawSQL(_WORDS_AND_STEMS, [], output_field=TextField()))

    def with_marks(self, text: str):
        """Adds `<field>_marked` texts with the search's matches marked, for highlighting."""
        if not text.strip():
            return self
        if connections[self.db].vendor == "postgresql":
            query = _search_query(text)
            interventions = self._interventions().annotate(
                text_marked=_headline("text", query), bullets_marked=_headline("bullets", query)
            )
            # Replaces for_browser's plain prefetch of the interventions with a marked one.
            return (
                self.annotate(
                    rationale_marked=_headline("rationale", query),
                    criteria_marked=_headline("criteria", query),
                )
                .prefetch_related(None)
                .prefetch_related(Prefetch("interventions", queryset=interventions))
            )
        return self  # marked in Python after fetching: see mark_in_python


def _search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config="english")


def _headline(field: str, query: SearchQuery) -> SearchHeadline:
    # HighlightAll keeps the whole text, not fragments: the card shows everything.
    return SearchHeadline(
        field, query, config="english", start_sel=START, stop_sel=STOP, highlight_all=True
    )


def mark_terms(text: str, terms: list[str]) -> str:
    """The text with every case-insensitive occurrence of a term wrapped in marks."""
    if not text or not terms:
        return text
    pattern = re.compile(
        "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    return pattern.sub(lambda match: f"{START}{match.group(0)}{STOP}", text)


def render_marked(text: str) -> SafeString:
    """HTML for text carrying marks: everything escaped, then the marks made <mark> tags."""
    html = escape(text.replace(START, "").replace(STOP, "") if _unbalanced(text) else text)
    return mark_safe(html.replace(START, "<mark>").replace(STOP, "</mark>"))


def _unbalanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char == START:
            depth += 1
            if depth > 1:
                return True
        elif char == STOP:
            depth -= 1
            if depth < 0:
                return True
    return depth != 0


def mark_in_python(entries, text: str) -> None:
    """Marks matches on fetched entries and their interventions where the database has not
    (SQLite): the same `<field>_marked` attributes PostgreSQL's headlines provide."""
    terms = parse_terms(text).include
    if not terms:
        return
    for entry in entries:
        if hasattr(entry, "rationale_marked"):
            continue
        entry.rationale_marked = mark_terms(entry.rationale, terms)
        entry.criteria_marked = mark_terms(entry.criteria, terms)
        for intervention in entry.interventions.all():
            intervention.text_marked = mark_terms(intervention.text, terms)
            intervention.bullets_marked = mark_terms(intervention.bullets, terms)
