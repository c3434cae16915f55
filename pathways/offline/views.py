"""Offline use on home visits: the web app manifest that makes the site installable, the
service worker that keeps the pathways a practitioner has opened, and the rule that nothing
served to a signed-in person is kept (editors may see content practitioners may not)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from ..models import Pathway

ICONS = "vendor/nhsuk-frontend/assets/images/"
STYLESHEETS = ["pathways/styles.css"]
# Cached up front so a saved page has its look and its scripts with the network off.
SHELL = [
    *STYLESHEETS,
    "pathways/print.css",
    "vendor/nhsuk-frontend/nhsuk-frontend.used.min.js",
    "pathways/site.js",
    "pathways/offline.js",
    "django_htmx/htmx-2.min.js",
    f"{ICONS}favicon.svg",
    f"{ICONS}nhsuk-icon-192.png",
]


def signed_in_responses_are_private(get_response: Callable) -> Callable:
    """Middleware: responses to a signed-in person are `private, no-store`, so neither a
    shared cache nor the service worker keeps them."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def plain(path: str) -> str:
    """A static file's address without the content hash production adds to its name."""
    return f"{settings.STATIC_URL}{path}"


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "Pathway Navigator",
        "short_name": "Pathways",
        "description": "What early-years care pathways say to do, by the child's age.",
        "start_url": reverse("pathways:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f0f4f5",
        "theme_color": "#005eb8",
        "icons": [
            {"src": static(f"{ICONS}nhsuk-icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static(f"{ICONS}nhsuk-icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static(f"{ICONS}favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the root so that its scope is the whole site."""
    context = {
        # Both names of each file: pages link the hashed name (in production), while
        # JavaScript modules import each other by the plain one.
        "shell": json.dumps(
            list(dict.fromkeys(url for path in SHELL for url in (static(path), plain(path))))
        ),
        "static_prefix": json.dumps(settings.STATIC_URL),
        "never": json.dumps([reverse("admin:index")]),
        # Saved when offline support starts: the app's start page and every pathway a
        # visitor may open (what a signed-in person may see is never saved).
        "start_pages": json.dumps([reverse("pathways:home")]),
        "pathway_pages": json.dumps(
            [
                pathway.get_absolute_url()
                for pathway in Pathway.objects.for_home(AnonymousUser()).filter(has_entries=True)
            ]
        ),
        # The page for an address never saved, with and without the home page saved.
        "not_saved": json.dumps(
            {
                variant: render_to_string(
                    "pathways/not_saved.html",
                    {"stylesheets": [static(path) for path in STYLESHEETS], "home": home},
                )
                for variant, home in (("home", reverse("pathways:home")), ("nothing", ""))
            }
        ),
    }
    response = render(
        request, "pathways/service-worker.js", context, content_type="text/javascript"
    )
    # Browsers check for a new worker on navigation; it must never come from a cache.
    patch_cache_control(response, no_cache=True)
    return response
