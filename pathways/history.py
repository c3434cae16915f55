"""Every version of every piece of content, kept by django-simple-history, and the revert that
puts an object back as it was, together with the parts edited with it (an entry's
interventions, a pathway's reading notes and related pathways, a document's sections)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models.signals import pre_delete
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

# Where a part waits while its siblings are renumbered, so that no two parts ever hold the same
# place (the database refuses that). Far above any real position or section number.
PARKING_OFFSET = 1_000_000_000
# The reason given to the first version of content loaded from fixtures: a starting point for
# comparisons and reverts, not a change anyone made.
BASELINE_REASON = "First version: content as loaded"


class ApprovalRecord(models.Model):
    """The pending change a version went live through, if any: who proposed it (also the
    record's `history_user`), who approved it, when and with what comment."""

    approval = models.ForeignKey(
        "pathways.PendingChange",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        abstract = True


class PartsSnapshot(ApprovalRecord):
    """The extra column of a historical record: the object's parts as they were then."""

    parts = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class ContentHistory(HistoricalRecords):
    """Historical records that also remember an object's parts.

    `parts` names reverse foreign keys (children edited inline with the object) and
    many-to-many fields. Their state is stored in each historical record of the object, so
    one record is one whole version. Code that changes parts saves the object's record after
    the parts (`record_version`), as the admin, the importer and `revert` do.
    """

    registry: dict[type[models.Model], ContentHistory] = {}

    def __init__(self, parts=(), **kwargs):
        self.parts = tuple(parts)
        kwargs.setdefault("bases", [PartsSnapshot] if self.parts else [ApprovalRecord])
        super().__init__(**kwargs)

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        ContentHistory.registry[cls] = self


def parts_of(model: type[models.Model]) -> tuple[str, ...]:
    """The names of the parts a model's versions include (empty for most models)."""
    history = ContentHistory.registry.get(model)
    return history.parts if history else ()


def _child_fields(relation) -> list[str]:
    """A child model's own fields, leaving out its primary key and its parent."""
    child = relation.related_model
    return [
        f.attname
        for f in child._meta.concrete_fields
        if not f.primary_key and f is not relation.field
    ]


def take_parts(obj: models.Model) -> dict[str, Any]:
    """The object's parts now, as JSON: children as rows with their ids, m2m as sorted ids."""
    snapshot = {}
    for name in parts_of(type(obj)):
        relation = obj._meta.get_field(name)
        manager = getattr(obj, name)
        if relation.many_to_many:
            snapshot[name] = sorted(manager.values_list("pk", flat=True))
        else:
            rows = manager.order_by(*_slot_ordering(relation)).values(
                "pk", *_child_fields(relation)
            )
            snapshot[name] = [{"id": row.pop("pk"), **row} for row in rows]
    return snapshot


def slot_field(relation) -> str:
    """The child's place among its siblings: the other field of its unique constraint with
    the parent ("position" of an intervention, "number" of a section)."""
    child = relation.related_model
    for constraint in child._meta.constraints:
        fields = set(getattr(constraint, "fields", ()))
        if relation.field.name in fields and len(fields) == 2:
            return (fields - {relation.field.name}).pop()
    raise LookupError(f"{child.__name__} has no unique place among its siblings")


def sibling_place(model: type[models.Model]) -> tuple[str, str] | None:
    """(parent field, place field) when a model's objects hold unique places among their
    siblings, as entries do within their pathway ("pathway", "position"); else None. A place
    is a number: a name unique within its parent (a local service's slug in its area) is not."""
    for constraint in model._meta.constraints:
        fields = list(getattr(constraint, "fields", ()))
        relations = [name for name in fields if model._meta.get_field(name).is_relation]
        if len(fields) == 2 and len(relations) == 1:
            place = (set(fields) - set(relations)).pop()
            if isinstance(model._meta.get_field(place), models.IntegerField):
                return relations[0], place
    return None


def _slot_ordering(relation) -> list[str]:
    return [slot_field(relation), "pk"]


def _keep_parts_of_deleted_object(sender, instance, **kwargs):
    # The children go before the parent's own historical record is written, so the record
    # of a deletion takes the parts kept here, while they still exist.
    if parts_of(sender) and instance.pk is not None:
        instance._parts_when_deleted = take_parts(instance)


def _store_parts(sender, instance, history_instance, **kwargs):
    if hasattr(history_instance, "approval_id"):
        history_instance.approval = getattr(instance, "_approval", None)
    if not parts_of(type(instance)):
        return
    kept = getattr(instance, "_parts_when_deleted", None)
    history_instance.parts = kept if kept is not None else take_parts(instance)


def connect_signals() -> None:
    """Every version records the object's parts, even in a deletion (from AppConfig.ready)."""
    pre_delete.connect(_keep_parts_of_deleted_object, dispatch_uid="history-keep-parts")
    pre_create_historical_record.connect(_store_parts, dispatch_uid="history-store-parts")


def record_version(obj: models.Model, created: bool = False) -> None:
    """Writes the historical record of `obj` as it is now, parts included: called after the
    parts are saved, by code that saved the object itself without a record."""
    history = ContentHistory.registry[type(obj)]
    history.create_historical_record(obj, "+" if created else "~")


def describe_version(record) -> str:
    """ "the version of 3 March 2026, 14:02", for messages and change reasons."""
    when = timezone.localtime(record.history_date)
    return f"the version of {date_format(when, 'j F Y, H:i')}"


def restore_parts(
    obj: models.Model, snapshot: dict[str, Any], reason: str | None, user=None, approval=None
) -> None:
    """Makes the object's parts exactly those of the snapshot: same ids, same fields, same
    order; parts added since are deleted, parts deleted since are recreated. Each part's own
    record names `user` when given (the proposer of an approved change), and `approval`, the
    pending change it went live through, when given."""
    for name in parts_of(type(obj)):
        if name not in snapshot:
            continue
        relation = obj._meta.get_field(name)
        manager = getattr(obj, name)
        if relation.many_to_many:
            still_there = relation.related_model.objects.filter(pk__in=snapshot[name])
            wanted = set(still_there.values_list("pk", flat=True))
            if set(manager.values_list("pk", flat=True)) != wanted:
                manager.set(wanted)
            continue
        child_model = relation.related_model
        slot = slot_field(relation)
        fields = _child_fields(relation)
        wanted_rows = snapshot[name]
        wanted_ids = {row["id"] for row in wanted_rows}
        current = {child.pk: child for child in manager.all()}
        for pk, child in current.items():
            if pk not in wanted_ids:
                _stamp(child, reason, user, approval)
                child.delete()
        # An id now used by another parent's child cannot be taken back: that part is
        # recreated with a new id instead.
        taken_elsewhere = set(
            child_model.objects.filter(pk__in=wanted_ids - current.keys()).values_list(
                "pk", flat=True
            )
        )
        for index, row in enumerate(wanted_rows):
            child = current.get(row["id"])
            if child is not None and getattr(child, slot) != row[slot]:
                setattr(child, slot, PARKING_OFFSET + index)
                child.save_without_historical_record()
        for row in wanted_rows:
            child = current.get(row["id"])
            if child is None:
                keep_id = row["id"] not in taken_elsewhere
                child = child_model(pk=row["id"] if keep_id else None)
            values = {attname: row[attname] for attname in fields if attname in row}
            values[relation.field.attname] = obj.pk
            if child.pk in current and all(getattr(child, k) == v for k, v in values.items()):
                continue
            for attname, value in values.items():
                setattr(child, attname, value)
            _stamp(child, reason, user, approval)
            child.save()


def _stamp(obj: models.Model, reason: str | None, user, approval) -> None:
    obj._change_reason = reason
    if user is not None:
        obj._history_user = user
    if approval is not None:
        obj._approval = approval


def field_values(obj: models.Model) -> dict[str, Any]:
    """The object's own stored values, to tell whether a save would change anything."""
    # Fields that are not editable are derived (the search vector) and not content.
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.editable}


def revert(record, *, user, reason: str | None = None, may_publish: bool = True) -> models.Model:
    """Puts the object back as `record` has it: every field and every part. An object that was
    deleted since is recreated. Someone who may not publish keeps the current status (a
    deleted object comes back as a draft). Raises ValidationError, writing nothing, when the
    old version no longer fits (its position is taken now, say)."""
    obj = record.instance
    model = type(obj)
    current = model.objects.filter(pk=obj.pk).first()
    if hasattr(obj, "status") and not may_publish:
        obj.status = (
            current.status if current is not None else model._meta.get_field("status").default
        )
    reason = reason or f"Reverted to {describe_version(record)}"
    # Checked as the object it replaces, not as a newcomer clashing with itself.
    obj._state.adding = current is None
    obj.full_clean()
    with transaction.atomic():
        obj._history_user = user
        obj._change_reason = reason
        if parts_of(model):
            obj.save_without_historical_record()
            restore_parts(obj, getattr(record, "parts", {}) or {}, reason)
            record_version(obj, created=current is None)
        else:
            obj.save()
    return obj


def parts_changes(model, old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """What changed in the parts between two versions, readably: one item per part added,
    removed or edited, as {"field", "old", "new"} like simple-history's own field changes."""
    changes = []
    for name in parts_of(model):
        relation = model._meta.get_field(name)
        label = capfirst(relation.related_model._meta.verbose_name)
        before, after = (old or {}).get(name), (new or {}).get(name)
        if before is None or after is None or before == after:
            continue
        if relation.many_to_many:
            names = _names_by_id(relation.related_model, set(before) | set(after))
            changes.append(
                {
                    "field": str(relation.verbose_name).capitalize(),
                    "old": ", ".join(names.get(pk, f"#{pk}") for pk in before) or "none",
                    "new": ", ".join(names.get(pk, f"#{pk}") for pk in after) or "none",
                }
            )
            continue
        slot = slot_field(relation)
        fields = [f for f in _child_fields(relation) if f != slot]
        old_rows = {row["id"]: row for row in before}
        new_rows = {row["id"]: row for row in after}
        for row in before:
            if row["id"] not in new_rows:
                changes.append(
                    {
                        "field": f"{label} {row[slot]} removed",
                        "old": _row_text(row, fields),
                        "new": "",
                    }
                )
        for row in after:
            previous = old_rows.get(row["id"])
            if previous is None:
                changes.append(
                    {
                        "field": f"{label} {row[slot]} added",
                        "old": "",
                        "new": _row_text(row, fields),
                    }
                )
                continue
            if previous[slot] != row[slot]:
                changes.append(
                    {"field": f"{label} moved", "old": str(previous[slot]), "new": str(row[slot])}
                )
            for field in fields:
                if previous.get(field) != row.get(field):
                    changes.append(
                        {
                            "field": f"{label} {row[slot]} {field.replace('_', ' ')}",
                            "old": str(previous.get(field, "")),
                            "new": str(row.get(field, "")),
                        }
                    )
    return changes


def _row_text(row: dict[str, Any], fields: list[str]) -> str:
    return " / ".join(str(row[f]) for f in fields if row.get(f) not in ("", None, False))


def _names_by_id(model, ids) -> dict[int, str]:
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}
