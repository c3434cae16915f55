"""Refuses, with a 400 and a plain message, a request whose address, query string or form
carries a control character (pathways.characters): nothing behind it ever sees one, so no
database is asked to store or compare a NUL and no view needs its own check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from ..characters import REFUSAL, control_character


def _offending_part(request: HttpRequest) -> str | None:
    if control_character(request.path_info):
        return "The address"
    for name, values in request.GET.lists():
        if control_character(name) or any(control_character(v) for v in values):
            return "The address"
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for name, values in request.POST.lists():
            if control_character(name) or any(control_character(v) for v in values):
                return "The text you sent"
    return None


def refuse_control_characters(get_response):
    """Middleware: a 400 page for control characters; everything else passes untouched.

    The page never repeats what was sent, so nothing a visitor typed is reflected.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        part = _offending_part(request)
        if part is None:
            return get_response(request)
        message = f"{part} {REFUSAL}"
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=400)
        else:
            html = render_to_string("400.html", {"message": message})
            response = HttpResponseBadRequest(html)
        response["Cache-Control"] = "no-store"
        return response

    return middleware
