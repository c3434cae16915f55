"""Pages any HTTP cache may keep: for an anonymous visitor a page is the same for everyone,
so it goes out `public` and gzipped with an ETag from the content version, varies on
HX-Request (and Accept-Encoding) and sets no cookie; pages for signed-in people are
`private, no-store` and never compressed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from .. import ages
from ..filters import canonical_query
from .caching import content_version


def page_etag(request: HttpRequest, version: str) -> str:
    """A weak ETag for what an anonymous visitor gets at this address today under this content
    version (weak: the gzipped page and the plain one share it, one meaning in two codings)."""
    parts = [
        version,
        request.scheme,
        request.get_host(),
        request.path,
        canonical_query(request.GET),
        # The two answers Vary: HX-Request tells apart, and htmx's whole-page history restore.
        "htmx" if request.htmx else "page",
        "restore" if request.htmx and request.htmx.history_restore_request else "",
        # Ages from a date of birth and the printed date are today's.
        ages.uk_today().isoformat(),
    ]
    return 'W/"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'


def is_public(response: HttpResponse) -> bool:
    """Whether any cache may keep this response: it is the same for everyone."""
    return "public" in response.get("Cache-Control", "")


def mark_shared(response: HttpResponse, etag: str | None) -> None:
    if etag:
        response["ETag"] = etag
    patch_cache_control(
        response,
        public=True,
        max_age=settings.PAGE_MAX_AGE,
        s_maxage=settings.PAGE_SHARED_MAX_AGE,
        stale_while_revalidate=settings.PAGE_STALE_SECONDS,
    )
    patch_vary_headers(response, ["HX-Request"])


def shared_when_anonymous(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For anonymous visitors: 304 when their If-None-Match is still current, else the page,
    marked for shared caches. Signed-in people get the view's answer, made private by
    SharedCacheMiddleware and offline.views.signed_in_responses_are_private."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        version = content_version(request)
        # Without a version (its cache unreachable) there is nothing to revalidate against.
        etag = page_etag(request, version) if version else None
        if etag:
            not_modified = get_conditional_response(request, etag=etag)
            if not_modified is not None:
                mark_shared(not_modified, etag)
                return not_modified
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            mark_shared(response, etag)
        return response

    return wrapper


class SharedCacheMiddleware:
    """Keeps a `public` response fit for shared caches once the session and CSRF middleware
    have had their say: it varies on HX-Request, not on the cookie (a request carrying a
    session is never answered from a shared cache: see docs/deploy.md), and a response that
    sets a cookie is never public."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_public(response):
            return response
        user = getattr(request, "user", None)
        if response.cookies or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "private, no-store"
            return response
        vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
        kept = [v for v in vary if v.lower() != "cookie"]
        if kept:
            response["Vary"] = ", ".join(kept)
        elif "Vary" in response:
            del response["Vary"]
        return response


class PublicGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for public responses only. A public page is the same for
    everyone and holds no secret, so its compressed size tells an attacker nothing (BREACH);
    a private one (a signed-in person's page, a form with its CSRF token) goes out as it is.
    Placed before SharedCacheMiddleware, so it sees that middleware's last word."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not is_public(response):
            return response
        # A 304 names the Vary of the page it stands for, and a short page varies as well.
        patch_vary_headers(response, ["Accept-Encoding"])
        return super().process_response(request, response)
