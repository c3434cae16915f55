"""Public pages: the list of pathways, a pathway's filterable browser and its printable visit
checklist, and a context document."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from . import ages
from .filters import EntryFilter, canonical_query
from .models import ContextDocument, Entry, Pathway
from .search import mark_in_python


def render_page_or_partial(
    request: HttpRequest, template: str, partial: str, context: dict
) -> HttpResponse:
    """The whole page, or only its named partial for an htmx request; caches vary on which.

    htmx asks for the whole page when it restores history it has not cached."""
    wants_partial = request.htmx and not request.htmx.history_restore_request
    name = f"{template}#{partial}" if wants_partial else template
    response = render(request, name, {**context, "is_partial": wants_partial})
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pathways/home.html", {"pathways": Pathway.objects.for_home()})


def filtered_pathway(request: HttpRequest, slug: str) -> dict:
    """What the browser and the checklist share: the pathway, its filtered entries (with
    search matches marked) and the filters in words, for the request's query string."""
    pathway = get_object_or_404(
        Pathway.objects.for_browser().with_has_entries().filter(has_entries=True), slug=slug
    )
    filterset = EntryFilter(request.GET, queryset=Entry.objects.for_browser(pathway))
    entries = list(filterset.qs.with_marks(filterset.search_text))
    mark_in_python(entries, filterset.search_text)
    query = canonical_query(request.GET)
    suffix = f"?{query}" if query else ""
    return {
        "pathway": pathway,
        "filter": filterset,
        "entries": entries,
        "total": Entry.objects.filter(pathway=pathway).count(),
        "unrecognised": filterset.unrecognised(),
        "chosen": {name: filterset.chosen(name) for name in ("stage", "service", "tag")},
        "active": filterset.active(),
        "today": ages.uk_today(),
        "page_path": pathway.get_absolute_url() + suffix,
        "share_url": request.build_absolute_uri(pathway.get_absolute_url() + suffix),
        "checklist_url": reverse("pathways:checklist", args=[pathway.slug]) + suffix,
    }


@require_GET
def pathway_browser(request: HttpRequest, slug: str) -> HttpResponse:
    context = filtered_pathway(request, slug)
    response = render_page_or_partial(request, "pathways/pathway_browser.html", "results", context)
    if request.htmx:
        # The form sends its empty fields too; the address bar gets the tidy, shareable URL.
        response = push_url(response, context["page_path"])
    return response


@require_GET
def pathway_checklist(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable checklist of what applies, for the same filters as the browser."""
    return render(request, "pathways/checklist.html", filtered_pathway(request, slug))


@require_GET
def document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    document = get_object_or_404(
        ContextDocument.objects.prefetch_related("sections", "pathways"), slug=slug
    )
    return render(request, "pathways/document_detail.html", {"document": document})
