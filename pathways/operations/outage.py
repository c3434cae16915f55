"""When the database cannot be reached, every page answers with the branded 503 page instead
of a 500, and answers normally again as soon as the database is back."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("pathways.availability")

# How long a browser or the load balancer should wait before asking again.
RETRY_AFTER_SECONDS = 30


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The outage page, or its notice alone for htmx, rendered without touching the database.

    No request is passed to the template, so no context processor runs: the signed-in user
    would need a session, and sessions live in the database that is down.
    """
    template = "503.html#notice" if getattr(request, "htmx", False) else "503.html"
    response = HttpResponse(render_to_string(template), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database connection error raised by a view into the 503 page.

    Nothing is remembered between requests: each one tries the database afresh (Django drops
    a broken connection at the end of the request), so pages recover on their own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        # A warning, not an error with a traceback: the cause is outside the app, and one line
        # per failed request is enough to see an outage start and end in the log.
        logger.warning(
            "Database unavailable for %s %s: %s", request.method, request.path, exception
        )
        return service_unavailable(request)
