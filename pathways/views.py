"""Public pages: the list of pathways, a pathway's filterable browser and what changed in it,
a context document. Practitioners see published content only; editors also see drafts."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from .changes import published_changes
from .filters import EntryFilter
from .models import ContextDocument, Entry, Pathway, can_preview


def render_page_or_partial(
    request: HttpRequest, template: str, partial: str, context: dict
) -> HttpResponse:
    """The whole page, or only its named partial for an htmx request; caches vary on which."""
    name = f"{template}#{partial}" if request.htmx else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    pathways = Pathway.objects.for_home(request.user)
    return render(request, "pathways/home.html", {"pathways": pathways})


def get_pathway_with_page(request: HttpRequest, slug: str) -> Pathway:
    """The pathway at `slug` if the person asking may see it and it has entries they may see;
    404 otherwise (a draft is as absent as a pathway that does not exist)."""
    pathways = Pathway.objects.for_browser(request.user).with_has_entries(request.user)
    return get_object_or_404(pathways.filter(has_entries=True), slug=slug)


@require_GET
def pathway_browser(request: HttpRequest, slug: str) -> HttpResponse:
    pathway = get_pathway_with_page(request, slug)
    entries_shown = Entry.objects.visible_to(request.user)
    filterset = EntryFilter(request.GET, queryset=entries_shown.for_browser(pathway))
    entries = list(filterset.qs)
    context = {
        "pathway": pathway,
        "preview": can_preview(request.user),
        "filter": filterset,
        "entries": entries,
        "total": entries_shown.filter(pathway=pathway).count(),
        "unrecognised": filterset.unrecognised(),
        "chosen": {name: filterset.chosen(name) for name in ("stage", "service", "tag")},
        "is_filtered": any(request.GET.getlist(name) for name in filterset.filters),
    }
    return render_page_or_partial(request, "pathways/pathway_browser.html", "results", context)


@require_GET
def pathway_changes(request: HttpRequest, slug: str) -> HttpResponse:
    pathway = get_pathway_with_page(request, slug)
    context = {"pathway": pathway, "changes": published_changes(pathway)}
    return render(request, "pathways/pathway_changes.html", context)


@require_GET
def document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Only the pathways this person may open are listed: never a draft, never a dead link.
    pathways = Pathway.objects.visible_to(request.user).with_has_entries(request.user)
    document = get_object_or_404(
        ContextDocument.objects.prefetch_related(
            "sections", Prefetch("pathways", queryset=pathways.filter(has_entries=True))
        ),
        slug=slug,
    )
    return render(request, "pathways/document_detail.html", {"document": document})
