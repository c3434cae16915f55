"""The pathway browser's htmx fragments, kept for ten seconds (FRAGMENT_CACHE_SECONDS).

Building a filtered fragment (nine queries, a few dozen entry cards) costs dozens of times
what a trivial request does, and under load many practitioners ask for the same filters.
Each app server keeps what its workers have rendered for FRAGMENT_CACHE_SECONDS (the
"fragments" cache in settings, files shared by the server's workers), so a burst of the
same request is built once.

An edit reaches every app server within those seconds: no server needs to tell another.
The server that saves content forgets its fragments at once, so a single server (runserver,
`make serve`, the tests) always shows the latest content.

Full pages are not cached: they carry the visitor's CSRF token and, for editors, a link to
the admin.
"""

import hashlib
import logging
from collections.abc import Callable
from functools import wraps

from django.core.cache import caches
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from ..models import content_models

CACHE = "fragments"

logger = logging.getLogger("pathways.caching")


def cached_htmx_fragment(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answers an htmx request for a URL rendered in the last few seconds from the cache;
    other requests, and everything but a 200, go to the view as before."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Only what every practitioner sees alike is shared: never a signed-in person's page
        # (editors preview drafts), never htmx's request for a whole page to restore history.
        shared = (
            request.htmx
            and not request.htmx.history_restore_request
            and not request.user.is_authenticated
        )
        if not shared:
            return view(request, *args, **kwargs)
        # The host and scheme too: the share link in a fragment is built from them, so one
        # host's fragment must never answer another's. Hashed: query strings can be long,
        # and cache keys are best kept short.
        address = request.build_absolute_uri(request.get_full_path())
        key = "fragment:" + hashlib.sha256(address.encode()).hexdigest()
        cached = read(key)
        if cached is not None:
            content, pushed_url = cached
            response = HttpResponse(content)
            if pushed_url:
                response["HX-Push-Url"] = pushed_url
            patch_vary_headers(response, ["HX-Request"])
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            write(key, (response.content, response.headers.get("HX-Push-Url")))
        return response

    return wrapper


# A cache that cannot be read or written (a directory the app may not write, a full disk)
# must cost speed, never the page: the error is logged and the fragment built.


def read(key: str) -> tuple[bytes, str | None] | None:
    try:
        return caches[CACHE].get(key)
    except OSError as error:
        logger.warning("Fragment cache unreadable: %s", error)
        return None


def write(key: str, content: tuple[bytes, str | None]) -> None:
    try:
        caches[CACHE].set(key, content)
    except OSError as error:
        logger.warning("Fragment cache unwritable: %s", error)


def forget_fragments(sender, **kwargs) -> None:
    try:
        caches[CACHE].clear()
    except OSError as error:
        # The save itself must go ahead; other servers' copies expire anyway.
        logger.warning("Fragment cache not emptied: %s", error)


def watch_content() -> None:
    """Forgets this server's fragments whenever pathway content (or a many-to-many link
    between pieces of it) is saved or deleted, the admin and loaddata included. Problem
    reports and history records are not content: they leave the fragments alone."""
    through = [
        field.remote_field.through
        for model in content_models()
        for field in model._meta.many_to_many
    ]
    for model in [*content_models(), *through]:
        uid = f"forget-fragments-{model._meta.label}"
        post_save.connect(forget_fragments, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(forget_fragments, sender=model, dispatch_uid=f"{uid}-delete")
        m2m_changed.connect(forget_fragments, sender=model, dispatch_uid=f"{uid}-m2m")
