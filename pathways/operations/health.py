"""The load balancer's health check, and the trivial page `make bench` measures the stack
against."""

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and every migration is applied, else 503: the load
    balancer sends visitors only to app servers that can serve them.

    A database that answers but refuses to write is "degraded" (still 200): practitioners
    can read every page, so taking the servers out of the balancer would cost them that
    too, while editors cannot save; monitoring must tell someone.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except (OperationalError, InterfaceError):
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if unapplied:
        body = {"status": "unavailable", "database": "ok", "unapplied_migrations": len(unapplied)}
        return JsonResponse(body, status=503)
    if not writes_accepted(connection):
        body = {"status": "degraded", "database": "read-only", "unapplied_migrations": 0}
        return JsonResponse(body)
    return JsonResponse({"status": "ok", "database": "ok", "unapplied_migrations": 0})


def writes_accepted(connection) -> bool:
    """Writes a row and takes it back: a read-only role, a read-only standby or a full
    database refuses the write (the transaction is rolled back either way)."""
    try:
        with transaction.atomic(using=connection.alias):
            MigrationRecorder(connection).migration_qs.create(app="healthz", name="write probe")
            transaction.set_rollback(True, using=connection.alias)
    except DatabaseError:
        return False
    return True


@require_safe
def bench_trivial(request: HttpRequest) -> HttpResponse:
    """The ceiling `make bench` compares pages with: the whole middleware stack, no database,
    no template. Only there when DJANGO_BENCH=1."""
    if not settings.BENCH:
        raise Http404
    response = HttpResponse("ok", content_type="text/plain")
    if request.GET.get("shared"):
        # The same view as a page any cache may keep, for the ceiling through the HTTP cache.
        patch_cache_control(response, public=True, max_age=30, s_maxage=10)
    return response
