"""The editors' admin: every piece of pathway content editable, entries with their
interventions inline, every version kept with who, when and why, a readable diff and a revert.
Editors write drafts; only publishers publish, unpublish or delete published content."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Case, F, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from .history import describe_version, parts_changes, parts_of, record_version, revert
from .models import (
    AgeBand,
    ContextDocument,
    DocumentSection,
    Entry,
    Intervention,
    Pathway,
    ProblemReport,
    ReadingNote,
    Service,
    Stage,
    Status,
    Tag,
)
from .textdiff import word_diff

CHANGE_REASON_HELP = (
    "Optional, but it helps whoever reads the history later: why this change was made, "
    "e.g. “Corrected following the 2026 clinical review”."
)


class UnixNewlinesField(forms.CharField):
    """Browsers send a textarea's line breaks as CRLF; content keeps LF, as the fixtures do,
    so saving a paragraph nobody touched does not record it as changed."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


TEXT_FIELDS = {models.TextField: {"form_class": UnixNewlinesField}}


class ContentForm(forms.ModelForm):
    """An admin form that also asks why the change is made; the reason goes in the history."""

    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=500,
        help_text=CHANGE_REASON_HELP,
        widget=forms.TextInput(attrs={"size": 80}),
    )


class WholeConstraintsForm(forms.ModelForm):
    """A changelist row form that checks every constraint of the row, including those over
    fields the list does not show: an entry's position is unique within its pathway, and a
    duplicate typed in the list must be a message, not a database error."""

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                self.instance.validate_constraints()
            except ValidationError as error:
                self._update_errors(error)


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


