"""Offline use on home visits: the web app manifest that makes the site installable, the
service worker that keeps the pathways a practitioner has opened, and the rule that nothing
served to a signed-in person is kept (editors may see content practitioners may not)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from .. import ages
from ..browsing.views import NO_MATCHES, PathwayPage
from ..models import Pathway
from . import rules

ICONS = "vendor/nhsuk-frontend/assets/images/"
# Cached up front so a saved page has its look and its scripts with the network off: the
# files base.html links (read from it, so a file renamed or added there is never missed),
# the modules site.js imports, htmx and the installed app's icon.
SHELL_BESIDES_BASE = [
    "vendor/nhsuk-frontend/nhsuk-frontend.used.min.js",
    "pathways/offline.js",
    "django_htmx/htmx-2.min.js",
    f"{ICONS}nhsuk-icon-192.png",
]
_LINKED = re.compile(
    r"<link rel=\"(?P<rel>[\w -]+)\" href=\"\{% static '(?P<path>[^']+)' %\}\"[^>]*>"
)
_SCRIPT = re.compile(r"<script [^>]*src=\"\{% static '(?P<path>[^']+)' %\}\"")
# How long the service worker waits for a page from the network before it shows the saved
# copy: 3 s. On the slow 4G of docs/benchmarks.md (150 ms RTT, 1.6 Mbps) the pathway page,
# compressed, arrives in well under a second, so only a failing signal waits this long; and
# 3 s is about as long as a person waits before thinking a page is broken.
NETWORK_TIMEOUT_SECONDS = 3
# A saved copy is refreshed when the content changes; a year is "for good" to a browser.
TABLES_MAX_AGE = 365 * 24 * 60 * 60


@lru_cache(maxsize=1)
def base_files() -> tuple[list[str], list[str]]:
    """The stylesheets base.html links for the screen, and every static file it names in
    a link or script, as static paths."""
    source = get_template("base.html").template.source
    links = list(_LINKED.finditer(source))
    on_screen = [link for link in links if 'media="print"' not in link[0]]
    stylesheets = [link["path"] for link in on_screen if link["rel"] == "stylesheet"]
    named = [link["path"] for link in links] + _SCRIPT.findall(source)
    return stylesheets, named


def shell() -> list[str]:
    """The static files the worker keeps, once each, by the names pages use (hashed in
    production): modules import each other by those names too."""
    return list(dict.fromkeys(static(path) for path in base_files()[1] + SHELL_BESIDES_BASE))


def signed_in_responses_are_private(get_response: Callable) -> Callable:
    """Middleware: responses to a signed-in person are `private, no-store`, so neither a
    shared cache nor the service worker keeps them."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def empty_state() -> str:
    """The page's empty state with every part it may have (the pathway's range, and what the
    other filters find when a search alone emptied the page), for offline.js to copy."""
    context = {
        "no_matches": NO_MATCHES,
        "pathway_range": ages.PATHWAY_RANGE,
        "without_search": {"text": "", "show_them": rules.SHOW_THEM, "url": ""},
    }
    return render_to_string("pathways/pathway_browser.html#empty_state", context)


@require_safe
def tables(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    """The tables offline.js searches the unfiltered page's cards with, and its words for
    ages (rules.tables), under the content version they were made for: kept for good by
    browsers and the service worker. An old version's address leads to the current one."""
    page = PathwayPage(request, slug, for_offline=True, show_pending=True)
    if page.version and version != page.version:
        response = redirect(rules.tables_url(page.pathway, page.version))
        patch_cache_control(response, no_cache=True)
        return response
    response = JsonResponse(rules.tables(page.offline_words(), empty_state()))
    if page.version:
        patch_cache_control(response, public=True, max_age=TABLES_MAX_AGE, immutable=True)
    else:
        patch_cache_control(response, no_store=True)
    return response


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
        "shell": json.dumps(shell()),
        "static_prefix": json.dumps(settings.STATIC_URL),
        "network_timeout_ms": json.dumps(int(NETWORK_TIMEOUT_SECONDS * 1000)),
        "never": json.dumps([reverse("admin:index")]),
        # Saved when offline support starts, so a first visit with no signal has somewhere
        # to go: the app's start page and every pathway a visitor may open (what a
        # signed-in person may see is never saved).
        "start_pages": json.dumps([reverse("pathways:home")]),
        "pathway_pages": json.dumps(
            [
                pathway.get_absolute_url()
                for pathway in Pathway.objects.for_home(AnonymousUser()).filter(has_entries=True)
            ]
        ),
        # The page for an address never saved: with a link to the home page when that is
        # saved, and without.
        "not_saved": json.dumps(
            {
                variant: render_to_string(
                    "pathways/not_saved.html",
                    {"stylesheets": [static(path) for path in base_files()[0]], "home": home},
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
