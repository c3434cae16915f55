"""What the pathway pages reuse between requests: the content version, and the cache they
keep their parts in under it (`caches["pages"]`, a TwoTierCache).

Every save or delete of pathway content (the admin, an approval, loaddata) gives the content
a new version, in the database and in the same transaction as the change, so no change can
skip it. Each worker keeps the version it read for at most CONTENT_VERSION_SECONDS, then
reads it again: a change reaches every worker of every app server within that time, whatever
Redis does. Parts are kept with the version as their cache `version=`, so nothing needs to be
forgotten. A cache that cannot be reached costs speed, never a page: the part is built afresh
and a warning is logged.

Whole pages are not kept here: any HTTP cache in front may keep them (operations.http_caching).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import DatabaseError
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest

from ..models import ContentVersion, content_models

PAGES_CACHE = "pages"
# After a cache server fails to answer, this process leaves it alone for a few seconds rather
# than wait on a dead connection for every request; then it tries again.
RETRY_AFTER_SECONDS = 5.0


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
# The version this thread read and until when it may use it (time.monotonic()). Per thread,
# so that in a threaded server one thread's uncommitted version never reaches another.
_held = threading.local()


def _name(alias: str) -> str:
    return f"Cache {alias!r}"


def _safely(
    alias: str, operation: Callable[[Any], Any], default: Any = None, *, writing: bool = False
) -> Any:
    """`operation(cache)`, or `default` with a warning when the cache fails (Redis stopped,
    an unwritable directory, a full disk)."""
    if _unavailable_until.get(alias, 0.0) > time.monotonic():
        if writing:
            logger.warning("%s left alone after a failure, nothing kept there", _name(alias))
        return default
    try:
        return operation(caches[alias])
    except Exception as error:  # redis' errors are not OSErrors; any failure costs speed only
        if not isinstance(error, OSError):
            # A server that does not answer (Redis) is left alone for a while; a file that
            # cannot be written costs nothing to try again.
            _unavailable_until[alias] = time.monotonic() + RETRY_AFTER_SECONDS
        state = "unwritable" if writing else "unreadable"
        logger.warning("%s %s, pages are built afresh: %s", _name(alias), state, error)
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


def kept(key: str, build: Callable[[], Any], version: str | None) -> Any:
    """What `build()` returns, kept in the pages cache for this content version (as the
    cache's `version=`); built afresh without one (staff, or a version that cannot be read)."""
    if version is None:
        return build()
    return caches[PAGES_CACHE].get_or_set(key, build, version=version)


def release_key(key: str, key_prefix: str, version: Any) -> str:
    """The cache's KEY_FUNCTION: the release in every key, so markup built by one release is
    never reused by another."""
    return f"{key_prefix}:{RELEASE}:{version}:{key}"


# Each process's tier, by the LOCATION of the cache it fronts: every thread shares it.
_tiers: dict[str, OrderedDict] = {}
_tiers_lock = threading.Lock()


class TwoTierCache(BaseCache):
    """A per-process tier in front of a shared cache (OPTIONS["SHARED"], another alias in
    CACHES: Redis, or memory without REDIS_URL). What a worker reads or builds it keeps as
    objects (no unpickling on its next request), by recency rather than time: the least
    recently used goes first past MAX_ENTRIES (a key names its content version, so an old
    version's parts are simply no longer asked for). What any worker builds, every server
    shares. A shared cache that fails costs speed, never a page."""

    def __init__(self, location: str, params: dict):
        super().__init__(params)
        self.shared = params.get("OPTIONS", {})["SHARED"]
        with _tiers_lock:
            self.local = _tiers.setdefault(location, OrderedDict())

    def _local_get(self, keys: list[str]) -> dict[str, Any]:
        with _tiers_lock:
            found = {key: self.local[key] for key in keys if key in self.local}
            for key in found:
                self.local.move_to_end(key)
        return found

    def _local_set(self, values: dict[str, Any]) -> None:
        with _tiers_lock:
            for key, value in values.items():
                self.local[key] = value
                self.local.move_to_end(key)
            while len(self.local) > self._max_entries:
                self.local.popitem(last=False)

    # Keys are made, not validated: memcached's key rules bind neither tier, and checking
    # each character of every key was a measurable part of a page. The process's tier is
    # read under one lock for all the keys asked.
    def get(self, key, default=None, version=None):
        return self.get_many([key], version=version).get(key, default)

    def get_many(self, keys, version=None):
        full = {self.make_key(key, version=version): key for key in keys}
        found = self._local_get(list(full))
        asked = [k for k in full if k not in found]
        if asked:
            shared = _safely(self.shared, lambda cache: cache.get_many(asked), {})
            self._local_set(shared)
            found.update(shared)
        return {full[k]: value for k, value in found.items()}

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self.set_many({key: value}, timeout, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self.has_key(key, version=version):
            return False
        self.set(key, value, timeout, version=version)
        return True

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        full = {self.make_key(k, version=version): v for k, v in data.items()}
        self._local_set(full)
        _safely(self.shared, lambda cache: cache.set_many(full, timeout), writing=True)
        return []

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        value = self.get(key, self, version=version)
        if value is self:
            value = default() if callable(default) else default
            self.set(key, value, timeout, version=version)
        return value

    def has_key(self, key, version=None):
        return self.get(key, self, version=version) is not self

    def delete(self, key, version=None):
        full = self.make_key(key, version=version)
        with _tiers_lock:
            self.local.pop(full, None)
        return bool(_safely(self.shared, lambda cache: cache.delete(full), writing=True))

    def clear(self):
        with _tiers_lock:
            self.local.clear()
        _safely(self.shared, lambda cache: cache.clear(), writing=True)
