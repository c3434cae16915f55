"""Moving a pathway between databases as one JSON file with natural keys: what
`export_pathway` writes and `import_pathway` reads. Every row is checked before anything is
kept, every write goes through save() so the history records it, and importing the same file
again changes nothing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DataError, IntegrityError, models, transaction

from ..characters import REFUSAL, control_character
from ..errors import error_text
from ..history import field_values, parts_of, record_version
from ..models import ContextDocument, Entry, Pathway, content_models

# What a file may hold, and nothing else (no users, no groups, no history). Not an area's
# services and notes either: they are the area's to change (the directory CSV, scoped to it).
IMPORTABLE = {
    model._meta.label_lower
    for model in content_models()
    if not model.__module__.startswith("pathways.local.")
}
# A pathway named only because the exported one relates to it: its own links are not part of
# the file (they could lead anywhere), so a row for it leaves them out and an import leaves
# them as they are.
RELATED_PATHWAY_LEAVES_OUT = ["related_pathways", "policy_context"]


def _rows(objects, leave_out=()) -> list[dict[str, Any]]:
    objects = list(objects)
    if not objects:
        return []
    model = type(objects[0])
    names = [
        f.name
        for f in [*model._meta.concrete_fields, *model._meta.many_to_many]
        # Not editable means derived (the search vector): the database rebuilds it.
        if not f.primary_key and f.editable and f.name not in leave_out
    ]
    return serializers.serialize(
        "python",
        objects,
        fields=names,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )


def export_rows(pathway: Pathway, *, published_only: bool = False) -> list[dict[str, Any]]:
    """The pathway with its reading notes, entries and interventions, after everything they
    refer to (policy document and its sections, stages, age bands, services, tags, related
    pathways with their notes), in an order an import can follow top to bottom."""
    entries = Entry.objects.filter(pathway=pathway)
    related = pathway.related_pathways.order_by("position", "title")
    if published_only:
        entries = entries.published()
        related = related.published()
    entries = list(
        entries.select_related("stage", "age_band", "service", "tag")
        .prefetch_related("interventions")
        .order_by("position")
    )

    def used(attr):
        found = {getattr(entry, attr) for entry in entries if getattr(entry, attr) is not None}
        return sorted(found, key=lambda obj: (obj.position, obj.slug))

    rows = []
    document = pathway.policy_context
    if document is not None:
        rows += _rows([document])
        rows += _rows(document.sections.order_by("number"))
    for attr in ("stage", "age_band", "service", "tag"):
        rows += _rows(used(attr))
    for other in related:
        rows += _rows([other], leave_out=RELATED_PATHWAY_LEAVES_OUT)
        rows += _rows(other.reading_notes.order_by("position"))
    pathway_row = _rows([pathway])[0]
    if published_only:
        keys = {other.natural_key() for other in related}
        pathway_row["fields"]["related_pathways"] = [
            key for key in pathway_row["fields"]["related_pathways"] if tuple(key) in keys
        ]
    rows.append(pathway_row)
    rows += _rows(pathway.reading_notes.order_by("position"))
    for entry in entries:
        rows += _rows([entry])
        rows += _rows(entry.interventions.order_by("position"))
    return rows


class RowError(Exception):
    """A row that cannot be imported, with the reason in an editor's words."""


class FileError(Exception):
    """A file that is not an export at all, with the reason in an editor's words."""


# The export nests five deep at most: the list of rows, a row, its fields, a many-to-many
# list, a natural key. Anything deeper is not an export, and a file of '[' * 200000 would
# otherwise exhaust the JSON parser's recursion.
MAX_DEPTH = 5
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')


