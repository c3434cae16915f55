"""Refuses, with a 400 and a plain message, a request whose address, query string or form
carries a control character (pathways.characters): nothing behind it ever sees one, so no
database is asked to store or compare a NUL and no view needs its own check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from ..characters import REFUSAL, control_character
from ..integration.api import bad_request

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _offending(request: HttpRequest) -> tuple[str, str] | None:
    """(where, what) for the first control character: the parameter (or "path") it is in,
    and how to say so; None when there is none."""
    if control_character(request.path_info):
        return "path", "The address"
    for name, values in request.GET.lists():
        if control_character(name) or any(control_character(v) for v in values):
            return name, "The address"
    if request.method == "POST" and request.content_type in FORMS:
        for name, values in request.POST.lists():
            if control_character(name) or any(control_character(v) for v in values):
                return name, "The text you sent"
    return None


def refuse_control_characters(get_response):
    """Middleware: a 400 for control characters (for the API, in its own error shape);
    everything else passes untouched. The page never repeats what was sent."""

    def middleware(request: HttpRequest) -> HttpResponse:
        found = _offending(request)
        if found is None:
            return get_response(request)
        parameter, part = found
        message = f"{part} {REFUSAL}"
        if request.path_info.startswith("/api/"):
            # The name only if it is printable: it is reflected in the JSON.
            named = "a parameter" if control_character(parameter) else parameter
            problems = [{"parameter": named, "message": message}]
            response = JsonResponse(bad_request(problems), status=400)
        else:
            response = HttpResponseBadRequest(render_to_string("400.html", {"message": message}))
        response["Cache-Control"] = "no-store"
        return response

    return middleware
