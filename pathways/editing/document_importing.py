"""A policy document's text made into content, and content into text
(pathways/editing/document_text.py reads and writes the text). A document is shared content,
always guarded: an import is a pending change that another publisher approves, except an
operator's command-line bootstrap into a database without that document."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from ..history import record_version
from ..models import ContextDocument, DocumentSection
from ..publishing import ChangeKind, PendingChange, content_fields, state_of, submit
from .document_text import DocumentText, TextSection

BOOTSTRAP_REASON = "Operator's bootstrap: imported from document text {source}"


def document_text_of(document: ContextDocument) -> DocumentText:
    """The document as its text has it (for export_document_text)."""
    sections = [
        TextSection(number=s.number, title=s.title, paragraphs=s.paragraphs)
        for s in document.sections.order_by("number")
    ]
    return DocumentText(
        title=document.title,
        introduction=document.introduction,
        annex_title=document.annex_title,
        aims_heading=document.aims_heading,
        aims=document.aims,
        section_label=document.section_label,
        body_label=document.body_label,
        sections=sections,
    )


def _fields(text: DocumentText, slug: str) -> dict:
    return {
        "title": text.title,
        "slug": slug,
        "introduction": text.introduction,
        "annex_title": text.annex_title,
        "aims_heading": text.aims_heading,
        "aims": text.aims,
        "section_label": text.section_label,
        "body_label": text.body_label,
    }


def proposed_state(text: DocumentText, slug: str, live: ContextDocument | None) -> dict:
    """The document the text holds, in the shape of `publishing.state_of`: a section keeps the
    id of the live section of its number, so the diff and the history follow each section."""
    ids = dict(live.sections.values_list("number", "pk")) if live is not None else {}
    rows = [
        {
            "id": ids.get(s.number),
            "number": s.number,
            "title": s.title,
            "body": "\n\n".join(s.paragraphs),
        }
        for s in sorted(text.sections, key=lambda s: s.number)
    ]
    fields = _fields(text, slug)
    names = [f.attname for f in content_fields(ContextDocument)]
    return {"fields": {name: fields[name] for name in names}, "parts": {"sections": rows}}


def check_document(text: DocumentText, slug: str, live: ContextDocument | None) -> None:
    """Raises ValidationError when the model would refuse the document (a slug in use by
    another document, a field too long), naming the field."""
    document = ContextDocument(pk=live.pk if live is not None else None, **_fields(text, slug))
    document._state.adding = live is None  # checked as the document it replaces
    document.full_clean()
    for section in text.sections:
        DocumentSection(document=document, number=section.number, title=section.title).full_clean(
            exclude=["document"], validate_unique=False
        )


def pending_creation(slug: str) -> PendingChange | None:
    """A new document of this slug already waiting for approval, if any."""
    content_type = ContentType.objects.get_for_model(ContextDocument)
    waiting = PendingChange.objects.pending().filter(
        content_type=content_type, kind=ChangeKind.CREATE
    )
    return next((c for c in waiting if c.proposed["fields"].get("slug") == slug), None)


def propose_document(text: DocumentText, slug: str, *, user, reason: str = "") -> PendingChange:
    """The import as the document's pending change (a new document's creation, or a change to
    the live one). Raises ValidationError, proposing nothing, when the text changes nothing
    or the model refuses it."""
    live = ContextDocument.objects.filter(slug=slug).first()
    check_document(text, slug, live)
    state = proposed_state(text, slug, live)
    reason = reason or "Imported from document text"
    if live is None:
        if pending_creation(slug) is not None:
            raise ValidationError(
                f"A new document “{slug}” already waits for approval: approve or reject it first."
            )
        return submit(ContextDocument, state, user=user, reason=reason, kind=ChangeKind.CREATE)
    if state == state_of(live):
        raise ValidationError(f"The text is the same as the live document “{live}”.")
    return submit(live, state, user=user, reason=reason, kind=ChangeKind.CHANGE)


def bootstrap_document(text: DocumentText, slug: str, *, source: str) -> ContextDocument:
    """Writes a new document directly, as loading fixtures does: an operator's bootstrap,
    recorded as such in history (no person). Raises ValidationError, writing nothing, when a
    document of the slug exists or the model refuses the text."""
    if ContextDocument.objects.filter(slug=slug).exists():
        raise ValidationError(
            f"A document “{slug}” exists already: a bootstrap only writes into a database "
            "without it. Import it without --publish to propose a change."
        )
    check_document(text, slug, None)
    reason = BOOTSTRAP_REASON.format(source=source)
    with transaction.atomic():
        document = ContextDocument(**_fields(text, slug))
        document._change_reason = reason
        document.save_without_historical_record()
        for section in text.sections:
            part = DocumentSection(
                document=document,
                number=section.number,
                title=section.title,
                body="\n\n".join(section.paragraphs),
            )
            part._change_reason = reason
            part.save()
        record_version(document, created=True)
    return document