class ContentAdmin(SimpleHistoryAdmin):
    """History (who, when, why, what changed), a version page with a revert button, and a
    change reason on every form, for every kind of content."""

    form = ContentForm
    formfield_overrides = TEXT_FIELDS
    history_list_per_page = 50

    # Saving: one historical record per save, written after the parts (inlines, m2m) are
    # saved, so the record holds the version the editor saw when pressing Save.

    def save_model(self, request, obj, form, change):
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
        if parts_of(self.model):
            form.instance._history_user = request.user
            record_version(form.instance, created=not change)

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data.get("change_reason") or None
        for part in formset.save(commit=False):
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
        return records.select_related("history_user", *related)

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
            return self._revert(request, record, current, change_url, history_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{capfirst(opts.verbose_name)}: {describe_version(record)}",
            "opts": opts,
            "record": record,
            "object": current or record.instance,
            "fields": self._version_fields(record),
            "parts": self._version_parts(record),
            "may_revert": may_revert,
            "keeps_status": hasattr(record, "status") and not self.may_publish(request),
            "change_url": change_url if current is not None else None,
            "history_url": history_url,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/pathways/version.html", context)

    def _revert(self, request, record, current, change_url, history_url):
        reason = request.POST.get("change_reason", "").strip() or None
        try:
            obj = revert(
                record, user=request.user, reason=reason, may_publish=self.may_publish(request)
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
                for field, errors in error.message_dict.items()
            )
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
                names = dict(
                    relation.related_model.objects.filter(pk__in=rows).values_list("pk", "title")
                )
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


class PublishableAdmin(ContentAdmin):
    """Pathways and entries: editors write drafts, publishers publish and unpublish."""

    actions = ["publish", "unpublish"]

    def may_publish(self, request) -> bool:
        return request.user.has_perm(f"pathways.publish_{self.model._meta.model_name}")

    def has_publish_permission(self, request) -> bool:
        return self.may_publish(request)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if self.may_publish(request) else [*readonly, "status"]

    def has_delete_permission(self, request, obj=None):
        # Deleting published content takes it away from practitioners: that is unpublishing.
        if obj is not None and obj.status == Status.PUBLISHED and not self.may_publish(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        if not self.may_publish(request):
            # Bulk deletion cannot tell drafts from published content: publishers only.
            actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if not self.may_publish(request):
            stored = type(obj).objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if obj.status != (stored or Status.DRAFT):
                raise PermissionDenied("Only publishers can publish or unpublish.")
        super().save_model(request, obj, form, change)

    def _set_status(self, request, queryset, status, words):
        changed = 0
        for obj in queryset:
            if obj.status == status:
                continue
            obj.status = status
            obj._change_reason = words.capitalize()
            obj._history_user = request.user
            obj.save()
            changed += 1
        self.message_user(
            request, f"{changed} {words} ({queryset.count() - changed} already were)."
        )

    @admin.action(description="Publish: practitioners will see them", permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Status.PUBLISHED, "published")

    @admin.action(
        description="Unpublish: back to draft, hidden from practitioners", permissions=["publish"]
    )
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Status.DRAFT, "unpublished")


class ReadingNoteInline(admin.TabularInline):
    model = ReadingNote
    formfield_overrides = TEXT_FIELDS
    extra = 0
    ordering = ["position"]


@admin.register(Pathway)
class PathwayAdmin(PublishableAdmin):
    list_display = ["title", "status", "review", "reviewed_by", "position", "policy_context"]
    list_editable = ["position"]
    list_filter = ["status"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["related_pathways"]
    inlines = [ReadingNoteInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "status", "position"]}),
        ("Related", {"fields": ["related_pathways", "policy_context"]}),
        (
            "Clinical review",
            {
                "fields": ["last_reviewed", "next_review_due", "reviewed_by"],
                "description": "Shown on the pathway page as “Page last reviewed / Next review "
                "due”. Once the next review is due, practitioners see a warning.",
            },
        ),
        (None, {"fields": ["change_reason"]}),
    ]

    def get_ordering(self, request):
        # Overdue reviews first, the most overdue at the top: what an editor must act on.
        overdue = Case(
            When(next_review_due__lt=timezone.localdate(), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [overdue.asc(), F("next_review_due").asc(nulls_last=True), "position", "title"]

    @admin.display(description="Review", ordering="next_review_due")
    def review(self, pathway):
        if not pathway.next_review_due:
            return "No review date"
        due = date_format(pathway.next_review_due, "j M Y")
        return f"OVERDUE since {due}" if pathway.is_review_overdue else f"Due {due}"


class InterventionInline(admin.StackedInline):
    model = Intervention
    formfield_overrides = TEXT_FIELDS
    extra = 0
    ordering = ["position"]
    fields = ["position", "text", "bullets"]


@admin.register(Entry)
class EntryAdmin(PublishableAdmin):
    list_display = [
        "position",
        "rationale",
        "status",
        "stage",
        "age_band",
        "tag",
        "service",
        "pathway",
    ]
    list_display_links = ["rationale"]
    list_editable = ["position"]
    list_filter = ["status", "pathway", "stage", "service", "tag", "age_band"]
    list_select_related = ["pathway", "stage", "age_band", "tag", "service"]
    search_fields = ["rationale", "criteria", "interventions__text", "interventions__bullets"]
    ordering = ["pathway", "stage__position", "position"]
    fields = [
        "pathway",
        "position",
        "status",
        "stage",
        "age_band",
        "tag",
        "rationale",
        "service",
        "criteria",
        "change_reason",
    ]
    inlines = [InterventionInline]
    history_list_display = ["status"]


class AgeRangeAdmin(ContentAdmin):
    list_display = ["label", "slug", "start_days", "end_days", "position"]
    list_editable = ["position"]
    search_fields = ["label"]
    prepopulated_fields = {"slug": ["label"]}


admin.site.register(Stage, AgeRangeAdmin)
admin.site.register(AgeBand, AgeRangeAdmin)


@admin.register(Service, Tag)
class NamedAdmin(ContentAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class DocumentSectionInline(admin.StackedInline):
    model = DocumentSection
    formfield_overrides = TEXT_FIELDS
    extra = 0
    ordering = ["number"]


@admin.register(ContextDocument)
class ContextDocumentAdmin(ContentAdmin):
    list_display = ["title", "slug"]
    search_fields = ["title", "introduction", "sections__title", "sections__body"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [DocumentSectionInline]


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    """Readers' reports for editors to work through: filter by status, open the entry."""

    list_display = ["created_at", "status", "summary", "entry_link", "email"]
    list_display_links = ["created_at"]
    list_editable = ["status"]
    list_filter = ["status", "entry__pathway"]
    list_select_related = ["entry__pathway"]
    search_fields = ["text", "email", "entry__rationale"]
    date_hierarchy = "created_at"
    fields = ["entry_link", "entry_admin_link", "text", "email", "created_at", "status"]
    readonly_fields = ["entry_link", "entry_admin_link", "text", "email", "created_at"]

    def has_add_permission(self, request):
        # Reports come from readers through the public form, never from the admin.
        return False

    @admin.display(description="what is wrong")
    def summary(self, report: ProblemReport) -> str:
        return Truncator(report.text).words(20)

    @admin.display(description="entry", ordering="entry__position")
    def entry_link(self, report: ProblemReport) -> str:
        entry = report.entry
        url = f"{entry.pathway.get_absolute_url()}#entry-{entry.position}"
        return format_html('<a href="{}">{}</a>', url, Truncator(entry.rationale).words(12))

    @admin.display(description="edit the entry")
    def entry_admin_link(self, report: ProblemReport) -> str:
        url = reverse("admin:pathways_entry_change", args=[report.entry_id])
        return format_html('<a href="{}">Change entry {}</a>', url, report.entry.position)
