"""The admin pages for each kind of pathway content: pathways with their reading notes,
entries ("rationales") with their interventions, stages, age bands, services, tags and the
policy documents with their sections."""

from __future__ import annotations

import copy
from bisect import bisect_left
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, Max, Value, When
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from ...models import (
    AgeBand,
    ContextDocument,
    DocumentSection,
    Entry,
    GlossaryTerm,
    Intervention,
    Pathway,
    ReadingNote,
    Service,
    Stage,
    Tag,
)
from ...publishing import (
    is_guarded,
    needs_approval,
    overdue_condition,
    pending_change_of,
    state_of,
    submit,
)
from ..ordering import DOWN, UP, neighbour, swap_places
from .document_import import document_import_view
from .forms import TEXT_FIELDS
from .importing import import_text_view
from .publishing import PublishableAdmin
from .versions import ContentAdmin, pending_message


class OrderedInline:
    """Parts kept in order by Move up / Move down buttons (plain form posts, no JavaScript
    needed), not by typed positions: a new part goes last, and two parts never claim the
    same place. `part` names the parent's relation to these parts."""

    part: str
    readonly_fields = ["move"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "position":
            return forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.slot_field = "position"
        return formset

    def places(self, model, fk: str, parent_id) -> list:
        """The parent's parts in order (their keys), read once for all the rows of the form
        (an inline is made afresh for each request)."""
        read = self.__dict__.setdefault("_places", {})
        if parent_id not in read:
            parts = model.objects.filter(**{fk: parent_id}).order_by("position")
            read[parent_id] = list(parts.values_list("pk", flat=True))
        return read[parent_id]

    @admin.display(description="Order")
    def move(self, part):
        """Move up and Move down, each named after the part it moves ("Move up intervention
        2: Mental health admisisons…"); the first part's Move up and the last's Move down
        are disabled. The visible words start the name, as speech input expects."""
        if part.pk is None:
            return "Goes last"
        parent_opts = self.parent_model._meta
        name = f"admin:{parent_opts.app_label}_{parent_opts.model_name}_move"
        fk = self.fk_field_name()
        parent_id = getattr(part, part._meta.get_field(fk).attname)
        places = self.places(type(part), fk, parent_id)
        place = places.index(part.pk) if part.pk in places else None
        named = f"{part._meta.verbose_name} {'' if place is None else place + 1}".strip()
        named = f"{named}: {Truncator(part.text).chars(40)}"
        ends = {"up": place == 0, "down": place == len(places) - 1}
        buttons = [
            format_html(
                '<button type="submit" class="button move-button" formaction="{}" '
                'formmethod="post" formnovalidate{}>{}<span class="visually-hidden"> {}</span>'
                "</button>",
                reverse(name, args=[parent_id, self.part, part.pk, direction]),
                " disabled" if ends[direction] else "",
                words,
                named,
            )
            for direction, words in (("up", "Move up"), ("down", "Move down"))
        ]
        return format_html(
            "{} {}<br><small>Save other edits first: moving does not save them.</small>",
            *buttons,
        )

    def fk_field_name(self) -> str:
        return next(
            f.name
            for f in self.model._meta.concrete_fields
            if f.is_relation and f.related_model is self.parent_model
        )


class ReadingNoteInline(OrderedInline, admin.TabularInline):
    model = ReadingNote
    part = "reading_notes"
    formfield_overrides = TEXT_FIELDS
    extra = 0
    ordering = ["position"]
    fields = ["position", "text", "is_bullet", "move"]


@admin.register(Pathway)
class PathwayAdmin(PublishableAdmin):
    list_display = ["title", "status", "review", "reviewed_by", "position", "policy_context"]
    list_editable = ["position"]
    list_filter = ["status"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
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

    def get_urls(self):
        importing = path(
            "import-text/",
            self.admin_site.admin_view(partial(import_text_view, admin_site=self.admin_site)),
            name="pathways_pathway_import_text",
        )
        return [importing, *super().get_urls()]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Tick boxes, each named by its pathway: the few pathways fit, and Django's two-box
        # picker builds an unnamed search icon (aria-label on a plain span) in JavaScript.
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_ordering(self, request):
        # Overdue reviews first, the most overdue at the top: what an editor must act on.
        overdue = Case(
            When(overdue_condition(), then=Value(0)),
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


class InterventionInline(OrderedInline, admin.StackedInline):
    model = Intervention
    part = "interventions"
    formfield_overrides = TEXT_FIELDS
    extra = 0
    ordering = ["position"]
    fields = ["position", "text", "bullets", "move"]


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
        "repeats",
        "change_reason",
    ]
    # The list has no typed positions: its Up and Down buttons move entries, one place at a
    # time. Repeats is a plain select (named by its label, as select2's autocomplete box is
    # not): a choice of this pathway's entries, by their rationale and age band.
    inlines = [InterventionInline]
    history_list_display = ["status", "approved"]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "order"]

    @admin.display(description="Order")
    def order(self, entry):
        buttons = [
            format_html(
                '<button type="submit" class="button move-button" formaction="{}" '
                'formmethod="post" formnovalidate>{}<span class="visually-hidden"> {}</span>'
                "</button>",
                reverse("admin:pathways_entry_move_entry", args=[entry.pk, direction]),
                words,
                entry.rationale,
            )
            for direction, words in (("up", "Up"), ("down", "Down"))
        ]
        return format_html("{} {}", *buttons)

    def get_urls(self):
        move = path(
            "<path:object_id>/move-entry/<str:direction>/",
            self.admin_site.admin_view(self.move_entry_view),
            name="pathways_entry_move_entry",
        )
        return [move, *super().get_urls()]

    def move_entry_view(self, request, object_id, direction):
        """Moves an entry one place up or down in its pathway. For guarded content the move
        is (or updates) the entry's pending change; the approval shifts the entries between."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        entry = get_object_or_404(Entry, pk=object_id)
        if direction not in (UP, DOWN):
            raise Http404
        if not self.has_change_permission(request, entry):
            raise PermissionDenied
        back = (
            reverse("admin:pathways_entry_changelist") + f"?pathway__id__exact={entry.pathway_id}"
        )
        pending = pending_change_of(entry)
        state = copy.deepcopy(pending.proposed) if pending is not None else state_of(entry)
        place = state["fields"]["position"]
        others = Entry.objects.filter(pathway_id=entry.pathway_id).exclude(pk=entry.pk)
        slots = sorted([entry.position, *others.values_list("position", flat=True)])
        # The place a pending move proposes may be no entry's any more (a draft deleted since):
        # the move goes from between its neighbours.
        below = bisect_left(slots, place)
        if below < len(slots) and slots[below] == place:
            target = below - 1 if direction == UP else below + 1
        else:
            target = below - 1 if direction == UP else below
        if not 0 <= target < len(slots):
            where = "first" if direction == UP else "last"
            messages.info(request, f"“{entry.rationale}” is already {where}.")
            return HttpResponseRedirect(back)
        other = neighbour(entry, "pathway_id", "position", direction)
        if pending is not None or needs_approval(entry, entry) or is_guarded(other):
            state["fields"]["position"] = slots[target]
            reason = f"Moved {direction} in the pathway"
            pending = submit(entry, state, user=request.user, reason=reason)
            messages.success(request, pending_message(pending))
            return HttpResponseRedirect(back)
        swap_places(entry, other, "position", user=request.user)
        messages.success(request, f"“{entry.rationale}” moved {direction}.")
        return HttpResponseRedirect(back)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        repeats = form.base_fields.get("repeats")
        if repeats is not None:
            choices = repeats.queryset.select_related("age_band").order_by("pathway", "position")
            if obj is not None:
                choices = choices.filter(pathway_id=obj.pathway_id)
            repeats.queryset = choices
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "position":
            return forms.IntegerField(
                required=False,
                min_value=0,
                help_text="Leave blank to put a new entry last; reorder with the list's "
                "Up and Down buttons.",
            )
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("stage", "age_band", "tag", "service") and formfield is not None:
            # A stage, band, service or tag is shared by many entries: the entry's form must
            # not offer to delete it (Django's red ✕ beside the choice).
            formfield.widget.can_delete_related = False
        return formfield

    def save_model(self, request, obj, form, change):
        if obj.position is None:
            # A new entry goes after every entry of its pathway, in steps of ten as loaded.
            last = Entry.objects.filter(pathway_id=obj.pathway_id).aggregate(Max("position"))
            obj.position = (last["position__max"] or 0) + 10
        super().save_model(request, obj, form, change)


class AgeRangeAdmin(ContentAdmin):
    """Editors type the label; the days are worked out from it and shown, never typed."""

    list_display = ["label", "slug", "covers", "position"]
    list_editable = ["position"]
    search_fields = ["label"]
    prepopulated_fields = {"slug": ["label"]}
    fields = ["label", "slug", "covers", "position", "change_reason"]
    readonly_fields = ["covers"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "label" in form.base_fields:
            form.base_fields["label"].help_text = (
                "As the pathway prints it, e.g. “6 weeks - 1 year”. The days it covers are "
                "worked out from it: a week is 7 days, a month 30.4375, a year 365.25."
            )
        return form

    @admin.display(description="Days")
    def covers(self, age_range) -> str:
        return age_range.covers or "Worked out from the label when you save"


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

    def get_urls(self):
        import_text = path(
            "import-text/",
            self.admin_site.admin_view(partial(document_import_view, model_admin=self)),
            name="pathways_contextdocument_import_text",
        )
        return [import_text, *super().get_urls()]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(PublishableAdmin):
    """The abbreviations search expands and cards explain. A new term is a draft until a
    publisher publishes it; an editor's change to a published term waits for approval."""

    list_display = ["term", "title", "status"]
    list_filter = ["status"]
    search_fields = ["term", "expansions"]
    fields = ["term", "expansions", "status", "change_reason"]
    history_list_display = ["status", "approved"]

    @admin.display(description="Stands for")
    def title(self, term) -> str:
        return term.title
