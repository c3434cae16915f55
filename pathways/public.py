"""What leaves the site through the API, the CSV and FHIR exports, CDS Hooks cards and problem
reports: public pathways and their entries, chosen and filtered exactly as the pathway browser
does it.

Every one of those surfaces goes through these three functions, so a rule about what may be
shown (published content only, say) is made once, in the QuerySet methods they call. The
doors each reader-facing surface uses (PRODUCT.md: a draft is never reachable through a
reference):

- API, CSV, FHIR PlanDefinition, CDS Hooks cards, problem reports: this module
  (`Pathway.objects.public()`, `Entry.objects.published()`).
- The page, its htmx fragment and the checklist (pathways.browsing.views): the same QuerySet
  methods through `visible_to(user)`, which is `published()` for everyone but staff previewing.
- "As above": a card, the checklist, search and the offline words show the interventions of
  the entry an entry repeats only through `Entry.repeats_shown` (SQL: `with_repeats_shown()`;
  PostgreSQL's search vector: the trigger of migration 0013), which is None unless that entry
  is published.
- The filters' choices: `Stage/Service/Tag.objects.used_by(the entries shown)`; the FHIR
  CodeSystem: `...objects.in_published_entries()`. No option only drafts use is named.
- The glossary (search's other names, the cards' <abbr>, the offline table):
  `GlossaryTerm.objects.published()`, read by `search.load_glossary` and the page.
- Search: `SearchableQuerySet.search` over the entries above, with that glossary; across every
  pathway (the home page): the same, for each of `Pathway.objects.public()`.
- A pathway named in a reading note, or related: linked only if `linkable_pathways()` has it.
"""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import get_object_or_404

from .filters import EntryFilter, filter_options
from .models import Entry, EntryQuerySet, GlossaryTerm, Pathway
from .operations.caching import content_version, kept
from .search import Glossary, load_glossary, published_compounds


def public_pathway(slug: str) -> Pathway:
    """The public pathway at `slug`, or 404: a pathway without a page has no data either."""
    return get_object_or_404(Pathway.objects.public(), slug=slug)


def public_entries(pathway: Pathway) -> EntryQuerySet:
    """All of a public pathway's entries, as the browser lists them, in page order."""
    return Entry.objects.published().for_browser(pathway)


def filter_entries(pathway: Pathway, params: QueryDict) -> EntryFilter:
    """The browser's FilterSet over the pathway's entries, for the browser's query parameters.
    Its options (the stages, services and tags the entries use) are those the pathway page
    keeps for the content version: the same published entries give them."""
    entries = public_entries(pathway)
    version = content_version()
    options = kept(options_key(pathway), lambda: filter_options(entries), version)
    glossary = search_glossary(version) if params.get("q") else None
    return EntryFilter(params, queryset=entries, options=options, glossary=glossary)


def search_glossary(version: str | None, terms=None, request=None) -> Glossary:
    """Search's glossary, with the content's compounds, as every surface reads it (the page
    too): kept for the content version `version`, built afresh without one (staff). Its
    compounds, of published content alone, are kept under the current content version even
    then: at 10,000 entries they take a fifth of a second. `terms`: the published
    GlossaryTerm rows when already read."""

    def build() -> Glossary:
        read = list(GlossaryTerm.objects.published()) if terms is None else list(terms)
        compounds = kept(
            "search-compounds",
            lambda: published_compounds(terms=read),
            content_version(request),
        )
        return load_glossary(terms=read, compounds=compounds)

    return kept("glossary-names", build, version)


def linkable_pathways() -> list[tuple[str, str]]:
    """The (title, address) of each public pathway: those a reading note or a related pathway
    may link to by name. A draft or a pathway without published entries is never linked."""
    return [(p.title, p.get_absolute_url()) for p in Pathway.objects.public().only("title", "slug")]


def options_key(pathway: Pathway) -> str:
    """Where the filter options of a pathway's published entries are kept."""
    return f"filter-options:{pathway.pk}"
