"""The editors' admin: every piece of pathway content editable, entries with their
interventions inline, lists filterable and searchable as editors think of them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

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
    Tag,
)


class ReadingNoteInline(admin.TabularInline):
    model = ReadingNote
    extra = 0
    ordering = ["position"]


@admin.register(Pathway)
class PathwayAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "position", "policy_context"]
    list_editable = ["position"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["related_pathways"]
    inlines = [ReadingNoteInline]


class InterventionInline(admin.StackedInline):
    model = Intervention
    extra = 0
    ordering = ["position"]
    fields = ["position", "text", "bullets"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["position", "rationale", "stage", "age_band", "tag", "service", "pathway"]
    list_display_links = ["rationale"]
    list_editable = ["position"]
    list_filter = ["pathway", "stage", "service", "tag", "age_band"]
    list_select_related = ["pathway", "stage", "age_band", "tag", "service"]
    search_fields = ["rationale", "criteria", "interventions__text", "interventions__bullets"]
    ordering = ["pathway", "stage__position", "position"]
    fields = ["pathway", "position", "stage", "age_band", "tag", "rationale", "service", "criteria"]
    inlines = [InterventionInline]


class AgeRangeAdmin(admin.ModelAdmin):
    list_display = ["label", "slug", "start_days", "end_days", "position"]
    list_editable = ["position"]
    search_fields = ["label"]
    prepopulated_fields = {"slug": ["label"]}


admin.site.register(Stage, AgeRangeAdmin)
admin.site.register(AgeBand, AgeRangeAdmin)


@admin.register(Service, Tag)
class NamedAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class DocumentSectionInline(admin.StackedInline):
    model = DocumentSection
    extra = 0
    ordering = ["number"]


@admin.register(ContextDocument)
class ContextDocumentAdmin(admin.ModelAdmin):
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
