"""Reads a rendered page as a person sees it: one line per block of visible text."""

from html.parser import HTMLParser

BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "label",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
    "button",
    "option",
    "title",
    "strong",
}
INVISIBLE = {"script", "style", "template", "head"}
VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr"}


def normalise(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").replace("\u2022", " ").split())


class _Lines(HTMLParser):
    def __init__(self, within_id: str | None, skip_classes: set[str]):
        super().__init__(convert_charrefs=True)
        self.within_id = within_id
        self.skip_classes = skip_classes
        self.stack: list[tuple[str, bool, bool]] = []  # tag, hidden, inside target
        self.lines: list[str] = []
        self.current: list[str] = []

    def _flush(self):
        line = normalise("".join(self.current))
        if line:
            self.lines.append(line)
        self.current = []

    def _state(self):
        if not self.stack:
            return False, self.within_id is None
        _, hidden, inside = self.stack[-1]
        return hidden, inside

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden, inside = self._state()
        classes = set((attrs.get("class") or "").split())
        hidden = (
            hidden or tag in INVISIBLE or "hidden" in attrs or bool(classes & self.skip_classes)
        )
        inside = inside or (self.within_id is not None and attrs.get("id") == self.within_id)
        if tag in BLOCKS:
            self._flush()
        if tag not in VOID:
            self.stack.append((tag, hidden, inside))

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self._flush()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        hidden, inside = self._state()
        if inside and not hidden:
            self.current.append(data)


def visible_lines(html: str, within_id: str | None = None, skip_classes=()) -> list[str]:
    """The page's visible text blocks, in order; only inside the element `within_id` if given."""
    parser = _Lines(within_id, {"nhsuk-u-visually-hidden", *skip_classes})
    parser.feed(html)
    parser.close()
    parser._flush()
    return parser.lines


def is_subsequence(needles: list[str], haystack: list[str]) -> tuple[bool, str | None]:
    """Whether every needle appears in order as a whole line; else the first one missing."""
    position = 0
    for needle in needles:
        try:
            position = haystack.index(needle, position) + 1
        except ValueError:
            return False, needle
    return True, None
