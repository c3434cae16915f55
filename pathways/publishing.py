"""Who sees what: a pathway or entry is a draft until a publisher publishes it, practitioners
see published content only, people who edit or approve content preview drafts too, and a
change to live content waits, whole, as a pending change until a second person approves it."""

from __future__ import annotations

import copy
import json

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .history import (
    PARKING_OFFSET,
    parts_of,
    record_version,
    restore_parts,
    sibling_place,
    take_parts,
)


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


# The two-person rule. A change to content practitioners can see is not written to the live
# rows: it is kept whole (fields and parts) as a pending change until a publisher who did not
# make it approves it. Every public surface reads the live rows, so none of them needs to know.
# Like Wagtail's revisions, the proposal is a serialised copy of the object; unlike Wagtail,
# the live rows only ever hold the approved version, so public queries stay as they are.


def is_live(obj: models.Model) -> bool:
    """Whether practitioners see `obj` (as stored, or as it would be saved): published content
    in a published pathway; shared content (stages, bands, services, tags, documents) always."""
    if not hasattr(obj, "status"):
        return True
    if obj.status != Status.PUBLISHED:
        return False
    pathway_id = getattr(obj, "pathway_id", None)
    if pathway_id is None:
        return True
    pathway_model = obj._meta.get_field("pathway").related_model
    return pathway_model.objects.filter(pk=pathway_id, status=Status.PUBLISHED).exists()


def needs_approval(before: models.Model | None, after: models.Model, *, may_publish: bool) -> bool:
    """Whether saving `after` over the stored `before` must wait for a second person: it changes
    what practitioners see now, or makes them see it (an approved entry moved into a live
    pathway). New content and drafts are saved as they are; a publisher publishing or
    unpublishing is the approval itself."""
    if before is None:
        return False
    if may_publish and getattr(before, "status", None) != getattr(after, "status", None):
        return False
    return is_live(before) or is_live(after)


def _as_json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def content_fields(model: type[models.Model]) -> list[models.Field]:
    # The status is the publishers' to change, directly: a proposal never carries it.
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name != "status"
    ]


def state_of(obj: models.Model) -> dict:
    """An object's whole version as JSON: its fields and its parts (see history.take_parts)."""
    fields = {f.attname: getattr(obj, f.attname) for f in content_fields(type(obj))}
    return _as_json({"fields": fields, "parts": take_parts(obj)})


def state_of_record(record) -> dict:
    """The whole version a historical record holds, in the shape of `state_of`."""
    model = record.instance_type
    fields = {f.attname: getattr(record, f.attname) for f in content_fields(model)}
    return _as_json({"fields": fields, "parts": getattr(record, "parts", None) or {}})


def revert_needs_approval(record, current: models.Model | None) -> bool:
    """Whether putting `record` back over `current` must wait for approval: as any change, with
    the status kept (a revert never publishes)."""
    if current is None:
        return False
    after = record.instance
    if hasattr(after, "status"):
        after.status = current.status
    return needs_approval(current, after, may_publish=False)


def propose_revert(record, current: models.Model, *, user, reason: str) -> PendingChange:
    """A revert of live content as a pending change. Raises ValidationError, proposing
    nothing, when the old version no longer fits (its position is taken now, say)."""
    proposed = record.instance
    if hasattr(proposed, "status"):
        proposed.status = current.status
    proposed._state.adding = False
    proposed.full_clean()
    return PendingChange.propose(
        current, state_of_record(record), user=user, reason=reason, kind=ChangeKind.REVERT
    )


