"""Practitioners' pages: the list of pathways, a pathway's filterable browser, its printable
visit checklist and what changed in it, and a context document (the delivery plan).
Practitioners see published content only; editors also see drafts."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from .. import ages
from ..filters import PARAMETER_LIMITS, EntryFilter, canonical_query
from ..models import ContextDocument, Entry, Pathway, can_preview
from ..offline import rules as offline_rules
from ..operations.caching import cached_htmx_fragment
from ..publishing import with_pending_versions
from ..search import mark_in_python
from .changes import published_changes

# What the page says, exactly, when no rationale matches (offline.js is handed it too).
NO_MATCHES = [
    "There are no rationales that match your filters.",
    "Please amend your choices to see more rationales.",
]


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
    pathways = Pathway.objects.for_home(request.user)
    return render(request, "pathways/home.html", {"pathways": pathways})


def get_pathway_with_page(request: HttpRequest, slug: str) -> Pathway:
    """The pathway at `slug` if the person asking may see it and it has entries they may see;
    404 otherwise (a draft is as absent as a pathway that does not exist)."""
    pathways = Pathway.objects.for_browser(request.user).with_has_entries(request.user)
    return get_object_or_404(pathways.filter(has_entries=True), slug=slug)


def filtered_pathway(
    request: HttpRequest, slug: str, *, for_offline: bool = False, show_pending: bool = False
) -> dict:
    """What the browser and the checklist share: the pathway, the entries this person may
    see filtered by the query string (search matches marked), and the filters in words.

    `for_offline` adds what the page's cards carry so offline.js can filter them. With
    `show_pending`, staff see pending changes in place (the browser marks them)."""
    pathway = get_pathway_with_page(request, slug)
    entries_shown = Entry.objects.visible_to(request.user)
    filterset = EntryFilter(request.GET, queryset=entries_shown.for_browser(pathway))
    queryset = filterset.qs.with_marks(filterset.search_text)
    query = canonical_query(request.GET)
    # Only the unfiltered page is saved for offline use and filtered in the browser, so only
    # it carries the cards' words and stems (PostgreSQL reads them at some cost per card).
    all_cards = for_offline and not query
    if for_offline:
        queryset = queryset.with_stages_overlapped(filterset.stages)
    if all_cards:
        queryset = queryset.with_search_words()
    entries = list(queryset)
    preview = can_preview(request.user)
    if preview and show_pending:
        # Staff read what is waiting for approval where it will appear, marked as pending.
        entries = with_pending_versions(entries)
        [pathway] = with_pending_versions([pathway])
    mark_in_python(entries, filterset.search_text)
    total = entries_shown.filter(pathway=pathway).count()
    suffix = f"?{query}" if query else ""
    context = {
        "pathway": pathway,
        "preview": preview,
        "filter": filterset,
        "limits": PARAMETER_LIMITS,
        "entries": entries,
        "total": total,
        "unrecognised": filterset.unrecognised(),
        "chosen": {name: filterset.chosen(name) for name in ("stage", "service", "tag")},
        "active": filterset.active(),
        "today": ages.uk_today(),
        "page_path": pathway.get_absolute_url() + suffix,
        "share_url": request.build_absolute_uri(pathway.get_absolute_url() + suffix),
        "checklist_url": reverse("pathways:checklist", args=[pathway.slug]) + suffix,
        "no_matches": NO_MATCHES,
    }
    if for_offline:
        context["offline_rules"] = offline_rules.for_page(
            filterset,
            all_cards=all_cards,
            no_matches=NO_MATCHES,
            review_status=pathway.review_status,
        )
        context["blank_filters"] = [
            dict.fromkeys(["parameter", "value", "label", "text", "query"], "")
        ]
    return context


@require_GET
@cached_htmx_fragment
def pathway_browser(request: HttpRequest, slug: str) -> HttpResponse:
    context = filtered_pathway(request, slug, for_offline=True, show_pending=True)
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
