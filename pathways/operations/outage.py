"""When the database cannot be reached, or refuses to write (a read-only role, a full disk),
every page answers with the branded 503 page instead of a 500, an editor's refused save says
plainly that it was not saved, and pages answer normally again as soon as the database is
back.

Two doors lead here, one rule decides (`is_database_fault`): the middleware turns a view's
error into the page, and `server_error` (the site's handler500) does the same for an error
raised anywhere else, such as middleware that reads the session after the view has run.
"""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger("pathways.availability")

# How long a browser or the load balancer should wait before asking again.
RETRY_AFTER_SECONDS = 30

# SQLSTATEs of a database that is up but will not write: no privilege (a read-only role),
# a read-only transaction (a standby, default_transaction_read_only), and class 53,
# insufficient resources (disk full, out of memory, too many connections).
WRITES_REFUSED = ("42501", "25006", "53")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_database_fault(exception: BaseException | None) -> bool:
    """Whether an error means the database is unreachable or refuses to write (as opposed to
    a bug in a query, which stays a 500)."""
    if isinstance(exception, OperationalError | InterfaceError):
        return True
    if isinstance(exception, DatabaseError):
        sqlstate = getattr(exception.__cause__, "sqlstate", None) or ""
        return sqlstate.startswith(WRITES_REFUSED)
    return False


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The outage page, or its notice alone for htmx, rendered without touching the database.

    A request that meant to change something (POST and the like) is told its change was not
    saved: the admin saves in one transaction, so nothing of it was kept.

    No request is passed to the template, so no context processor runs: the signed-in user
    would need a session, and sessions live in the database that is down.
    """
    not_saved = request.method not in SAFE_METHODS
    template = "503.html#notice" if getattr(request, "htmx", False) else "503.html"
    response = HttpResponse(render_to_string(template, {"not_saved": not_saved}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _log(request: HttpRequest, exception: BaseException) -> None:
    # A warning, not an error with a traceback: the cause is outside the app, and one line
    # per failed request is enough to see an outage start and end in the log.
    logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)


class DatabaseUnavailableMiddleware:
    """Turns a database fault raised by a view into the 503 page.

    Nothing is remembered between requests: each one tries the database afresh (Django drops
    a broken connection at the end of the request), so pages recover on their own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_fault(exception):
            return None
        _log(request, exception)
        return service_unavailable(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the 503 page for a database fault raised outside any view (Django calls
    this while handling the error, so it is the one in flight), the 500 page otherwise."""
    exception = sys.exc_info()[1]
    if is_database_fault(exception):
        _log(request, exception)
        return service_unavailable(request)
    return defaults.server_error(request)