class Decision(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ChangeKind(models.TextChoices):
    CHANGE = "change", "Change"
    REVERT = "revert", "Revert"


class PendingChangeQuerySet(models.QuerySet):
    def pending(self) -> PendingChangeQuerySet:
        """Changes still waiting for a publisher."""
        return self.filter(decision=Decision.PENDING)

    def for_objects(self, model: type[models.Model], ids) -> PendingChangeQuerySet:
        """Pending changes of some objects of one model (the pathway page's preview)."""
        content_type = ContentType.objects.get_for_model(model)
        return self.pending().filter(content_type=content_type, object_id__in=list(ids))


class PendingChange(models.Model):
    """A proposed version of live content, whole, waiting for a publisher who did not make it."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    content = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("content", max_length=300)
    kind = models.CharField(max_length=10, choices=ChangeKind, default=ChangeKind.CHANGE)
    base = models.JSONField(help_text="The approved version the change was made from.")
    proposed = models.JSONField(help_text="The whole proposed version: fields and parts.")
    reason = models.CharField(max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=10, choices=Decision, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    objects = PendingChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "decision"], name="pending_lookup")
        ]
        permissions = [("approve_pendingchange", "Can approve or reject pending changes")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.object_repr}"

    @property
    def model(self) -> type[models.Model]:
        return self.content_type.model_class()

    @classmethod
    def propose(
        cls, live: models.Model, proposed: dict, *, user, reason: str = "", kind=ChangeKind.CHANGE
    ) -> PendingChange:
        """Keeps `proposed` (a `state_of`) for approval; `live` stays as it is."""
        base = state_of(live)
        if kind == ChangeKind.CHANGE:
            known = {
                name: {row["id"] for row in rows}
                for name, rows in base["parts"].items()
                if rows and isinstance(rows[0], dict)
            }
            for name, rows in proposed["parts"].items():
                for row in rows:
                    # A part added in the proposal got its id from a save that was rolled
                    # back: it is created on approval, with an id of its own. (A revert keeps
                    # the ids it puts back.)
                    if isinstance(row, dict) and row["id"] not in known.get(name, set()):
                        row["id"] = None
        return cls.objects.create(
            content_type=ContentType.objects.get_for_model(live),
            object_id=live.pk,
            object_repr=str(live)[:300],
            kind=kind,
            base=base,
            proposed=proposed,
            reason=reason or "",
            proposed_by=user,
        )

    def proposed_instance(self, live: models.Model) -> models.Model:
        """The proposed version as an unsaved object, parts ready to read (for previews)."""
        obj = copy.copy(live)
        obj._state = copy.copy(live._state)
        obj._state.fields_cache = {}
        for name in [name for name in vars(obj) if name.endswith("_marked")]:
            delattr(obj, name)  # search marks of the approved text
        obj._prefetched_objects_cache = dict(getattr(live, "_prefetched_objects_cache", {}))
        self._set_fields(obj)
        for name in parts_of(self.model):
            relation = obj._meta.get_field(name)
            if relation.many_to_many or name not in self.proposed["parts"]:
                continue
            child_model = relation.related_model
            child_fields = {f.attname: f for f in child_model._meta.concrete_fields}
            children = []
            for row in self.proposed["parts"][name]:
                child = child_model(pk=row["id"])
                for attname, value in row.items():
                    if attname in child_fields and attname != "id":
                        setattr(child, attname, child_fields[attname].to_python(value))
                setattr(child, relation.field.attname, obj.pk)
                children.append(child)
            obj._prefetched_objects_cache[relation.get_accessor_name()] = children
        return obj

    def _set_fields(self, obj: models.Model) -> None:
        for field in content_fields(self.model):
            if field.attname in self.proposed["fields"]:
                setattr(obj, field.attname, field.to_python(self.proposed["fields"][field.attname]))

    def _decide(self, user, decision: str, comment: str) -> None:
        self.decision = decision
        self.decided_by = user
        self.decided_at = timezone.now()
        self.comment = comment or ""
        self.save(update_fields=["decision", "decided_by", "decided_at", "comment"])

    def approve(self, user, comment: str = "") -> models.Model:
        """Puts the proposed version live, recording who proposed and who approved it. Raises
        PermissionDenied for the proposer (two people, always) and ValidationError, writing
        nothing, when the change no longer applies."""
        if user.pk == self.proposed_by_id:
            raise PermissionDenied("Nobody approves their own change: another publisher must.")
        with transaction.atomic():
            this = type(self).objects.select_for_update().get(pk=self.pk)
            if this.decision != Decision.PENDING:
                raise ValidationError(f"This change was already {this.get_decision_display()}.")
            live = self.model.objects.select_for_update().filter(pk=self.object_id).first()
            if live is None:
                raise ValidationError("The content was deleted after this change was proposed.")
            if state_of(live) != self.base:
                raise ValidationError(
                    "The live version changed after this change was proposed (another change "
                    "was approved). Reject this one and make the change again."
                )
            self._make_room(live)
            self._set_fields(live)
            live.full_clean()
            reason = self.reason or (
                "Reverted" if self.kind == ChangeKind.REVERT else "Approved change"
            )
            live._history_user = self.proposed_by
            live._change_reason = reason
            live._approval = self
            if parts_of(self.model):
                live.save_without_historical_record()
                restore_parts(live, self.proposed["parts"], reason, user=self.proposed_by)
                record_version(live)
            else:
                live.save()
            self._decide(user, Decision.APPROVED, comment)
        return live

    def _make_room(self, live: models.Model) -> None:
        """A move to a place a sibling holds (an entry moved up) swaps the two: the sibling
        takes the old place, in the same approval, so the unique place is never shared."""
        place = sibling_place(self.model)
        if place is None:
            return
        parent, slot = place
        parent_attname = self.model._meta.get_field(parent).attname
        field = self.model._meta.get_field(slot)
        wanted = field.to_python(self.proposed["fields"].get(slot))
        old = getattr(live, slot)
        if wanted is None or wanted == old:
            return
        parent_id = self.proposed["fields"].get(parent_attname, getattr(live, parent_attname))
        other = (
            self.model.objects.filter(**{parent_attname: parent_id, slot: wanted})
            .exclude(pk=live.pk)
            .first()
        )
        if other is None:
            return
        setattr(live, slot, PARKING_OFFSET + live.pk)
        live.save_without_historical_record()
        setattr(other, slot, old)
        other._history_user = self.proposed_by
        other._change_reason = f"Swapped places with “{self.object_repr}”"
        other._approval = self
        other.save()

    def reject(self, user, comment: str = "") -> None:
        """Drops the change; the live version stays. The proposer may withdraw their own."""
        with transaction.atomic():
            this = type(self).objects.select_for_update().get(pk=self.pk)
            if this.decision != Decision.PENDING:
                raise ValidationError(f"This change was already {this.get_decision_display()}.")
            self._decide(user, Decision.REJECTED, comment)


def with_pending_versions(objects: list[models.Model]) -> list[models.Model]:
    """For people who edit or approve content: each object replaced by its pending version,
    if it has one, with `pending_change` set (the page marks it and links to its diff)."""
    if not objects:
        return objects
    model = type(objects[0])
    latest = {}
    for change in PendingChange.objects.for_objects(model, [obj.pk for obj in objects]).order_by(
        "proposed_at", "pk"
    ):
        latest[change.object_id] = change
    shown = []
    for obj in objects:
        change = latest.get(obj.pk)
        if change is not None:
            obj = change.proposed_instance(obj)
            obj.pending_change = change
        shown.append(obj)
    return shown
