"""Reads a rendered page as a person sees it: one line per block of visible text."""

import re
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
# Left open, these end where the next one of their kind starts.
OPTIONAL_END = {"p", "li", "dt", "dd", "option", "tr", "td", "th"}
VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr"}


def normalise(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").replace("\u2022", " ").split())


class _Lines(HTMLParser):
    def __init__(self, within_id: str | None, skip_classes: set[str], aria_hidden: bool):
        super().__init__(convert_charrefs=True)
        self.within_id = within_id
        self.skip_classes = skip_classes
        self.aria_hidden = aria_hidden
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
            hidden
            or tag in INVISIBLE
            or "hidden" in attrs
            or bool(classes & self.skip_classes)
            or (self.aria_hidden and attrs.get("aria-hidden") == "true")
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

    def read(self, html: str) -> list[str]:
        self.feed(html)
        self.close()
        self._flush()
        return self.lines


def visible_lines(html: str, within_id: str | None = None, skip_classes=()) -> list[str]:
    """The page's visible text blocks, in order; only inside the element `within_id` if given."""
    hidden = {"nhsuk-u-visually-hidden", *skip_classes}
    return _Lines(within_id, hidden, aria_hidden=False).read(html)


def spoken_lines(html: str) -> list[str]:
    """The text a screen reader reads: the visually hidden parts too, not what is aria-hidden."""
    return _Lines(None, set(), aria_hidden=True).read(html)


def is_subsequence(needles: list[str], haystack: list[str]) -> tuple[bool, str | None]:
    """Whether every needle appears in order as a whole line; else the first one missing."""
    position = 0
    for needle in needles:
        try:
            position = haystack.index(needle, position) + 1
        except ValueError:
            return False, needle
    return True, None


class Element:
    """One element of a page: its tag, its attributes and the text a person reads in it."""

    def __init__(self, tag: str, attrs: dict[str, str | None], markup: str):
        self.tag = tag
        self.attrs = attrs
        self.markup = markup

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def lines(self) -> list[str]:
        return visible_lines(self.markup)

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def content(self) -> str:
        """The markup between its start and end tags, as written."""
        return self.markup[self.markup.index(">") + 1 : self.markup.rindex("</")]

    @property
    def spoken(self) -> str:
        return " ".join(spoken_lines(self.markup))

    def __repr__(self):
        return f"<{self.tag} {self.attrs}: {self.text!r}>"


class _Elements(HTMLParser):
    """Collects the elements a test asks for, with the markup each spans in the page; not
    those inside a <template>, which the page only copies from."""

    def __init__(self, html: str, wanted):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.wanted = wanted
        self.line_starts = [0] + [newline.end() for newline in re.finditer("\n", html)]
        self.open: list[tuple[str, dict, int]] = []  # tag, attrs, where it starts
        self.found: list[tuple[int, Element]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _keep(self, tag, attrs, start, end):
        inert = any(open_tag == "template" for open_tag, _, _ in self.open)
        if not inert and self.wanted(tag, attrs):
            self.found.append((start, Element(tag, attrs, self.html[start:end])))

    def handle_starttag(self, tag, attrs):
        start = self._offset()
        if tag in OPTIONAL_END and self.open and self.open[-1][0] == tag:
            open_tag, open_attrs, open_start = self.open.pop()  # a <p> or <li> left open
            self._keep(open_tag, open_attrs, open_start, start)
        if tag in VOID:
            self._keep(tag, dict(attrs), start, start + len(self.get_starttag_text()))
        else:
            self.open.append((tag, dict(attrs), start))

    def handle_startendtag(self, tag, attrs):
        start = self._offset()
        self._keep(tag, dict(attrs), start, start + len(self.get_starttag_text()))

    def handle_endtag(self, tag):
        here = self._offset()
        end = self.html.index(">", here) + 1
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                # Elements left open inside this one (a <p> or <li> without its end tag) end
                # where it does.
                closing = self.open[i:]
                del self.open[i:]
                for open_tag, attrs, start in reversed(closing):
                    self._keep(open_tag, attrs, start, end if open_tag == tag else here)
                break


def elements(html: str, tag: str | None = None, cls: str | None = None) -> list[Element]:
    """The elements with this tag and/or this one class among theirs, in page order."""

    def wanted(found_tag, attrs):
        classes = (attrs.get("class") or "").split()
        return (tag is None or found_tag == tag) and (cls is None or cls in classes)

    parser = _Elements(html, wanted)
    parser.feed(html)
    parser.close()
    return [element for _, element in sorted(parser.found, key=lambda found: found[0])]


def element(html: str, id: str) -> Element:
    """The one element with this id; fails if there is none or more than one."""
    parser = _Elements(html, lambda _, attrs: attrs.get("id") == id)
    parser.feed(html)
    parser.close()
    found = [element for _, element in parser.found]
    assert len(found) == 1, f"{len(found)} elements have id={id!r}"
    return found[0]


def summary_list(html: str) -> dict[str, list[str]]:
    """An NHS.UK summary list as read: each row's key and the lines of its value."""
    rows = elements(html, "div", "nhsuk-summary-list__row")
    return {row.lines[0]: row.lines[1:] for row in rows}


def links(html: str) -> dict[str, str]:
    """Each link's visible text and where it goes (the last link, if two read the same)."""
    return {link.text: link.attrs.get("href") for link in elements(html, "a")}
