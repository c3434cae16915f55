"""The home page's search across every published pathway: the pathway page's own search (the
same `q` rules, limits and messages) over each public pathway, grouped by pathway, each group
linking to that pathway's page with the search kept."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import QueryDict

from ..filters import PARAMETER_LIMITS, EntryFilter
from ..local.reading import AREA
from ..models import Entry, Pathway
from ..public import filter_entries
from ..search import mark_matches

# How many matching rationales a group lists; the pathway's page lists them all.
SHOWN_PER_PATHWAY = 10


@dataclass
class PathwayMatches:
    """One pathway's group of results: its matching entries and its page with the search."""

    pathway: Pathway
    entries: list[Entry]
    url: str

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def shown(self) -> list[Entry]:
        return self.entries[:SHOWN_PER_PATHWAY]


def search_form(params: QueryDict) -> EntryFilter:
    """The pathway page's filters reading `q` alone (no pathway's options: the home page
    offers none): its form checks `q` as the pathway page does."""
    only_q = QueryDict(mutable=True)
    if "q" in params:
        only_q["q"] = params["q"]
    return EntryFilter(only_q, queryset=Entry.objects.none(), options=([], [], []))


def search_pathways(params: QueryDict, area=None) -> dict:
    """The home page's search: what was typed, its errors, and the groups of matches (public
    pathways with at least one, in the home page's order), for the template; each group's
    link keeps the `area` chosen (local.reading.AreaShown), if any."""
    checked = search_form(params)
    text = checked.search_text
    groups = []
    if text and checked.form.is_valid():
        query = urlencode({"q": text, **({AREA: area.slug} if area else {})})
        for pathway in Pathway.objects.public():
            found = filter_entries(pathway, checked.form.data)
            entries = list(found.qs)
            if entries:
                mark_matches(entries, text, found.glossary)
                url = f"{pathway.get_absolute_url()}?{query}"
                groups.append(PathwayMatches(pathway, entries, url))
    return {
        "search": text,
        "typed_q": params.get("q", ""),
        "q_field": checked.form.fields["q"],
        "q_errors": checked.form.errors.get("q", []),
        "q_limit": PARAMETER_LIMITS["q"],
        "groups": groups,
        "found": sum(group.count for group in groups),
    }
