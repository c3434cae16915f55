"""Import from text, on the policy documents' list: paste or upload a document's page text,
see it as readers will (and, for an existing document, a word diff per section), then save it
as a pending change that another publisher approves."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse

from ...errors import error_text
from ...models import ContextDocument
from ...publishing import ChangeKind, PendingChange, pending_change_of, state_of
from ..document_importing import check_document, propose_document, proposed_state
from ..document_text import MAX_BYTES, DocumentTextError, describe, read_document_text
from .forms import CHANGE_REASON_HELP
from .pending import change_rows
from .versions import pending_url

SAVED = (
    "Saved as a pending change to “{name}”. Nothing is live until another publisher approves it."
)


class DocumentImportForm(forms.Form):
    slug = forms.SlugField(
        max_length=100,
        help_text="The document's address: /documents/<slug>/. An existing document's slug "
        "proposes a change to it; a new one proposes a new document.",
    )
    text = forms.CharField(
        label="Page text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 90}),
        help_text="The document's page as copied from a browser, in the delivery plan's shape.",
    )
    upload = forms.FileField(
        label="Or upload a text file (.txt, UTF-8)", required=False, allow_empty_file=True
    )
    change_reason = forms.CharField(
        label="Why this change is made",
        max_length=500,
        required=False,
        help_text=CHANGE_REASON_HELP,
    )

    def clean_upload(self) -> str | None:
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        if upload.size > MAX_BYTES:
            raise ValidationError(f"The file is over {MAX_BYTES:,} bytes: upload the page text.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text: save it as UTF-8 text.") from None

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("upload") or cleaned.get("text") or ""
        if "upload" in self.errors:
            return cleaned
        if not text.strip():
            self.add_error("text", "Paste the document's page text, or upload it as a file.")
            return cleaned
        try:
            cleaned["document"] = read_document_text(text)
        except DocumentTextError as error:
            self.add_error("text", [describe(line, what) for line, what in error.problems])
            return cleaned
        cleaned["text"] = text  # an upload is shown in the text box, to save as previewed
        return cleaned


def _allowed(model_admin, request, live: ContextDocument | None) -> bool:
    if live is None:
        return model_admin.has_add_permission(request)
    return model_admin.has_change_permission(request, live)


def _preview(form: DocumentImportForm) -> dict:
    """The document as readers will see it and, for an existing one, what changes."""
    text, slug = form.cleaned_data["document"], form.cleaned_data["slug"]
    live = ContextDocument.objects.filter(slug=slug).first()
    rows = None
    if live is not None:
        change = PendingChange(
            content_type=ContentType.objects.get_for_model(ContextDocument),
            kind=ChangeKind.CHANGE,
            base=state_of(live),
            proposed=proposed_state(text, slug, live),
        )
        rows = change_rows(change)
    waiting = pending_change_of(live)
    return {
        "document": text,
        "sections": text.sections,
        "live": live,
        "rows": rows,
        "waiting": waiting,
    }


def document_import_view(request, *, model_admin):
    """Preview (the default action) or save: the text is read again on save, so what is
    saved is always checked, whatever was posted."""
    if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
        raise PermissionDenied
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    form = DocumentImportForm(request.POST or None, request.FILES or None)
    context = {}
    if request.method == "POST" and form.is_valid():
        slug, text = form.cleaned_data["slug"], form.cleaned_data["document"]
        live = ContextDocument.objects.filter(slug=slug).first()
        try:
            if not _allowed(model_admin, request, live):
                raise ValidationError("You may not make this change to policy documents.")
            if request.POST.get("action") == "save":
                reason = form.cleaned_data["change_reason"]
                change = propose_document(text, slug, user=request.user, reason=reason)
                messages.success(request, SAVED.format(name=change.object_repr))
                return HttpResponseRedirect(pending_url(change))
            check_document(text, slug, live)
            context = _preview(form)
            form = DocumentImportForm(initial={**form.cleaned_data, "upload": None})
        except ValidationError as error:
            form.add_error(None, error_text(error))
    opts = ContextDocument._meta
    context = {
        **model_admin.admin_site.each_context(request),
        **context,
        "title": "Import a policy document from its text",
        "opts": opts,
        "form": form,
    }
    return TemplateResponse(request, "admin/pathways/contextdocument/import_text.html", context)
