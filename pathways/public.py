"""What leaves the site through the API, the CSV and FHIR exports and problem reports: public
pathways and their entries, chosen and filtered exactly as the pathway browser does it.

Every one of those surfaces goes through these three functions, so a rule about what may be
shown (published content only, say) is made once, in the QuerySet methods they call.
"""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import get_object_or_404

from .filters import EntryFilter
from .models import Entry, EntryQuerySet, Pathway


def public_pathway(slug: str) -> Pathway:
    """The public pathway at `slug`, or 404: a pathway without a page has no data either."""
    return get_object_or_404(Pathway.objects.public(), slug=slug)


def public_entries(pathway: Pathway) -> EntryQuerySet:
    """All of a public pathway's entries, as the browser lists them, in page order."""
    return Entry.objects.published().for_browser(pathway)


def filter_entries(pathway: Pathway, params: QueryDict) -> EntryFilter:
    """The browser's FilterSet over the pathway's entries, for the browser's query parameters."""
    return EntryFilter(params, queryset=public_entries(pathway))
