"""The directory as a spreadsheet in the admin: "Download directory" gives an area's services
(drafts too) as a CSV file for its staff; "Import directory" reads one back (uploaded or
pasted), shows per service what it would do (new, changed with a word diff per field, removed,
unchanged), and proposes those changes: one pending change per service, each decided by a
publisher of the area. The file is read again when proposed, so what is proposed is always
checked, whatever was posted."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from ..editing.admin.forms import CHANGE_REASON_HELP
from ..editing.admin.pending import change_rows
from ..editing.admin.versions import pending_url
from ..publishing import pending_change_of
from .directory import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    DirectoryError,
    directory_changes,
    propose_directory,
    read_directory,
    write_directory,
)
from .models import Area, LocalService
from .scoping import areas_for, may_touch

ORDER = {"new": 0, "changed": 1, "removed": 2, "unchanged": 3}


class DirectoryImportForm(forms.Form):
    text = forms.CharField(
        label="The directory as CSV",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90, "spellcheck": "false"}),
        help_text="Paste the file's text here, or upload the file below.",
    )
    upload = forms.FileField(
        label="Or upload the file (.csv, UTF-8)", required=False, allow_empty_file=True
    )
    change_reason = forms.CharField(
        label="Why this change is made",
        max_length=500,
        required=False,
        help_text=CHANGE_REASON_HELP,
    )

    def clean_upload(self) -> bytes | None:
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_BYTES:,} bytes.")
        return upload.read()

    def data_given(self) -> bytes:
        """The file's bytes: the upload's, else the pasted text's."""
        upload = self.cleaned_data.get("upload")
        if upload is not None:
            return upload
        return (self.cleaned_data.get("text") or "").encode()


def _area(request) -> Area:
    """The area the address names, if this person may touch it; else 404 / 403."""
    area = Area.objects.filter(slug=request.GET.get("area") or "").first()
    if area is None:
        raise Http404("No such area.")
    if not may_touch(request.user, area.pk):
        raise PermissionDenied("That area is not yours to edit.")
    return area


def _may_import(model_admin, request) -> bool:
    return all(
        [
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request),
            model_admin.has_delete_permission(request),
        ]
    )


def _areas(request):
    areas = areas_for(request.user)
    queryset = Area.objects.all()
    return queryset if areas is None else queryset.filter(pk__in=areas)


def _preview(area: Area, rows) -> dict:
    changes = sorted(directory_changes(area, rows), key=lambda c: (ORDER[c.what], c.name))
    shown = [
        {
            "change": c,
            "rows": change_rows(c.preview()) if c.what == "changed" else None,
            # Proposing replaces what a waiting change proposes: the proposer is told first.
            "waiting": pending_change_of(c.live) if c.what in ("changed", "removed") else None,
        }
        for c in changes
    ]
    counts = {what: sum(c.what == what for c in changes) for what in ORDER}
    return {
        "changes": shown,
        "counts": counts,
        "changes_anything": len(changes) > counts["unchanged"],
    }


def directory_import_view(request, *, model_admin):
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if not _may_import(model_admin, request):
        raise PermissionDenied
    base = {
        **model_admin.admin_site.each_context(request),
        "opts": LocalService._meta,
        "columns": COLUMNS,
        "max_rows": MAX_ROWS,
        "max_bytes": MAX_BYTES,
    }
    if not request.GET.get("area"):
        context = {**base, "title": "Local services: import or download a directory"}
        context["areas"] = _areas(request)
        return TemplateResponse(request, "admin/pathways/localservice/directory.html", context)
    area = _area(request)
    form = DirectoryImportForm(request.POST or None, request.FILES or None)
    context = {**base, "title": f"Import the directory of {area}", "area": area}
    if request.method == "POST" and form.is_valid():
        data = form.data_given()
        try:
            rows = read_directory(data, area)
            if request.POST.get("action") == "propose":
                reason = form.cleaned_data["change_reason"]
                changes = propose_directory(area, rows, request.user, reason)
                _tell(request, changes)
                return HttpResponseRedirect(
                    reverse("admin:pathways_localservice_changelist")
                    + f"?area__id__exact={area.pk}"
                )
            context |= _preview(area, rows)
            text = data.decode("utf-8-sig")
            form = DirectoryImportForm(initial={**form.cleaned_data, "text": text, "upload": None})
        except DirectoryError as error:
            context["problems"] = error.messages
    context["form"] = form
    return TemplateResponse(request, "admin/pathways/localservice/directory_import.html", context)


def _tell(request, changes) -> None:
    messages.success(
        request,
        f"{len(changes)} change(s) to the directory wait for a publisher of the area to "
        "approve them. Practitioners keep seeing the approved directory until then.",
    )
    for change in changes:
        messages.info(
            request,
            format_html(
                '{} “{}”: <a href="{}">the pending change</a>',
                change.get_kind_display(),
                change.object_repr,
                pending_url(change),
            ),
        )


def directory_download_view(request, *, model_admin):
    """The area's directory as stored, drafts included: for its staff only."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    area = _area(request)
    response = HttpResponse(write_directory(area), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{area.slug}-directory.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
