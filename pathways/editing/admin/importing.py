"""The admin's "Import from page text": paste or upload a pathway's page text, see it as
practitioners will and (for an existing pathway) what it changes, entry by entry, confirm its
"as above" links, and save it as a pending import another publisher approves."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from ...models import Pathway
from ..importing import (
    check_size,
    decode_text,
    describe_error,
    diff_rows,
    page_text_of,
    preview_cards,
    propose_import,
    proposed_links,
    read_text,
)
from ..page_text import PageText, PageTextError


class ImportForm(forms.Form):
    text = forms.CharField(
        label="Page text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "spellcheck": "false"}),
        help_text="Paste the pathway page's text, as copied from the browser.",
    )
    upload = forms.FileField(
        label="Or upload a .txt file",
        required=False,
        help_text="UTF-8 text, as long as a pasted one may be.",
    )
    slug = forms.SlugField(
        label="Pathway slug",
        max_length=100,
        help_text="An existing pathway's slug changes it; a new one makes a new pathway.",
    )


def _text_of(form: ImportForm) -> tuple[str, str]:
    """The text and its file name (empty when pasted), or PageTextError."""
    upload = form.cleaned_data.get("upload")
    if upload is not None:
        check_size(upload.size)  # before reading it
        return decode_text(upload.read()), upload.name[:200]
    text = form.cleaned_data.get("text", "")
    if not text.strip():
        raise PageTextError(problems=[(0, "expected page text, pasted or uploaded")])
    return text, ""  # its length is the reader's to check


def import_text_view(request, admin_site):
    if not request.user.has_perm("pathways.change_pathway"):
        raise PermissionDenied
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {
        **admin_site.each_context(request),
        "title": "Import a pathway from its page text",
        "opts": Pathway._meta,
        "form": form,
    }
    if request.method == "POST" and form.is_valid():
        try:
            text, file_name = _text_of(form)
            page = read_text(text)
            slug = form.cleaned_data["slug"]
            offered = proposed_links(page)
            ticked = request.POST.getlist("links")  # indexes; any other value is not a tick
            links = [i for i in offered if str(i) in ticked]
            if request.POST.get("action") == "save":
                change = propose_import(
                    page, slug, user=request.user, text=text, links=links, file_name=file_name
                )
                messages.success(
                    request,
                    f"Saved as a pending import: {change}. Nothing is live until another "
                    "publisher approves it.",
                )
                url = reverse("admin:pathways_pendingchange_change", args=[change.pk])
                return HttpResponseRedirect(url)
            context.update(_preview(page, slug, text, offered, links))
        except (PageTextError, ValidationError) as error:
            context["problems"] = describe_error(error)
    return TemplateResponse(request, "admin/pathways/import_text.html", context)


def _preview(page: PageText, slug: str, text: str, offered, links) -> dict:
    live = Pathway.objects.filter(slug=slug).first()
    cards = preview_cards(page, slug, links)
    changes = diff_rows(page_text_of(live), page) if live is not None else None
    as_above = [
        {
            "index": i,
            "entry": page.entries[i],
            "target": page.entries[page.entries[i].repeats],
            "checked": i in links,
        }
        for i in offered
    ]
    return {
        "page": page,
        "slug": slug,
        "text": text,
        "live": live,
        "cards": cards,
        "changes": changes,
        "as_above": as_above,
    }
