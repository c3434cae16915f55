"""Who sees what: a pathway or entry is a draft until a publisher publishes it, practitioners
see published content only, and people who edit or approve content preview drafts too.
Both the content models and their history use this, so neither imports the other for it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Status(models.TextChoices):
    """Where a pathway or entry is in its approval: practitioners only ever see published."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


def can_preview(user) -> bool:
    """People who edit or approve content see drafts (marked as such) on the public pages."""
    return bool(user and user.is_active and user.is_staff and user.has_perm("pathways.view_entry"))


class PublishableQuerySet(models.QuerySet):
    """The publish rule, once: what counts as published is `published_condition`, which an
    entry extends with its pathway's status."""

    published_condition: dict = {"status": Status.PUBLISHED}

    def published(self):
        """What practitioners may see. Every public page, search and export starts here (or
        from `visible_to`)."""
        return self.filter(**self.published_condition)

    def visible_to(self, user):
        """Everything for people who edit content (a preview), published content otherwise."""
        return self if can_preview(user) else self.published()


class Publishable(models.Model):
    """Content with a `status` field (each model words its own help text)."""

    class Meta:
        abstract = True

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT


# The overdue rule, in SQL and in Python side by side so the two cannot drift apart: a review
# is overdue once its due date has passed (in the UK).


def overdue_condition() -> models.Q:
    """Pathways whose next review date has passed, as a filter."""
    return models.Q(next_review_due__lt=timezone.localdate())


def review_is_overdue(next_review_due) -> bool:
    """Whether a next review date has passed."""
    return bool(next_review_due and next_review_due < timezone.localdate())
