"""Practitioners browsing a pathway: the pages, the visit checklist and "What changed"."""
