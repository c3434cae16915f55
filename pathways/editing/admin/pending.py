"""Pending changes in the admin: the list of what waits for approval, and each change as a
word diff against the approved version, with Approve and Reject (and a comment) for
publishers. Nobody approves their own change."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.text import capfirst

from ...errors import error_text
from ...history import parts_changes
from ...local.models import Area, LocalNote, LocalService
from ...local.reading import AREA
from ...publishing import ChangeKind, Decision, PendingChange, Status, content_fields, may_decide
from ..importing import import_rows, page_from_json, preview_cards
from ..page_text import PageTextError
from ..textdiff import word_diff
from .waiting import ContentModelFilter, DecisionFilter, ProposerFilter, approval_notice_view


def _shown(field, value) -> str:
    """A stored field value as an editor reads it: a related object's name, not its id."""
    if value in (None, ""):
        return ""
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related is not None else f"#{value} (deleted)"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def change_rows(change: PendingChange) -> list[dict]:
    """What the change changes, field by field and part by part, as word diffs."""
    rows = []
    base, proposed = change.base, change.proposed
    if change.kind == ChangeKind.DELETE:
        return [{"field": "Whole content", "old": str(change.object_repr), "new": "(deleted)"}]
    if change.kind == ChangeKind.IMPORT:
        return import_rows(change)
    if "status" in proposed:
        rows.append({"field": "Status", "old": "", "new": proposed["status"].capitalize()})
    for field in content_fields(change.model):
        old = base["fields"].get(field.attname)
        new = proposed["fields"].get(field.attname)
        if old != new:
            before, after = word_diff(_shown(field, old), _shown(field, new))
            rows.append({"field": capfirst(field.verbose_name), "old": before, "new": after})
    old_parts = base["parts"] or {name: [] for name in proposed["parts"]}
    for item in parts_changes(change.model, old_parts, proposed["parts"]):
        before, after = word_diff(item["old"], item["new"])
        rows.append({"field": item["field"], "old": before, "new": after})
    return rows


@admin.register(PendingChange)
class PendingChangeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "proposed_by", "proposed_at", "decision", "decided_by"]
    # Waiting changes first (DecisionFilter defaults to them); content types by name.
    list_filter = [DecisionFilter, ProposerFilter, "kind", ("content_type", ContentModelFilter)]
    list_select_related = ["proposed_by", "decided_by", "content_type"]
    search_fields = ["object_repr", "reason", "comment"]

    def has_add_permission(self, request):
        return False  # proposed by saving content, never written by hand

    def has_change_permission(self, request, obj=None):
        return False  # decided through approve / reject, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # the record of who approved what stays

    def get_urls(self):
        notifications = path(
            "notifications/",
            self.admin_site.admin_view(partial(approval_notice_view, admin_site=self.admin_site)),
            name="pathways_pendingchange_notifications",
        )
        return [notifications, *super().get_urls()]

    def get_queryset(self, request):
        # Local staff see their areas' changes only: another area's is not there (404).
        queryset = PendingChange.objects.for_user(request.user)
        return queryset.select_related("proposed_by", "decided_by", "content_type")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, change):
            raise PermissionDenied
        if request.method == "POST":
            return self._decide(request, change)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        live = change.content
        opts = change.model._meta
        is_pending = change.decision == Decision.PENDING
        authors = change.authors() if is_pending else set()
        own = request.user.pk in authors
        proposed_it = change.proposers.filter(pk=request.user.pk).exists()
        context = {
            **self.admin_site.each_context(request),
            "title": f"{change}: {change.get_decision_display().lower()}",
            "opts": self.model._meta,
            "change": change,
            "rows": change_rows(change),
            "live": live,
            "live_admin_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[change.object_id]
            )
            if live is not None
            else None,
            "public_url": _public_url(live),
            "may_approve": is_pending and may_decide(request.user, change) and not own,
            "may_reject": is_pending and may_decide(request.user, change),
            "may_withdraw": is_pending and proposed_it,
            "own": own,
            "proposers": list(change.proposers.all()),
            "cards": _import_preview(change) if is_pending else None,
        }
        return TemplateResponse(request, "admin/pathways/pending_change.html", context)

    def _decide(self, request, change):
        decision = request.POST.get("decision")
        comment = request.POST.get("comment", "").strip()
        if decision != "withdraw" and not may_decide(request.user, change):
            raise PermissionDenied
        try:
            if decision == "withdraw":
                change.reject(request.user, comment, withdraw=True)
                messages.success(request, f"Withdrawn: “{change.object_repr}” stays as approved.")
            elif decision == "approve":
                change.approve(request.user, comment)
                messages.success(
                    request, f"Approved: practitioners now see “{change.object_repr}” as changed."
                )
            elif decision == "reject":
                change.reject(request.user, comment)
                messages.success(request, f"Rejected: “{change.object_repr}” stays as approved.")
            else:
                messages.error(request, "Choose Approve or Reject.")
        except ValidationError as error:
            messages.error(request, f"Could not {decision} this change: {error_text(error)}")
        # Back on the change, at its message (templates/admin/base_site.html), which takes
        # the focus: what the decision did is what is read first. (Without a fragment of its
        # own the page would open at the one the form's page had, such as the skip link's.)
        return HttpResponseRedirect(f"{request.path}#messages")


def _import_preview(change: PendingChange) -> list[str] | None:
    """A pending import's entries as practitioners will see them, or None for other kinds
    (and for an import that no longer applies: its approval says why)."""
    if change.kind != ChangeKind.IMPORT:
        return None
    page = page_from_json(change.proposed["page"])
    try:
        return preview_cards(page, change.proposed["slug"], change.proposed["links"])
    except (ValidationError, PageTextError):
        return None


def _public_url(obj) -> str | None:
    """Where practitioners read the content: the pathway page, at the entry's card; for an
    area's content, its place in the area (only once readers see it: local staff do not
    preview drafts)."""
    if obj is None:
        return None
    if isinstance(obj, Area | LocalService | LocalNote):
        return _local_public_url(obj)
    pathway = getattr(obj, "pathway", None)
    if pathway is not None and hasattr(obj, "number"):
        return f"{pathway.get_absolute_url()}#entry-{obj.number}"
    if hasattr(obj, "get_absolute_url"):
        return obj.get_absolute_url()
    return None


def _local_public_url(obj) -> str | None:
    """An area's directory page (at a service), or the pathway page in the area (at the entry
    a note is on); None while the object or its area is a draft."""
    area = getattr(obj, "area", obj)
    if obj.status != Status.PUBLISHED or area.status != Status.PUBLISHED:
        return None
    directory = reverse("pathways:area_directory", args=[area.slug])
    if isinstance(obj, LocalNote):
        entry = obj.entry
        query = urlencode({AREA: area.slug})
        return f"{entry.pathway.get_absolute_url()}?{query}#entry-{entry.number}"
    if isinstance(obj, LocalService):
        return f"{directory}#service-{obj.slug}"
    return directory
