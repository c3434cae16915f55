"""Every version of every piece of content in the admin: who, when and why, a word diff of
what changed, a read-only page per version, and the revert that puts it back."""

from __future__ import annotations

import copy

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from ...errors import error_text
from ...history import (
    describe_version,
    parts_changes,
    parts_of,
    record_version,
    restore_parts,
    revert,
    slot_field,
)
from ...publishing import (
    ChangeKind,
    Decision,
    PendingChange,
    Status,
    check_references,
    is_guarded,
    needs_approval,
    pending_change_of,
    propose_revert,
    publish,
    revert_needs_approval,
    state_of,
    submit,
    with_status,
)
from ..ordering import DOWN, UP, moved, next_place
from ..textdiff import word_diff
from .forms import TEXT_FIELDS, ContentForm, WholeConstraintsForm


class ReadableHistoryHelper(HistoricalRecordContextHelper):
    """Shows changed text whole: a clinical edit is often one word in a long sentence."""

    def __init__(self, model, historical_record):
        super().__init__(model, historical_record, max_displayed_delta_change_chars=2000)

    def stringify_delta_change_values(self, change, old, new):
        if isinstance(old, str) and isinstance(new, str):
            return word_diff(old, new)
        return super().stringify_delta_change_values(change, old, new)

    def prepare_delta_change_value(self, change, value):
        # An empty foreign key (no tag) is "none", not simple-history's "Deleted tag (pk=None)".
        if isinstance(value, DeletedObject) and value.pk is None:
            return "none"
        return super().prepare_delta_change_value(change, value)


def pending_message(pending: PendingChange) -> str:
    return (
        f"Your change to “{pending.object_repr}” is waiting for a publisher’s approval. "
        "Practitioners keep seeing the approved version until it is approved."
    )


def _keep_proposal(request, target, proposed: dict, reason: str, kind: str) -> None:
    """Keeps a proposal on the request until the view's savepoints are rolled back; the view
    then submits it (ContentAdmin._submit_proposals)."""
    request._proposals = [*getattr(request, "_proposals", []), (target, proposed, reason, kind)]


def pending_url(pending: PendingChange) -> str:
    return reverse("admin:pathways_pendingchange_change", args=[pending.pk])


