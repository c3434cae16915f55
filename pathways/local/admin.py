"""The admin pages for areas, their local services and notes, and who is scoped to which
area. Local staff see only their areas' rows (`AreaScopedAdmin`); their changes go through
the same gate as national content, decided by a publisher of the area (publishing.may_decide).
"""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import path
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from ..editing.admin.publishing import PublishableAdmin
from ..models import Entry, Service, Tag
from ..publishing import Status
from .directory_admin import directory_download_view, directory_import_view
from .models import Area, AreaMembership, LocalNote, LocalService
from .scoping import areas_for, may_publish_in, may_touch


class AreaFilter(admin.RelatedFieldListFilter):
    """By area: the areas the visitor works in, never the names of others'."""

    def field_choices(self, field, request, model_admin):
        areas = areas_for(request.user)
        queryset = Area.objects.all() if areas is None else Area.objects.filter(pk__in=areas)
        return [(area.pk, str(area)) for area in queryset]


class OverdueFilter(admin.SimpleListFilter):
    """Services whose details are overdue for checking (LocalService.objects.overdue)."""

    title = "checking"
    parameter_name = "checking"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue for checking")]

    def queryset(self, request, queryset):
        return queryset.overdue() if self.value() == "overdue" else queryset


def entry_label(entry: Entry) -> str:
    """An entry as a local editor chooses it: several share a rationale and a band, so its
    pathway, number, service and first intervention tell them apart."""
    first = next(iter(entry.interventions.all()), None)
    said = f"{entry.pathway.title} #{entry.number}: {entry} — {entry.service}"
    if first is not None:
        said += f" — “{Truncator(first.text).chars(60)}”"
    return said


class EntryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return entry_label(obj)


class EntriesChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return entry_label(obj)


def entry_choices(request, field: str):
    """Published entries, and those the object already names (an entry unpublished since is
    kept, so saving a service or note never drops its link unseen). A local editor never
    learns of a national draft otherwise."""
    chosen = _chosen_entries(request, field)
    return (
        Entry.objects.filter(Q(pk__in=Entry.objects.published().values("pk")) | Q(pk__in=chosen))
        .select_related("pathway", "service", "age_band")
        .prefetch_related("interventions")
        .order_by("pathway__title", "number")
    )


def _chosen_entries(request, field: str) -> list[int]:
    match = request.resolver_match
    object_id = match.kwargs.get("object_id") if match else None
    model = LocalNote if field == "entry" else LocalService
    if not object_id or not str(object_id).isdigit():
        return []
    if field == "entry":
        return list(model.objects.filter(pk=object_id).values_list("entry_id", flat=True))
    return list(
        model.serves_entries.through.objects.filter(localservice_id=object_id).values_list(
            "entry_id", flat=True
        )
    )


