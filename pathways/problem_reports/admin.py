"""Readers' problem reports in the admin, for editors to work through."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from ..editing.admin.forms import LabelledRowsForm
from .models import ProblemReport


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

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", LabelledRowsForm)
        return super().get_changelist_form(request, **kwargs)

    def has_add_permission(self, request):
        # Reports come from readers through the public form, never from the admin.
        return False

    @admin.display(description="what is wrong")
    def summary(self, report: ProblemReport) -> str:
        return Truncator(report.text).words(20)

    @admin.display(description="entry", ordering="entry__position")
    def entry_link(self, report: ProblemReport) -> str:
        entry = report.entry
        url = f"{entry.pathway.get_absolute_url()}#entry-{entry.number}"
        return format_html('<a href="{}">{}</a>', url, Truncator(entry.rationale).words(12))

    @admin.display(description="edit the entry")
    def entry_admin_link(self, report: ProblemReport) -> str:
        url = reverse("admin:pathways_entry_change", args=[report.entry_id])
        return format_html('<a href="{}">Change entry {}</a>', url, report.entry.number)