class ContentAdmin(SimpleHistoryAdmin):
    """History (who, when, why, what changed), a version page with a revert button, and a
    change reason on every form, for every kind of content."""

    form = ContentForm
    formfield_overrides = TEXT_FIELDS
    history_list_per_page = 50
    history_list_display = ["approved"]

    # Saving: one historical record per save, written after the parts (inlines, m2m) are
    # saved, so the record holds the version the editor saw when pressing Save.
    #
    # The gate (publishing.needs_approval): a save of guarded content runs exactly as any
    # other, inside a savepoint, so Django's own validation and saving build the proposed
    # version; the version is then kept as the object's pending change and the savepoint
    # rolled back, leaving the live rows as they were. A form on content with a pending change
    # shows and binds the proposed version the same way: written inside a savepoint that is
    # always rolled back.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        live = self.get_object(request, object_id) if object_id else None
        pending = pending_change_of(live)
        if pending is None or pending.kind == ChangeKind.DELETE:
            extra_context = {**(extra_context or {}), "pending_change": pending}
            response = super().changeform_view(request, object_id, form_url, extra_context)
            return self._submit_proposals(request, response)
        request._live_before = type(live).objects.get(pk=live.pk)
        with transaction.atomic():
            showing = transaction.savepoint_create()
            pending.apply_quietly(live)
            extra_context = {**(extra_context or {}), "pending_change": pending}
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
            transaction.savepoint_rollback(showing)
        return self._submit_proposals(request, response)

    def _submit_proposals(self, request, response):
        """Submits what the request proposed, once its savepoints are rolled back, and sends
        the proposer to the pending change."""
        proposals = getattr(request, "_proposals", [])
        if not proposals:
            return response
        del request._proposals
        changes = []
        for target, proposed, reason, kind in proposals:
            if kind == ChangeKind.PUBLISH and proposed == with_status(
                state_of(target), Status.PUBLISHED
            ):
                # Only the status changed: as the Publish action, an approval if this
                # publisher wrote no part of the draft.
                change = publish(target, request.user, reason)
                if change.decision == Decision.APPROVED:
                    messages.success(request, f"“{target}” is published: practitioners see it.")
                    continue
            else:
                change = submit(target, proposed, user=request.user, reason=reason, kind=kind)
            changes.append(change)
        if not changes:
            return response
        request._pending_changes = changes
        if request.path.endswith("/change/") or request.path.endswith("/add/"):
            if "_continue" in request.POST and changes[-1].object_id is not None:
                messages.info(request, pending_message(changes[-1]))
                return response
            messages.success(request, pending_message(changes[-1]))
            return HttpResponseRedirect(pending_url(changes[-1]))
        return response

    def changelist_view(self, request, extra_context=None):
        response = self._submit_proposals(request, super().changelist_view(request, extra_context))
        pending = getattr(request, "_pending_changes", None)
        if pending:
            messages.info(
                request,
                f"{len(pending)} of these changes affect content practitioners see: they wait "
                "for a publisher's approval before practitioners see them.",
            )
        return response

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = getattr(request, "_live_before", None) or type(obj).objects.get(pk=obj.pk)
        if needs_approval(before, obj):
            request._proposal = (before, transaction.savepoint_create())
        obj._change_reason = form.cleaned_data.get("change_reason") or None
        if parts_of(self.model):
            obj.skip_history_when_saving = True
            try:
                super().save_model(request, obj, form, change)
            finally:
                del obj.skip_history_when_saving
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        proposal = getattr(request, "_proposal", None)
        if proposal is not None:
            del request._proposal
            before, savepoint = proposal
            status = getattr(form.instance, "status", None)
            proposed = state_of(form.instance)
            transaction.savepoint_rollback(savepoint)
            if before is None:
                target, kind = self.model, ChangeKind.CREATE
                proposed = with_status(proposed, status)
            else:
                target, kind = before, ChangeKind.CHANGE
                if status is not None and status != before.status:
                    proposed = with_status(proposed, status)
                    kind = ChangeKind.PUBLISH if status == "published" else ChangeKind.UNPUBLISH
                pending = pending_change_of(before)
                if proposed == (pending.proposed if pending else state_of(before)):
                    return  # saved as it was: nothing new to approve
            reason = form.cleaned_data.get("change_reason") or ""
            request._proposals = [
                *getattr(request, "_proposals", []),
                (target, proposed, reason, kind),
            ]
            return
        if parts_of(self.model):
            form.instance._history_user = request.user
            record_version(form.instance, created=not change)

    def message_user(self, request, message, *args, **kwargs):
        # Django's "… was changed successfully" would be untrue for a change that waits, or
        # a deletion refused.
        if getattr(request, "_proposals", None) or getattr(request, "_refused", False):
            return None
        return super().message_user(request, message, *args, **kwargs)

    def log_addition(self, request, obj, message):
        if getattr(request, "_proposals", None):
            return None  # nothing was added: the pending change records the proposal
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if getattr(request, "_proposals", None):
            return None
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        if getattr(request, "_proposals", None):
            return None  # nothing was deleted yet: the pending change records the proposal
        return super().log_deletions(request, queryset)

    # Deleting: drafts go at once; guarded content waits for approval like any change.

    def delete_model(self, request, obj):
        try:
            check_references(obj, deleting=True)
        except ValidationError as error:
            request._refused = True
            messages.error(request, f"“{obj}” was not deleted: {error_text(error)}")
            return
        if is_guarded(obj) or pending_change_of(obj) is not None:
            _keep_proposal(request, obj, state_of(obj), "", ChangeKind.DELETE)
            return
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        proposals = getattr(request, "_proposals", None)
        if not proposals:
            return response
        del request._proposals
        change = submit(*proposals[0][:2], user=request.user, kind=ChangeKind.DELETE)
        messages.success(request, pending_message(change))
        return HttpResponseRedirect(pending_url(change))

    def response_action(self, request, queryset, **kwargs):
        response = super().response_action(request, queryset, **kwargs)
        proposals = getattr(request, "_proposals", None)
        if proposals:
            del request._proposals
            for target, proposed, reason, kind in proposals:
                submit(target, proposed, user=request.user, reason=reason, kind=kind)
            messages.success(
                request,
                f"{len(proposals)} deletion(s) of content practitioners see wait for a "
                "publisher's approval.",
            )
        return response

    # Moving a part (an intervention, a reading note) up or down: a plain POST, from buttons
    # that work without JavaScript. Guarded content gets a pending change, like any edit; a
    # further move updates it.

    def get_urls(self):
        opts = self.model._meta
        move = path(
            "<path:object_id>/move/<str:part>/<int:part_id>/<str:direction>/",
            self.admin_site.admin_view(self.move_view),
            name=f"{opts.app_label}_{opts.model_name}_move",
        )
        return [move, *super().get_urls()]

    def move_view(self, request, object_id, part, part_id, direction):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = get_object_or_404(self.model, pk=object_id)
        if part not in parts_of(self.model) or direction not in (UP, DOWN):
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        relation = self.model._meta.get_field(part)
        if relation.many_to_many:
            raise Http404("Links have no order to move them in.")
        slot = slot_field(relation)
        pending = pending_change_of(obj)
        state = copy.deepcopy(pending.proposed) if pending is not None else state_of(obj)
        rows = state["parts"].get(part, [])
        if not any(row["id"] == part_id for row in rows):
            raise Http404
        state["parts"][part] = moved(rows, slot, part_id, direction)
        label = relation.related_model._meta.verbose_name
        reason = f"Moved {label} {direction}"
        change_url = reverse(
            f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change",
            args=[obj.pk],
        )
        if needs_approval(obj, obj):
            pending = submit(obj, state, user=request.user, reason=reason)
            messages.success(request, pending_message(pending))
            return HttpResponseRedirect(change_url)
        with transaction.atomic():
            restore_parts(obj, {part: state["parts"][part]}, reason, user=request.user)
            obj._history_user = request.user
            obj._change_reason = reason
            record_version(obj)
        messages.success(request, f"{capfirst(label)} moved {direction}.")
        return HttpResponseRedirect(change_url)

    @admin.display(description="Approval")
    def approved(self, record) -> str:
        change = record.approval
        if change is None:
            return "—"
        when = date_format(timezone.localtime(change.decided_at), "j M Y, H:i")
        text = f"Proposed by {change.proposed_by}; approved by {change.decided_by}, {when}"
        return f"{text}: “{change.comment}”" if change.comment else text

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data.get("change_reason") or None
        parts = formset.save(commit=False)
        slot = getattr(formset, "slot_field", None)
        if slot is not None:
            # A new part without a place goes after every other part (kept or new).
            taken = {getattr(p, slot) for p in parts if getattr(p, slot) is not None}
            taken |= set(
                formset.get_queryset()
                .exclude(pk__in=[p.pk for p in formset.deleted_objects])
                .values_list(slot, flat=True)
            )
            for part in parts:
                if getattr(part, slot) is None:
                    setattr(part, slot, next_place(taken))
                    taken.add(getattr(part, slot))
        for part in parts:
            part._change_reason = reason
            part.save()
        for part in formset.deleted_objects:
            part._change_reason = reason
            part.delete()
        formset.save_m2m()

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", WholeConstraintsForm)
        return super().get_changelist_form(request, **kwargs)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            # Django would also ask for permission to delete the entries that block the
            # deletion; they are not going to be deleted, so the real reason is the one to show.
            perms_needed = set()
        return to_delete, model_count, perms_needed, protected

    def render_delete_form(self, request, context):
        if context.get("protected"):
            name = context["object_name"]
            messages.error(
                request,
                f"This {name} cannot be deleted because entries use it. Give those entries "
                f"another {name} first (they are listed below), then delete it.",
            )
        return super().render_delete_form(request, context)

    # History: the readable diff and the version page.

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # As simple-history does, minus its select_related() with no fields for models
        # without foreign keys, which Django 6.1 deprecates.
        related = [f.name for f in self.model._meta.concrete_fields if f.is_relation]
        records = history_manager.filter(**{pk_name: object_id})
        approval = ["approval__proposed_by", "approval__decided_by"]
        return records.select_related("history_user", *approval, *related)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistoryHelper(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        records = list(historical_records)
        for newer, older in zip(records, records[1:], strict=False):
            extra = parts_changes(
                self.model, getattr(older, "parts", None), getattr(newer, "parts", None)
            )
            for item in extra:
                item["old"], item["new"] = word_diff(item["old"], item["new"])
            if extra:
                newer.history_delta_changes = [*getattr(newer, "history_delta_changes", []), *extra]

    def may_publish(self, request) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One version, read-only, with what reverting to it will do; POST reverts."""
        request.current_app = self.admin_site.name
        pk_name = self.model._meta.pk.attname
        # The URL takes any text for both ids; one that is not an id names no version.
        try:
            self.model._meta.pk.to_python(object_id)
            self.model.history.model._meta.pk.to_python(version_id)
        except ValidationError as error:
            raise Http404("No such version.") from error
        record = get_object_or_404(
            self.model.history.all(), **{pk_name: object_id, "history_id": version_id}
        )
        current = self.model.objects.filter(pk=record.instance.pk).first()
        if not self.has_view_history_or_change_history_permission(request, current or record):
            raise PermissionDenied
        may_revert = (
            self.has_change_permission(request, current)
            if current is not None
            else self.has_add_permission(request)
        )
        opts = self.model._meta
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
        history_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[object_id])
        if request.method == "POST":
            if not may_revert:
                raise PermissionDenied
            return self._revert(request, record, current)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{capfirst(opts.verbose_name)}: {describe_version(record)}",
            "opts": opts,
            "record": record,
            "object": current or record.instance,
            "fields": self._version_fields(record),
            "parts": self._version_parts(record),
            "may_revert": may_revert,
            "keeps_status": hasattr(record, "status"),
            "change_url": change_url if current is not None else None,
            "history_url": history_url,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/pathways/version.html", context)

    def _revert(self, request, record, current):
        reason = request.POST.get("change_reason", "").strip() or None
        if revert_needs_approval(record, current):
            try:
                pending = propose_revert(
                    record,
                    current,
                    user=request.user,
                    reason=reason or f"Reverted to {describe_version(record)}",
                )
            except ValidationError as error:
                problems = error_text(error)
                messages.error(
                    request, f"Could not revert to {describe_version(record)}: {problems}"
                )
                return HttpResponseRedirect(request.path)
            messages.success(request, pending_message(pending))
            return HttpResponseRedirect(pending_url(pending))
        try:
            obj = revert(record, user=request.user, reason=reason, may_publish=False)
        except ValidationError as error:
            problems = error_text(error)
            messages.error(request, f"Could not revert to {describe_version(record)}: {problems}")
            return HttpResponseRedirect(request.path)
        message = f"“{obj}” is back to {describe_version(record)}."
        if hasattr(obj, "status") and record.status != obj.status:
            message += f" Its status stays {obj.get_status_display()}: only publishers change it."
        messages.success(request, message)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )

    def _version_fields(self, record) -> list[tuple[str, str]]:
        rows = []
        for field in self.model._meta.concrete_fields:
            if field.primary_key or not field.editable:  # derived, e.g. the search vector
                continue
            if field.is_relation:
                try:
                    value = getattr(record, field.name)
                except field.related_model.DoesNotExist:
                    value = f"(deleted, was #{getattr(record, field.attname)})"
            elif field.choices:
                value = getattr(record, f"get_{field.name}_display")()
            else:
                value = getattr(record, field.attname)
            if value is None or value == "":
                value = "—"
            elif isinstance(value, bool):
                value = "Yes" if value else "No"
            rows.append((capfirst(field.verbose_name), str(value)))
        return rows

    def _version_parts(self, record) -> list[tuple[str, list[str]]]:
        shown = []
        for name in parts_of(self.model):
            relation = self.model._meta.get_field(name)
            rows = (getattr(record, "parts", None) or {}).get(name, [])
            if relation.many_to_many:
                # By each one's own name (a pathway's title, an entry's, a tag's).
                names = {
                    related.pk: str(related)
                    for related in relation.related_model.objects.filter(pk__in=rows)
                }
                lines = [names.get(pk, f"#{pk} (deleted)") for pk in rows]
                shown.append((capfirst(relation.verbose_name), lines))
            else:
                label = capfirst(relation.related_model._meta.verbose_name_plural)
                lines = [
                    " / ".join(str(value) for key, value in row.items() if key != "id" and value)
                    for row in rows
                ]
                shown.append((label, lines))
        return shown
