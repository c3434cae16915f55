"""Editors and publishers: the admin, word diffs, and moving a pathway between databases."""
