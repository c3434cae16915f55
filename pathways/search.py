"""Searching the pathway in the practitioner's own words, and marking what matched.

On PostgreSQL: full-text search with English stemming ("visits" finds "visiting") and web
search syntax ("quoted phrases", -word), ranked, over a GIN-indexed search vector that
triggers keep current (migration 0003). Elsewhere (SQLite): every word or phrase must
appear, case-insensitively, and -word must not. Matches are marked with <mark> either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Marks travel through SQL and Python as control characters that cannot occur in content
# (fixtures and forms refuse them), so the text can be escaped whole before they become tags.
START, STOP = "\x02", "\x03"
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


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