class _Object(dict):
    """A JSON object that remembers the keys it was given more than once."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    seen: set[str] = set()
    found.duplicates = [key for key, _ in pairs if key in seen or seen.add(key)]
    return found


def parse_rows(text: str) -> Any:
    """The rows of an export file, or FileError naming where the file is not one.

    Duplicate keys are kept on each object (see `_Object`) for the row check to name; JSON
    itself would let the last one silently win.
    """
    depth, row = 0, 0
    for token in _TOKENS.finditer(text):
        symbol = token.group()
        if symbol in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FileError(
                    f"row {row}: nested deeper than an export ever is ({MAX_DEPTH} levels)"
                )
        elif symbol in "]}":
            depth -= 1
        elif symbol == "," and depth == 1:
            row += 1
    try:
        return json.loads(text, object_pairs_hook=_object)
    except ValueError as error:  # JSONDecodeError, and numbers too long to read
        raise FileError(f"it is not a JSON file: {error}") from error


def _check_text(name: str, raw: Any) -> None:
    """RowError if a value, or any text inside it, carries a control character."""
    if isinstance(raw, str):
        found = control_character(raw)
        if found:
            raise RowError(f"{name}: contains {found}, {REFUSAL.removeprefix('contains ')}")
    elif isinstance(raw, list):
        for item in raw:
            _check_text(name, item)


def _check_keys(obj: Any, where: str) -> None:
    duplicates = getattr(obj, "duplicates", None)
    if duplicates:
        names = ", ".join(repr(key) for key in dict.fromkeys(duplicates))
        raise RowError(f"{where}given more than once: {names}; each may appear only once")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted_parts: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def row_place(index: int, row: Any) -> str:
    """Where a row is, for messages: its index in the file, its model and its natural key."""
    if not isinstance(row, dict):
        return f"row {index}"
    fields = row.get("fields") if isinstance(row.get("fields"), dict) else {}
    if "slug" in fields:
        key = [fields["slug"]]
    else:
        parent = next(
            (fields[name] for name in ("entry", "pathway", "document") if name in fields), []
        )
        slot = fields.get("position", fields.get("number"))
        key = [*(parent if isinstance(parent, list) else [parent]), slot]
    return f"row {index} ({row.get('model', '?')} {'/'.join(str(part) for part in key)})"


def _resolve(model, key, field_name: str):
    if not isinstance(key, list | tuple):
        raise RowError(f"{field_name}: expected a natural key (a list), got {key!r}")
    try:
        return model._default_manager.get_by_natural_key(*key)
    except (model.DoesNotExist, TypeError, ValueError) as error:
        raise RowError(
            f"{field_name}: no {model._meta.verbose_name} {'/'.join(map(str, key))} in the "
            "database or in an earlier valid row of the file"
        ) from error


def _build(model, fields: dict[str, Any]):
    """The row's values, foreign keys resolved by natural key, or RowError."""
    values, m2m = {}, {}
    for name, raw in fields.items():
        _check_text(name, raw)
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist as error:
            raise RowError(f"{name}: there is no such field") from error
        if model_field.primary_key or model_field.auto_created and not model_field.concrete:
            raise RowError(f"{name}: cannot be imported")
        if model_field.many_to_many:
            if not isinstance(raw, list):
                raise RowError(f"{name}: expected a list of natural keys")
            m2m[name] = [_resolve(model_field.related_model, key, name).pk for key in raw]
        elif model_field.is_relation:
            target = None if raw is None else _resolve(model_field.related_model, raw, name)
            values[model_field.attname] = target.pk if target else None
        else:
            if raw is None and not model_field.null:
                raise RowError(f"{name}: a value is needed, not null")
            if isinstance(raw, list | dict):
                raise RowError(f"{name}: expected one value, not a {type(raw).__name__}")
            try:
                values[model_field.attname] = model_field.to_python(raw)
            except ValidationError as error:
                raise RowError(f"{name}: {' '.join(error.messages)}") from error
            except (TypeError, ValueError, OverflowError) as error:  # 12 as a date, say
                raise RowError(f"{name}: {raw!r} cannot be read as this field") from error
    return values, m2m


def _parent_relation(model):
    """For a part (intervention, reading note, section): the relation from its parent."""
    for parent_model in (Entry, Pathway, ContextDocument):
        for name in parts_of(parent_model):
            relation = parent_model._meta.get_field(name)
            if not relation.many_to_many and relation.related_model is model:
                return relation
    return None


