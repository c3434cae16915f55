"""The editors' admin, by concern: forms, versions (history, diff, revert), publishing, and
the pages for each kind of content (registered on import of `content`)."""

from . import content, pending  # noqa: F401
