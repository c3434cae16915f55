"""Template filters for showing pathway text with search matches marked, and for the text
offline search reads."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

from pathways.search import START, STOP, render_marked, searchable_text

register = template.Library()


@register.filter
def marked(obj, field: str) -> SafeString:
    """The field's text, escaped, with search matches in <mark> when a search marked it."""
    text = getattr(obj, f"{field}_marked", None)
    return render_marked(text) if text else escape(getattr(obj, field))


@register.filter
def marked_lines(obj, field: str) -> list[SafeString]:
    """The field's non-empty lines (bullet points), each escaped and marked like `marked`."""
    text = getattr(obj, f"{field}_marked", None) or getattr(obj, field)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # A mark never spans lines in practice; if one did, close it where the line ends.
    return [
        render_marked(line if line.count(STOP) >= line.count(START) else line + STOP)
        for line in lines
    ]


@register.filter
def search_text(entry) -> str:
    """The entry's text as offline search reads it (see pathways.search.searchable_text)."""
    return searchable_text(entry)