class Importer:
    """Imports rows in order inside one transaction, kept only if every row is valid."""

    def __init__(self, source: str):
        self.reason = f"Imported from {source}"
        self.report = ImportReport()
        self.parents: dict[tuple[type, int], tuple[models.Model, bool, bool]] = {}
        self.parts_seen: dict[tuple[type, int, str], set[int]] = {}
        self.entries_in_file: dict[int, set[int]] = {}

    def run(self, rows: Any, *, dry_run: bool) -> ImportReport:
        if not isinstance(rows, list):
            self.report.errors.append(
                "The file must hold a list of rows, as export_pathway writes."
            )
            return self.report
        with transaction.atomic():
            for index, row in enumerate(rows):
                try:
                    with transaction.atomic():
                        self.import_row(row)
                except RowError as error:
                    self.report.errors.append(f"{row_place(index, row)}: {error}")
                except (IntegrityError, DataError) as error:
                    self.report.errors.append(f"{row_place(index, row)}: refused ({error})")
                except (TypeError, ValueError, OverflowError, AttributeError) as error:
                    # A value of a type no export holds that the checks above let through:
                    # the row is refused like any other, never a traceback.
                    self.report.errors.append(f"{row_place(index, row)}: cannot be read ({error})")
            if not self.report.errors:
                self.finish()
            if self.report.errors or dry_run:
                transaction.set_rollback(True)
        return self.report

    def import_row(self, row: Any) -> None:
        if not isinstance(row, dict) or not isinstance(row.get("fields"), dict):
            raise RowError('expected {"model": ..., "fields": {...}}')
        _check_keys(row, "")
        _check_keys(row["fields"], "fields ")
        label = row.get("model")
        if not isinstance(label, str) or label not in IMPORTABLE:
            raise RowError(f"{label!r} is not pathway content")
        model = apps.get_model(label)
        values, m2m = _build(model, row["fields"])
        candidate = model(**values)
        try:
            existing = model._default_manager.get_by_natural_key(*candidate.natural_key())
        except (model.DoesNotExist, ValueError, AttributeError):
            existing = None
        except Exception as error:  # a natural key made of missing parts
            raise RowError(f"its natural key is incomplete ({error})") from error
        if existing is None:
            obj, created, changed = candidate, True, True
        else:
            before = field_values(existing)
            for attname, value in values.items():
                setattr(existing, attname, value)
            obj, created, changed = existing, False, field_values(existing) != before
        if model is Entry:
            self.make_room(obj)
        try:
            obj.full_clean()
        except ValidationError as error:
            raise RowError(error_text(error)) from error
        self.save(obj, created, changed)
        for name, pks in m2m.items():
            manager = getattr(obj, name)
            if set(manager.values_list("pk", flat=True)) != set(pks):
                manager.set(pks)
                changed = True
                self.touch(obj, created, True)
        if not created and changed:
            self.report.updated += 1
        elif created:
            self.report.created += 1
        else:
            self.report.unchanged += 1
        if model is Entry:
            self.entries_in_file.setdefault(obj.pathway_id, set()).add(obj.pk)
        if parts_of(model):
            self.touch(obj, created, changed)
            for name in parts_of(model):
                if not model._meta.get_field(name).many_to_many:
                    self.parts_seen.setdefault((model, obj.pk, name), set())
        relation = _parent_relation(model)
        if relation is not None:
            parent = getattr(obj, relation.field.name)
            key = (type(parent), parent.pk, relation.get_accessor_name())
            self.parts_seen.setdefault(key, set()).add(obj.pk)
            if changed:
                self.touch(parent, False, True)

    def make_room(self, entry: Entry) -> None:
        """An entry of the database that holds the row's position (the file's pathway was
        reordered, so entries are matched by number, not place) moves to the end: its own
        row, if the file has one, puts it where the file says."""
        holder = (
            Entry.objects.filter(pathway_id=entry.pathway_id, position=entry.position)
            .exclude(pk=entry.pk)
            .first()
        )
        if holder is None:
            return
        last = Entry.objects.filter(pathway_id=entry.pathway_id).aggregate(
            last=models.Max("position")
        )["last"]
        holder.position = last + 1
        self.save(holder, False, True)
        self.touch(holder, False, True)

    def save(self, obj, created: bool, changed: bool) -> None:
        if not changed:
            return
        obj._change_reason = self.reason
        if parts_of(type(obj)):
            obj.save_without_historical_record()
        else:
            obj.save()

    def touch(self, obj, created: bool, changed: bool) -> None:
        key = (type(obj), obj.pk)
        _, was_created, was_changed = self.parents.get(key, (obj, False, False))
        self.parents[key] = (obj, created or was_created, changed or was_changed)

    def finish(self) -> None:
        """Parts the file does not list go; then each changed entry, pathway or document
        gets one version holding its fields and parts as imported."""
        for (model, pk, name), seen in self.parts_seen.items():
            if (model, pk) not in self.parents:
                continue
            obj = self.parents[(model, pk)][0]
            for part in getattr(obj, name).exclude(pk__in=seen):
                part._change_reason = self.reason
                part.delete()
                self.report.deleted_parts += 1
                self.touch(obj, False, True)
        for obj, created, changed in self.parents.values():
            if changed:
                obj._change_reason = self.reason
                record_version(obj, created=created)
        # Entries are never deleted by an import: an older file must not take away newer work.
        for pathway_pk, imported in self.entries_in_file.items():
            others = Entry.objects.filter(pathway_id=pathway_pk).exclude(pk__in=imported)
            positions = [str(position) for position in others.values_list("position", flat=True)]
            if positions:
                self.report.notes.append(
                    f"Left as they are: entries at positions {', '.join(positions)} of "
                    f"{Pathway.objects.get(pk=pathway_pk)}, which the file does not have."
                )


def import_rows(rows: Any, *, source: str, dry_run: bool = False) -> ImportReport:
    """Imports exported rows: all of them, or (if any row is invalid) none."""
    return Importer(source).run(rows, dry_run=dry_run)
