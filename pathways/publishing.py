"""Who sees what: a pathway or entry is a draft until a publisher publishes it, practitioners
see published content only, people who edit or approve content preview drafts too, and a
change to live content waits, whole, as a pending change until a second person approves it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

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


def overdue_condition(field: str = "next_review_due") -> models.Q:
    """Content whose next review (or a local service's next check) date has passed, as a
    filter."""
    return models.Q(**{f"{field}__lt": timezone.localdate()})


def review_is_overdue(next_review_due) -> bool:
    """Whether a next review date has passed."""
    return bool(next_review_due and next_review_due < timezone.localdate())


# The two-person rule. A change to content practitioners can see is not written to the live
# rows: it is kept whole (fields and parts) as a pending change until a publisher who did not
# make it approves it. Every public surface reads the live rows, so none of them needs to know.
# Like Wagtail's revisions, the proposal is a serialised copy of the object; unlike Wagtail,
# the live rows only ever hold the approved version, so public queries stay as they are.


def is_guarded(obj: models.Model) -> bool:
    """Whether changes to `obj` wait for a second person: content readers get (shared content,
    which has no status) or will get as it stands (anything published, even in a pathway not
    yet published, so that publishing the pathway shows only approved entries)."""
    return getattr(obj, "status", Status.PUBLISHED) == Status.PUBLISHED


def needs_approval(before: models.Model | None, after: models.Model) -> bool:
    """Whether saving `after` over the stored `before` (None: adding it) goes through the gate:
    it changes guarded content, makes content guarded (publishing it, or adding shared
    content), or touches content that already has a pending change."""
    if before is None:
        return is_guarded(after)
    return is_guarded(before) or is_guarded(after) or pending_change_of(before) is not None


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


def with_status(state: dict, status: str | None) -> dict:
    """`state` proposing `status` too (a publish or unpublish); None leaves the status be."""
    if status is None:
        return state
    return {**state, "status": str(status)}


def authors_of(obj: models.Model) -> set[int]:
    """Who wrote any part of `obj` since its last approved version: the people who saved its
    versions since then. A version that went live through an approval, or was loaded from
    fixtures or restored by an operator (no person), is approved."""
    history = getattr(type(obj), "history", None)
    if history is None or obj.pk is None:
        return set()
    authors = set()
    records = history.filter(**{obj._meta.pk.attname: obj.pk}).order_by(
        "-history_date", "-history_id"
    )
    for user_id, approval_id in records.values_list("history_user_id", "approval_id"):
        if approval_id is not None or user_id is None:
            break
        authors.add(user_id)
    return authors


def pending_change_of(obj: models.Model | None) -> PendingChange | None:
    """The change waiting for approval on `obj`, if any (there is at most one per object)."""
    if obj is None or obj.pk is None:
        return None
    content_type = ContentType.objects.get_for_model(obj)
    return (
        PendingChange.objects.pending()
        .of_versions()
        .filter(content_type=content_type, object_id=obj.pk)
        .select_related("proposed_by")
        .first()
    )


def propose_revert(record, current: models.Model | None, *, user, reason: str) -> PendingChange:
    """A revert of guarded content (or of deleted content that would come back guarded) as a
    pending change. Raises ValidationError, proposing nothing, when the old version no longer
    fits (its position is taken now, say)."""
    proposed = record.instance
    if current is not None and hasattr(proposed, "status"):
        proposed.status = current.status
    proposed._state.adding = current is None
    proposed.full_clean()
    state = state_of_record(record)
    if current is None:
        state = with_status({**state, "id": record.instance.pk}, getattr(proposed, "status", None))
        return submit(record.instance_type, state, user=user, reason=reason, kind=ChangeKind.CREATE)
    return submit(current, state, user=user, reason=reason, kind=ChangeKind.REVERT)


def revert_needs_approval(record, current: models.Model | None) -> bool:
    """Whether putting `record` back over `current` goes through the gate: as any change, with
    the status kept (a revert never publishes by itself)."""
    after = record.instance
    if current is not None and hasattr(after, "status"):
        after.status = current.status
    return needs_approval(current, after)


class Decision(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ChangeKind(models.TextChoices):
    CHANGE = "change", "Change"
    REVERT = "revert", "Revert"
    CREATE = "create", "New"
    DELETE = "delete", "Deletion"
    PUBLISH = "publish", "Publishing"
    UNPUBLISH = "unpublish", "Unpublishing"
    # A pathway's page text, whole (pathways/editing/importing.py): on the Pathway model, its
    # own kind of change, so it waits beside a change of the pathway's fields, not merged in.
    IMPORT = "import", "Import"


# How a change that holds no version of one object is applied on approval, by kind: an import
# of page text (pathways/editing/importing.py, connected from AppConfig.ready, as it is built
# on the content models this module lies under). Called inside the approval's transaction
# with (change, live object or None, reason); returns the object now live.
APPLIED_BY_KIND: dict[str, Callable] = {}


class PendingChangeQuerySet(models.QuerySet):
    def pending(self) -> PendingChangeQuerySet:
        """Changes still waiting for a publisher."""
        return self.filter(decision=Decision.PENDING)

    def of_versions(self) -> PendingChangeQuerySet:
        """Changes that hold a version of one object (all but imports, which hold page text)."""
        return self.exclude(kind=ChangeKind.IMPORT)

    def for_objects(self, model: type[models.Model], ids) -> PendingChangeQuerySet:
        """Pending changes of some objects of one model (the pathway page's preview)."""
        content_type = ContentType.objects.get_for_model(model)
        return (
            self.pending().of_versions().filter(content_type=content_type, object_id__in=list(ids))
        )

    def waiting_for(self, user) -> PendingChangeQuerySet:
        """Pending changes `user` may approve: those they proposed no part of."""
        return self.for_user(user).pending().exclude(proposers=user)

    def for_user(self, user) -> PendingChangeQuerySet:
        """The changes a member of staff may see: all for national staff, their areas' for
        local staff (pathways.local.scoping)."""
        areas = scoped_areas(user)
        return self if areas is None else self.filter(area__in=areas)


class PendingChange(models.Model):
    """A proposed version of guarded content, whole (or its creation, deletion, publishing or
    unpublishing), waiting for a publisher who wrote no part of it. One per object."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty for new content, which exists once approved."
    )
    content = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("content", max_length=300)
    kind = models.CharField(max_length=10, choices=ChangeKind, default=ChangeKind.CHANGE)
    base = models.JSONField(help_text="The approved version the change was made from.")
    proposed = models.JSONField(help_text="The whole proposed version: fields and parts.")
    reason = models.CharField(max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who proposed it first; empty when publishing content nobody changed since "
        "it was loaded or last approved.",
    )
    proposers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="proposed_changes",
        help_text="Everyone who wrote part of it: none of them may approve it.",
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
    # The area whose content it changes (a local service or note): decided by a publisher of
    # that area or a national one (may_decide). Empty for national content.
    area = models.ForeignKey(
        "pathways.Area", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PendingChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "decision"], name="pending_lookup")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(decision="pending") & ~models.Q(kind="import"),
                name="one_pending_change_per_object",
            ),
            # An import waits beside the pathway's other pending change, one at a time.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(decision="pending", kind="import"),
                name="one_pending_import_per_object",
            ),
        ]
        permissions = [("approve_pendingchange", "Can approve or reject pending changes")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.object_repr}"

    @property
    def model(self) -> type[models.Model]:
        return self.content_type.model_class()

    def authors(self, live: models.Model | None = None) -> set[int]:
        """Everyone who wrote part of what this change would put live (`live`, the object as
        stored, when the caller has it)."""
        authors = set(self.proposers.values_list("pk", flat=True))
        live = live if live is not None else self.live_object()
        if live is not None:
            authors |= authors_of(live)
        return authors

    def live_object(self) -> models.Model | None:
        if self.object_id is None:
            return None
        return self.model.objects.filter(pk=self.object_id).first()

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

    def _set_fields(self, obj: models.Model, only=None) -> None:
        for field in content_fields(self.model):
            if field.attname in self.proposed["fields"] and (only is None or field.attname in only):
                setattr(obj, field.attname, field.to_python(self.proposed["fields"][field.attname]))
        if "status" in self.proposed:
            obj.status = self.proposed["status"]

    def changed_fields(self) -> set[str]:
        """The fields this change changes (against the version it was made from)."""
        base, proposed = self.base.get("fields", {}), self.proposed["fields"]
        return {name for name, value in proposed.items() if base.get(name) != value}

    def changed_parts(self) -> set[str]:
        base, proposed = self.base.get("parts", {}), self.proposed.get("parts", {})
        return {name for name, rows in proposed.items() if base.get(name) != rows}

    def conflicts(self, live: models.Model) -> list[str]:
        """What another approved change altered since this one was made, among the fields and
        parts this one changes too: approving would undo it unseen."""
        now = state_of(live)
        clashes = [
            name
            for name in self.changed_fields()
            if now["fields"].get(name) != self.base["fields"].get(name)
        ]
        clashes += [
            name
            for name in self.changed_parts()
            if now["parts"].get(name) != self.base["parts"].get(name)
        ]
        if self.kind == ChangeKind.DELETE and now != self.base:
            clashes.append("content")
        return clashes

    def apply_quietly(self, live: models.Model) -> None:
        """Writes the proposed version over `live` with no history, for a form to show or bind
        it inside a savepoint the caller rolls back."""
        self._make_room(live)  # a move: the siblings shift as the approval would shift them
        self._set_fields(live)
        live.save_without_historical_record()
        restore_parts(live, self.proposed.get("parts", {}), None)

    def _decide(self, user, decision: str, comment: str) -> None:
        self.decision = decision
        self.decided_by = user
        self.decided_at = timezone.now()
        self.comment = comment or ""
        self.save(update_fields=["decision", "decided_by", "decided_at", "comment"])

    def approve(self, user, comment: str = "") -> models.Model | None:
        """Puts the proposed version live, recording who proposed and who approved it. Raises
        PermissionDenied for anyone who wrote part of it (two people, always) and
        ValidationError, writing nothing, when the change no longer applies."""
        with transaction.atomic():
            this = type(self).objects.select_for_update().get(pk=self.pk)
            if this.decision != Decision.PENDING:
                raise ValidationError(f"This change was already {this.get_decision_display()}.")
            live = None
            if self.object_id is not None:
                live = self.model.objects.select_for_update().filter(pk=self.object_id).first()
                if live is None:
                    raise ValidationError("The content was deleted after this change was proposed.")
            if user.pk in this.authors(live):
                raise PermissionDenied(
                    "Nobody approves a change they wrote part of: another publisher must."
                )
            check_may_decide(user, this)
            reason = self.reason or f"{self.get_kind_display()} approved"
            if self.kind == ChangeKind.CREATE:
                live = self._create(reason)
            elif self.kind == ChangeKind.DELETE:
                self._delete(live, reason)
            elif self.kind in APPLIED_BY_KIND:
                live = APPLIED_BY_KIND[self.kind](self, live, reason)
            else:
                self._apply(live, reason)
            self._decide(user, Decision.APPROVED, comment)
        return live

    def _apply(self, live: models.Model, reason: str) -> None:
        clashes = self.conflicts(live)
        if clashes:
            raise ValidationError(
                "The live version changed after this change was proposed (another "
                f"change was approved: {', '.join(sorted(clashes))}). Reject this one "
                "and make the change again."
            )
        proposer = self.proposed_by
        self._make_room(live)
        self._set_fields(live, only=self.changed_fields())
        live.full_clean()
        check_references(live)
        live._history_user = proposer
        live._change_reason = reason
        live._approval = self
        if parts_of(self.model):
            live.save_without_historical_record()
            parts = {name: self.proposed["parts"][name] for name in self.changed_parts()}
            restore_parts(live, parts, reason, user=proposer)
            record_version(live)
        else:
            live.save()

    def _create(self, reason: str) -> models.Model:
        obj = self.model()
        wanted_id = self.proposed.get("id")
        if wanted_id is not None and not self.model.objects.filter(pk=wanted_id).exists():
            obj.pk = wanted_id  # a deleted object put back keeps its id (and its links)
        self._set_fields(obj)
        obj.full_clean()
        check_references(obj)
        obj._history_user = self.proposed_by
        obj._change_reason = reason
        obj._approval = self
        with transaction.atomic():
            if parts_of(self.model):
                obj.save_without_historical_record()
                parts = self.proposed.get("parts", {})
                restore_parts(obj, parts, reason, user=self.proposed_by)
                record_version(obj, created=True)
            else:
                obj.save()
        self.object_id = obj.pk
        self.save(update_fields=["object_id"])
        return obj

    def _delete(self, live: models.Model, reason: str) -> None:
        if self.conflicts(live):
            raise ValidationError(
                "The content changed after its deletion was proposed. Reject this one and "
                "propose the deletion again if it is still wanted."
            )
        check_references(live, deleting=True)
        live._history_user = self.proposed_by
        live._change_reason = reason
        live._approval = self
        try:
            with transaction.atomic():
                live.delete()
        except models.ProtectedError as error:
            names = ", ".join(sorted({str(obj) for obj in error.protected_objects})[:5])
            raise ValidationError(f"It cannot be deleted while content uses it: {names}.") from None

    def _make_room(self, live: models.Model) -> None:
        """A move to a place a sibling holds (an entry moved up, perhaps several times) takes
        that place and shifts the siblings between one place along, in the same approval, so
        the order is the one proposed and no place is ever shared."""
        place = sibling_place(self.model)
        if place is None:
            return
        parent, slot = place
        field = self.model._meta.get_field(slot)
        wanted = field.to_python(self.proposed["fields"].get(slot))
        old = getattr(live, slot)
        if wanted is None or wanted == old or slot not in self.changed_fields():
            return
        parent_attname = self.model._meta.get_field(parent).attname
        siblings = list(
            self.model.objects.filter(**{parent_attname: getattr(live, parent_attname)})
            .exclude(pk=live.pk)
            .filter(**{f"{slot}__gte": min(old, wanted), f"{slot}__lte": max(old, wanted)})
            .order_by(slot)
        )
        if not any(getattr(s, slot) == wanted for s in siblings):
            return
        slots = sorted([old, *(getattr(s, slot) for s in siblings)])
        order = [s for s in siblings]
        # `live` goes where `wanted` is; the siblings keep their order in the other places.
        index = slots.index(wanted)
        order.insert(index, live)
        setattr(live, slot, PARKING_OFFSET + live.pk)
        live.save_without_historical_record()
        for sibling in siblings:
            setattr(sibling, slot, PARKING_OFFSET + sibling.pk)
            sibling.save_without_historical_record()
        for position, obj in zip(slots, order, strict=True):
            if obj is live:
                continue
            setattr(obj, slot, position)
            obj._history_user = self.proposed_by
            # Not the moved entry's words: they may be a draft's, and reasons are public.
            obj._change_reason = "Moved one place along: another entry moved"
            obj._approval = self
            obj.save()
        setattr(live, slot, old)  # set from the proposal with the other fields

    def reject(self, user, comment: str = "", *, withdraw: bool = False) -> None:
        """Drops the change; the live version stays. A proposer may withdraw their own."""
        with transaction.atomic():
            this = type(self).objects.select_for_update().get(pk=self.pk)
            if this.decision != Decision.PENDING:
                raise ValidationError(f"This change was already {this.get_decision_display()}.")
            if withdraw and not this.proposers.filter(pk=user.pk).exists():
                raise PermissionDenied("Only someone who proposed a change can withdraw it.")
            if not withdraw:
                check_may_decide(user, this)
            self._decide(user, Decision.WITHDRAWN if withdraw else Decision.REJECTED, comment)


def scoped_areas(user):
    """The areas a member of staff is scoped to (a queryset of ids), or None for national
    staff, who see every area. One rule: pathways.local.scoping reads it too."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return None
    memberships = user.area_memberships.all()
    if not memberships.exists():
        return None
    return memberships.values("area")


def area_of(live: models.Model | None, proposed: dict) -> int | None:
    """The area a change belongs to: its object's, or for new content the proposed one."""
    if live is not None:
        return getattr(live, "area_id", None)
    return (proposed.get("fields") or {}).get("area_id")


def may_decide(user, change: PendingChange) -> bool:
    """Whether `user` may approve or reject `change`: for an area's content, a publisher of
    that area or a national publisher; for national content, a national publisher only. (The
    author rule, that nobody decides what they wrote, is `approve`'s.)"""
    if user is None or not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    memberships = user.area_memberships.all()
    if (
        change.area_id is not None
        and memberships.filter(area_id=change.area_id, role="publisher").exists()
    ):
        return True
    return not memberships.exists() and user.has_perm("pathways.approve_pendingchange")


def check_may_decide(user, change: PendingChange) -> None:
    if not may_decide(user, change):
        if change.area_id:
            words = (
                f"Only a publisher for {change.area} or a national publisher decides its changes."
            )
        else:
            words = "Only a national publisher decides changes to national content."
        raise PermissionDenied(words)


def check_references(obj: models.Model, *, deleting: bool = False) -> None:
    """No published entry repeats ("as above") an entry that is not published: a draft's words
    never reach readers through a reference. Raises ValidationError naming the entries."""
    repeated_by = getattr(obj, "repeated_by", None)
    if repeated_by is not None and (deleting or not is_guarded(obj)):
        names = [str(e) for e in repeated_by.filter(status=Status.PUBLISHED)[:5]]
        if names:
            raise ValidationError(
                f"Published entries repeat its interventions (“as above”): {'; '.join(names)}. "
                "Change them first."
            )
    repeats = getattr(obj, "repeats", None) if hasattr(obj, "repeats_id") else None
    if not deleting and repeats is not None and is_guarded(obj) and not is_guarded(repeats):
        raise ValidationError(
            f"It repeats the interventions of “{repeats}”, which is not published: publish "
            "that entry first, or choose another."
        )


def submit(
    target: models.Model | type[models.Model],
    proposed: dict,
    *,
    user,
    reason: str = "",
    kind: str = ChangeKind.CHANGE,
    base: dict | None = None,
) -> PendingChange:
    """The gate's one way in: keeps `proposed` for approval, as the object's pending change
    (updated, with `user` added to its proposers, when it already has one) or a new one.
    `target` is the live object, or the model for content that does not exist yet. `base`, the
    version it is made from, is the live object's (`state_of`) unless given (an import's)."""
    with transaction.atomic():
        if isinstance(target, models.Model):
            live, model = target, type(target)
        else:
            live, model = None, target
        content_type = ContentType.objects.get_for_model(model)
        change = None
        if live is not None:
            waiting = PendingChange.objects.select_for_update().pending()
            if kind == ChangeKind.IMPORT:
                waiting = waiting.filter(kind=ChangeKind.IMPORT)
            else:
                waiting = waiting.of_versions()
            change = waiting.filter(content_type=content_type, object_id=live.pk).first()
        if change is None:
            if base is None:
                base = state_of(live) if live is not None else {"fields": {}, "parts": {}}
            change = PendingChange.objects.create(
                area_id=area_of(live, proposed),
                content_type=content_type,
                object_id=live.pk if live is not None else None,
                object_repr=str(live if live is not None else _named(model, proposed))[:300],
                kind=kind,
                base=base,
                proposed=_keep_new_part_ids(base, proposed, kind),
                reason=reason or "",
                proposed_by=user,
            )
        else:
            if kind in (ChangeKind.CHANGE, ChangeKind.REVERT):
                if "status" in change.proposed and "status" not in proposed:
                    proposed = with_status(proposed, change.proposed["status"])
                if change.kind in (ChangeKind.PUBLISH, ChangeKind.UNPUBLISH):
                    kind = change.kind
            change.kind = kind
            change.proposed = _keep_new_part_ids(change.base, proposed, kind)
            change.reason = reason or change.reason
            change.proposed_at = timezone.now()
            if change.proposed_by is None:
                change.proposed_by = user
            change.save()
        if user is not None:
            change.proposers.add(user)
    return change


def _named(model, proposed: dict) -> str:
    fields = proposed.get("fields", proposed)  # an import's proposal names its title itself
    for name in ("title", "name", "label", "term", "rationale"):
        if fields.get(name):
            return f"{model._meta.verbose_name} “{fields[name]}”"
    return f"new {model._meta.verbose_name}"


def _keep_new_part_ids(base: dict, proposed: dict, kind: str) -> dict:
    # A part added in the proposal got its id from a save that was rolled back: it is created
    # on approval with an id of its own. A revert (or a deleted object put back) keeps its ids.
    if kind in (ChangeKind.REVERT,) or "id" in proposed:
        return proposed
    proposed = copy.deepcopy(proposed)
    known = {
        name: {row["id"] for row in rows}
        for name, rows in base.get("parts", {}).items()
        if rows and isinstance(rows[0], dict)
    }
    for name, rows in proposed.get("parts", {}).items():
        for row in rows:
            if isinstance(row, dict) and row["id"] not in known.get(name, set()):
                row["id"] = None
    return proposed


def _as_status(obj: models.Model, status: str) -> models.Model:
    candidate = copy.copy(obj)
    candidate.status = status
    return candidate


def publish(obj: models.Model, user, reason: str = "") -> PendingChange:
    """Publishing a draft approves it: live now when `user` wrote no part of it since its last
    approved version (and it has no pending change), otherwise a pending change that another
    publisher approves."""
    check_references(_as_status(obj, Status.PUBLISHED))
    pending = pending_change_of(obj)
    if pending is not None:
        # Publishing what waits, as it waits: the proposal, now to be published too.
        proposed = with_status(pending.proposed, Status.PUBLISHED)
        return submit(obj, proposed, user=user, reason=reason, kind=ChangeKind.PUBLISH)
    proposed = with_status(state_of(obj), Status.PUBLISHED)
    authors = authors_of(obj)
    if user.pk in authors:
        return submit(obj, proposed, user=user, reason=reason, kind=ChangeKind.PUBLISH)
    with transaction.atomic():
        change = submit(obj, proposed, user=None, reason=reason, kind=ChangeKind.PUBLISH)
        if authors:
            change.proposers.add(*authors)
            change.proposed_by_id = min(authors)
            change.save(update_fields=["proposed_by"])
        change.approve(user)
    return change


def unpublish(obj: models.Model, user, reason: str = "") -> PendingChange:
    """Taking content away from readers is a change like any other: another publisher approves."""
    check_references(_as_status(obj, Status.DRAFT))
    pending = pending_change_of(obj)
    proposed = with_status(pending.proposed if pending else state_of(obj), Status.DRAFT)
    return submit(obj, proposed, user=user, reason=reason, kind=ChangeKind.UNPUBLISH)


def with_pending_versions(objects: list[models.Model]) -> list[models.Model]:
    """For people who edit or approve content: each object replaced by its pending version,
    if it has one, with `pending_change` set (the page marks it and links to its diff)."""
    if not objects:
        return objects
    model = type(objects[0])
    latest = {}
    for change in PendingChange.objects.for_objects(model, [obj.pk for obj in objects]).exclude(
        kind=ChangeKind.DELETE
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
