"""What the pathway pages reuse between requests: the content version, and what was built
for it (entry cards, the pathway with its notes, the filter options, the count).

Every save or delete of pathway content (the admin, an approval, loaddata) gives the content
a new version, in the database and in the same transaction as the change, so no change can
skip it. Each worker keeps the version it read for at most CONTENT_VERSION_SECONDS, then
reads it again: a change reaches every worker of every app server within that time, whatever
Redis does. Everything reused is keyed by the version, so nothing needs to be forgotten. With
REDIS_URL set what was built lives in Redis, shared by every server; without it, in each
worker's memory. A cache that cannot be reached costs speed, never a page: the page is built
afresh and a warning is logged.

Whole pages are not kept here: any HTTP cache in front may keep them (operations.http_caching).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest

from ..models import ContentVersion, content_models

BUILT_CACHE = "built"
# After a cache server fails to answer, this process leaves it alone for a few seconds rather
# than wait on a dead connection for every request; then it tries again.
RETRY_AFTER_SECONDS = 5.0

# Each process also keeps what it has read or built for the latest version it has seen, as
# objects: no unpickling on the next request. A new version replaces all of it.
MEMO_LIMIT = 20000


def _release() -> str:
    """A digest of this release's code, templates and static files' names: markup built by
    one release is never reused by another (app servers change release one by one, and
    share what they built through Redis)."""
    digest = hashlib.sha256()
    app = Path(__file__).resolve().parent.parent
    folders = [(app, "*.py"), *((Path(d), "*.html") for d in settings.TEMPLATES[0]["DIRS"])]
    for folder, pattern in folders:
        for path in sorted(folder.rglob(pattern)):
            digest.update(path.read_bytes())
    if settings.STATIC_ROOT:
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if manifest.is_file():
            digest.update(manifest.read_bytes())
    return digest.hexdigest()[:12]


RELEASE = _release()
logger = logging.getLogger("pathways.caching")
_unavailable_until: dict[str, float] = {}
_memo: dict[str, Any] = {"version": None, "items": {}}
# The version this thread read and until when it may use it (time.monotonic()). Per thread,
# so that in a threaded server one thread's uncommitted version never reaches another.
_held = threading.local()


NAMES = {
    BUILT_CACHE: "Built parts cache",
}


def _safely(
    alias: str, operation: Callable[[Any], Any], default: Any = None, *, writing: bool = False
) -> Any:
    """`operation(cache)`, or `default` with a warning when the cache fails (Redis stopped,
    an unwritable directory, a full disk)."""
    if _unavailable_until.get(alias, 0.0) > time.monotonic():
        if writing:
            logger.warning("%s left alone after a failure, nothing kept there", NAMES[alias])
        return default
    try:
        return operation(caches[alias])
    except Exception as error:  # redis' errors are not OSErrors; any failure costs speed only
        if not isinstance(error, OSError):
            # A server that does not answer (Redis) is left alone for a while; a file that
            # cannot be written costs nothing to try again.
            _unavailable_until[alias] = time.monotonic() + RETRY_AFTER_SECONDS
        state = "unwritable" if writing else "unreadable"
        logger.warning("%s %s, pages are built afresh: %s", NAMES[alias], state, error)
        return default


def content_version(request: HttpRequest | None = None) -> str | None:
    """The current version of the pathway content, as read at most CONTENT_VERSION_SECONDS
    ago; None when the database cannot be read, and then nothing built earlier may be
    reused. Read once per request when given one."""
    if request is not None:
        if not hasattr(request, "_content_version"):
            request._content_version = content_version()
        return request._content_version
    # Taken before the read: whatever was committed before now is in what the read returns.
    now = time.monotonic()
    version = getattr(_held, "version", None)
    if version is not None and now < _held.until:
        return version
    try:
        version = _read_version()
    except DatabaseError as error:
        forget_version()
        logger.warning("Content version unreadable, pages are built afresh: %s", error)
        return None
    if version is not None:
        _hold(version, now)
    return version


def _read_version() -> str | None:
    token = ContentVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        # Its migration makes the row; a flushed database (a transactional test) has none.
        row, _ = ContentVersion.objects.get_or_create(pk=1, defaults={"token": _new_token()})
        token = row.token
    return token


def _new_token() -> str:
    return secrets.token_hex(8)


def _hold(version: str | None, since: float) -> None:
    _held.version = version
    _held.until = since + settings.CONTENT_VERSION_SECONDS


def forget_version() -> None:
    """This thread reads the version from the database at its next request."""
    _held.__dict__.clear()


def bump_content_version(**kwargs) -> None:
    """Gives the content a new version in the transaction that changes it (PostgreSQL then
    holds the row until the commit, so concurrent changes take turns). This thread uses the
    new version at once; every other worker within CONTENT_VERSION_SECONDS."""
    token = _new_token()
    if not ContentVersion.objects.filter(pk=1).update(token=token):
        ContentVersion.objects.update_or_create(pk=1, defaults={"token": token})
    _hold(token, time.monotonic())


def watch_content() -> None:
    """Bumps the content version whenever pathway content (or a many-to-many link between
    pieces of it) is saved or deleted, the admin and loaddata included. Problem reports and
    history records are not content: they leave the version alone. Bulk writes send no
    signals: call bump_content_version() after them (bench/generate.py does)."""
    through = [
        field.remote_field.through
        for model in content_models()
        for field in model._meta.many_to_many
    ]
    for model in [*content_models(), *through]:
        uid = f"content-version-{model._meta.label}"
        post_save.connect(bump_content_version, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"{uid}-delete")
        m2m_changed.connect(bump_content_version, sender=model, dispatch_uid=f"{uid}-m2m")


def _memo_items(version: str) -> dict[str, Any]:
    if _memo["version"] != version:
        _memo.update(version=version, items={})
    return _memo["items"]


def _keep(items: dict[str, Any], values: dict[str, Any]) -> None:
    if len(items) < MEMO_LIMIT:
        items.update(values)


def built(version: str | None, key: str, build: Callable[[], Any], *, shared: bool = True) -> Any:
    """What `build()` returns for this content version, built once per version: once for
    every server, or with `shared=False` once in each process (for what cannot be pickled,
    such as a queryset not to be evaluated)."""
    if version is None:
        return build()
    items = _memo_items(version)
    if key in items:
        return items[key]
    if not shared:
        value = build()
        _keep(items, {key: value})
        return value
    full_key = f"{version}:{key}"
    value = _safely(BUILT_CACHE, lambda cache: cache.get(full_key))
    if value is None:
        value = build()
        _safely(BUILT_CACHE, lambda cache: cache.set(full_key, value), writing=True)
    _keep(items, {key: value})
    return value


def was_built(version: str | None, key: str) -> bool:
    """Whether something was built under `key` for this content version."""
    if version is None:
        return False
    if key in _memo_items(version):
        return True
    return _safely(BUILT_CACHE, lambda cache: cache.get(f"{version}:{key}")) is not None


def built_many(
    version: str | None, keys: Iterable[str], build: Callable[[list[str]], dict[str, Any]]
) -> dict[str, Any]:
    """Like `built` for many keys in one round trip: `build(missing_keys)` returns a value
    for each key it is given."""
    keys = list(keys)
    if version is None:
        return build(keys)
    items = _memo_items(version)
    values = {k: items[k] for k in keys if k in items}
    prefix = f"{version}:"
    if len(values) < len(keys):
        asked = [prefix + k for k in keys if k not in values]
        found = _safely(BUILT_CACHE, lambda cache: cache.get_many(asked), {})
        fetched = {k: found[prefix + k] for k in keys if prefix + k in found}
        values.update(fetched)
        _keep(items, fetched)
    missing = [k for k in keys if k not in values]
    if missing:
        made = build(missing)
        values.update(made)
        _keep(items, made)
        _safely(
            BUILT_CACHE,
            lambda cache: cache.set_many({prefix + k: v for k, v in made.items()}),
            writing=True,
        )
    return values
