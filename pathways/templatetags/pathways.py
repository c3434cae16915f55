"""Template filters for showing pathway text with search matches marked and abbreviations
explained, and for the word stems offline search reads; and `{% contentcache %}`, `{% cache %}`
for the parts of a page that depend on the content alone."""

from __future__ import annotations

import re

from django import template
from django.core.cache.utils import make_template_fragment_key
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

from pathways.offline.rules import card_stems
from pathways.operations.caching import kept
from pathways.search import START, STOP, render_marked

register = template.Library()


@register.filter
def pathways_linked(text: str, names: list[tuple[str, str]] | None) -> SafeString:
    """`text`, escaped, with each pathway of `names` ((title, address) pairs) it names by its
    title, case as written, made a link to that pathway; the words themselves unchanged."""
    if not names:
        return conditional_escape(text)
    urls = dict(names)
    titles = sorted(urls, key=len, reverse=True)  # the longest title a name could be
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, titles)) + r")(?!\w)")
    html, last = SafeString(), 0
    for match in pattern.finditer(text):
        html += conditional_escape(text[last : match.start()])
        html += format_html('<a href="{}">{}</a>', urls[match[0]], match[0])
        last = match.end()
    return html + conditional_escape(text[last:])


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
def search_stems(entry) -> str:
    """The stems of the entry's words, as offline search reads them (offline.rules.card_stems)."""
    return card_stems(entry)


class Abbreviations:
    """Explains each glossary term where one card first uses it: <abbr title="...">. One per
    card, used in reading order (the card template's), so only the first use is marked."""

    def __init__(self, terms: list[tuple[str, str]]):
        self.titles = {escape(term): title for term, title in terms if term and title}
        self.seen: set[str] = set()
        words = sorted(self.titles, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<![\w&])(" + "|".join(map(re.escape, words)) + r")(?!\w)")
            if words
            else None
        )

    def explain(self, html: str) -> SafeString:
        if self.pattern is None:
            return mark_safe(html)
        # Only text between tags (the <mark>s a search adds) is looked at.
        pieces = re.split(r"(<[^>]*>)", str(html))
        for i, piece in enumerate(pieces):
            if i % 2 == 0 and piece:
                pieces[i] = self.pattern.sub(self._first_use, piece)
        return mark_safe("".join(pieces))

    def _first_use(self, match: re.Match) -> str:
        term = match.group(1)
        if term in self.seen:
            return term
        self.seen.add(term)
        return format_html('<abbr title="{}">{}</abbr>', self.titles[term], mark_safe(term))


@register.filter
def abbr(html, abbreviations: Abbreviations | None) -> SafeString:
    """Text (already escaped HTML) with the first use of each glossary term explained."""
    if abbreviations is None:
        return html
    return abbreviations.explain(html)


class ContentCacheNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str, vary_on: list):
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context: template.Context) -> str:
        vary_on = [var.resolve(context) for var in self.vary_on]
        key = make_template_fragment_key(self.name, vary_on)
        return kept(key, lambda: self.nodelist.render(context), context.get("content_version"))


@register.tag
def contentcache(parser, token) -> ContentCacheNode:
    """`{% contentcache name pathway.pk today %}...{% endcontentcache %}`: Django's
    `{% cache %}` for a part that depends on the content, kept in the pages cache with the
    content version (`content_version` in the context) as its cache version. Without one
    (staff, who see pending changes) the part is rendered each time. Name everything
    besides the content that the part shows: today's date, say, for a review that falls
    overdue."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% contentcache %} needs a name for the part")
    nodelist = parser.parse(("endcontentcache",))
    parser.delete_first_token()
    return ContentCacheNode(nodelist, bits[1], [parser.compile_filter(b) for b in bits[2:]])
