"""Public pages: the list of pathways, a pathway's filterable browser, a context document;
and the load balancer's health check."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .caching import cached_htmx_fragment
from .filters import EntryFilter
from .models import ContextDocument, Entry, Pathway


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
    return render(request, "pathways/home.html", {"pathways": Pathway.objects.for_home()})


@require_GET
@cached_htmx_fragment
def pathway_browser(request: HttpRequest, slug: str) -> HttpResponse:
    pathway = get_object_or_404(
        Pathway.objects.for_browser().with_has_entries().filter(has_entries=True), slug=slug
    )
    filterset = EntryFilter(request.GET, queryset=Entry.objects.for_browser(pathway))
    entries = list(filterset.qs)
    context = {
        "pathway": pathway,
        "filter": filterset,
        "entries": entries,
        "total": Entry.objects.filter(pathway=pathway).count(),
        "unrecognised": filterset.unrecognised(),
        "chosen": {name: filterset.chosen(name) for name in ("stage", "service", "tag")},
        "is_filtered": any(request.GET.getlist(name) for name in filterset.filters),
    }
    return render_page_or_partial(request, "pathways/pathway_browser.html", "results", context)


@require_GET
def document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    document = get_object_or_404(
        ContextDocument.objects.prefetch_related("sections", "pathways"), slug=slug
    )
    return render(request, "pathways/document_detail.html", {"document": document})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and every migration is applied, else 503: the load
    balancer sends visitors only to app servers that can serve them."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except (OperationalError, InterfaceError):
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if unapplied:
        body = {"status": "unavailable", "database": "ok", "unapplied_migrations": len(unapplied)}
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "unapplied_migrations": 0})


@require_GET
def bench_trivial(request: HttpRequest) -> HttpResponse:
    """The ceiling `make bench` compares pages with: the whole middleware stack, no database,
    no template. Only there when DJANGO_BENCH=1."""
    if not settings.BENCH:
        raise Http404
    return HttpResponse("ok", content_type="text/plain")
