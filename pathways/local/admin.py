"""The admin pages for areas, their local services and notes, and who is scoped to which
area. Local staff see only their areas' rows (`AreaScopedAdmin`); their changes go through
the same gate as national content, decided by a publisher of the area (publishing.may_decide).
"""

from __future__ import annotations

from functools import partial

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path
from simple_history.admin import SimpleHistoryAdmin

from ..editing.admin.publishing import PublishableAdmin
from ..models import Entry, Service, Tag
from .directory_admin import directory_download_view, directory_import_view
from .models import Area, AreaMembership, LocalNote, LocalService
from .scoping import areas_for, may_publish_in, may_touch


class AreaScopedAdmin(PublishableAdmin):
    """Local services and notes: a local editor sees, and changes, only their areas' rows."""

    list_filter = ["area", "status"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("area")
        areas = areas_for(request.user)
        return queryset if areas is None else queryset.filter(area__in=areas)

    def _may(self, request, obj) -> bool:
        return obj is None or may_touch(request.user, obj.area_id)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may(request, obj)

    def may_publish(self, request) -> bool:
        if not super().may_publish(request):
            return False
        areas = areas_for(request.user)
        return areas is None or any(may_publish_in(request.user, a["area"]) for a in areas)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            areas = areas_for(request.user)
            queryset = Area.objects.all()
            kwargs["queryset"] = queryset if areas is None else queryset.filter(pk__in=areas)
        if db_field.name == "entry":
            kwargs["queryset"] = Entry.objects.published().select_related("pathway")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Published choices only: a local editor never learns of a national draft.
        choices = {
            "serves_entries": Entry.objects.published().select_related("pathway"),
            "serves_services": Service.objects.in_published_entries(),
            "serves_tags": Tag.objects.in_published_entries(),
        }
        if db_field.name in choices:
            kwargs["queryset"] = choices[db_field.name]
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk:
            readonly.append("area")
        return readonly

    def save_model(self, request, obj, form, change):
        if not may_touch(request.user, obj.area_id):
            raise PermissionDenied("That area is not yours to edit.")
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


@admin.register(LocalService)
class LocalServiceAdmin(AreaScopedAdmin):
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
