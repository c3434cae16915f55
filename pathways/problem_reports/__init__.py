"""Readers reporting a problem with an entry, and the limit on how often they can."""