class AreaScopedAdmin(PublishableAdmin):
    """Local services and notes: a local editor sees, and changes, only their areas' rows.
    Every view that names an object (change, delete, history, a version, revert, move) answers
    404 for another area's, whether the object is live or known only from its history."""

    list_filter = [("area", AreaFilter), "status"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("area")
        areas = areas_for(request.user)
        return queryset if areas is None else queryset.filter(area__in=areas)

    def _may(self, request, obj) -> bool:
        # On `area_id`, so a historical instance (simple-history's) is checked as a live one.
        return obj is None or may_touch(request.user, obj.area_id)

    def _refuse_other_areas(self, request, object_id, version_id=None) -> None:
        """404 when the object, live or as its history recorded it, is in an area `request`'s
        user does not touch. (An object that never existed is left to Django's own answer.)"""
        history = self.model.history
        try:
            pk = self.model._meta.pk.to_python(unquote(str(object_id)))
            if version_id is not None:
                history.model._meta.pk.to_python(version_id)
        except ValidationError as error:
            raise Http404("No such object.") from error
        areas = set(self.model.objects.filter(pk=pk).values_list("area_id", flat=True))
        areas |= set(history.filter(id=pk).values_list("area_id", flat=True).distinct())
        if version_id is not None:
            areas |= set(history.filter(history_id=version_id).values_list("area_id", flat=True))
        if any(not may_touch(request.user, area_id) for area_id in areas):
            raise Http404("No such object.")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None:
            self._refuse_other_areas(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._refuse_other_areas(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_other_areas(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Before anything: a version of another area's object (a deleted one's too, whose
        # revert would otherwise be checked only as an addition) is not there.
        self._refuse_other_areas(request, object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def move_view(self, request, object_id, part, part_id, direction):
        self._refuse_other_areas(request, object_id)
        return super().move_view(request, object_id, part, part_id, direction)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not (super().has_delete_permission(request, obj) and self._may(request, obj)):
            return False
        # Deleting published content is unpublishing it: a publisher of its area only.
        published = obj is not None and obj.status == Status.PUBLISHED
        return not published or may_publish_in(request.user, obj.area_id)

    def may_publish(self, request) -> bool:
        """Whether the Publish actions are offered: a publisher of at least one of the areas
        (each object is checked again by its own area in `_set_status`)."""
        if not super().may_publish(request):
            return False
        areas = areas_for(request.user)
        return areas is None or any(may_publish_in(request.user, a["area"]) for a in areas)

    def _publishes_everywhere(self, request) -> bool:
        areas = areas_for(request.user)
        if areas is None:
            return super().may_publish(request)
        return all(may_publish_in(request.user, a["area"]) for a in areas)

    def _set_status(self, request, queryset, status, gate):
        refused = [obj for obj in queryset if not may_publish_in(request.user, obj.area_id)]
        for obj in refused:
            self.message_user(
                request,
                f"“{obj}”: only a publisher for {obj.area} publishes or unpublishes it.",
                messages.ERROR,
            )
        allowed = queryset.exclude(pk__in=[obj.pk for obj in refused])
        super()._set_status(request, allowed, status, gate)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            areas = areas_for(request.user)
            queryset = Area.objects.all()
            kwargs["queryset"] = queryset if areas is None else queryset.filter(pk__in=areas)
        if db_field.name == "entry":
            kwargs["queryset"] = entry_choices(request, "entry")
            kwargs["form_class"] = EntryChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Published choices only: a local editor never learns of a national draft.
        choices = {
            "serves_services": Service.objects.in_published_entries(),
            "serves_tags": Tag.objects.in_published_entries(),
        }
        if db_field.name in choices:
            kwargs["queryset"] = choices[db_field.name]
        if db_field.name == "serves_entries":
            kwargs["queryset"] = entry_choices(request, "serves_entries")
            kwargs["form_class"] = EntriesChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk:
            readonly.append("area")
        # Status: a publisher of the object's area (of every area they may add to, for a new
        # one) sets it; for anyone else it shows, read-only.
        if obj is not None and obj.pk:
            publishes = may_publish_in(request.user, obj.area_id)
        else:
            publishes = self._publishes_everywhere(request)
        if not publishes and "status" not in readonly:
            readonly.append("status")
        return readonly

    def save_model(self, request, obj, form, change):
        if not may_touch(request.user, obj.area_id):
            raise PermissionDenied("That area is not yours to edit.")
        stored = type(obj).objects.filter(pk=obj.pk).values_list("status", flat=True).first()
        if obj.status != (stored or Status.DRAFT) and not may_publish_in(request.user, obj.area_id):
            raise PermissionDenied(f"Only a publisher for {obj.area} publishes or unpublishes.")
        super().save_model(request, obj, form, change)


@admin.register(Area)
class AreaAdmin(PublishableAdmin):
    """Areas are set up by national editors and published by national publishers."""

    list_display = ["name", "slug", "kind", "status"]
    list_filter = ["status", "kind"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "kind", "position", "status", "change_reason"]

    def get_queryset(self, request):
        areas = areas_for(request.user)
        queryset = super().get_queryset(request)
        return queryset if areas is None else queryset.filter(pk__in=areas)

    def has_view_permission(self, request, obj=None):
        # `id`, not `pk`: a historical record's pk is its history id.
        mine = obj is None or may_touch(request.user, obj.id)
        return mine and super().has_view_permission(request, obj)


@admin.register(LocalService)
class LocalServiceAdmin(AreaScopedAdmin):
    list_filter = [*AreaScopedAdmin.list_filter, OverdueFilter]
    list_display = ["name", "area", "status", "next_verification_due", "is_example"]
    search_fields = ["name", "offers"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = []
    fieldsets = [
        (None, {"fields": ["area", "name", "slug", "offers", "is_example", "status"]}),
        ("What it serves", {"fields": ["serves_entries", "serves_services", "serves_tags"]}),
        (
            "How to refer",
            {
                "fields": [
                    "referral_route",
                    "referral_form_url",
                    "referral_phone",
                    "referral_email",
                    "who_may_refer",
                    "eligibility",
                ]
            },
        ),
        ("Contact", {"fields": ["hours", "address", "web_url"]}),
        ("Checking", {"fields": ["last_verified", "next_verification_due"]}),
        (None, {"fields": ["change_reason"]}),
    ]

    def get_urls(self):
        # The directory as a spreadsheet: import (preview, then propose) and download.
        view = self.admin_site.admin_view
        return [
            path(
                "import/",
                view(partial(directory_import_view, model_admin=self)),
                name="pathways_localservice_import",
            ),
            path(
                "download/",
                view(partial(directory_download_view, model_admin=self)),
                name="pathways_localservice_download",
            ),
            *super().get_urls(),
        ]


@admin.register(LocalNote)
class LocalNoteAdmin(AreaScopedAdmin):
    list_display = ["__str__", "area", "status"]
    fields = ["area", "entry", "text", "status", "change_reason"]


@admin.register(AreaMembership)
class AreaMembershipAdmin(SimpleHistoryAdmin):
    """Who is scoped to which area: superusers only (it decides what people may touch)."""

    list_display = ["user", "area", "role"]
    list_filter = ["area", "role"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
