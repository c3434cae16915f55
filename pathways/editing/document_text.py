"""A policy document's text: its page as copied from a browser (seed 004, the delivery plan,
is one), read into a `DocumentText` and written back out. Reading and writing are pure:
nothing here touches the database. `pathways/editing/document_importing.py` turns a
`DocumentText` into a document (and a document into a `DocumentText`), through the
two-person rule.

The shape, one paragraph a line, blank lines between them:

    <title>
    <introduction>
    <annex title>
    <aims heading>
    <aims>
    <section label>:          ("Area of focus:"; or "Area of focus: 3." with the number)
    <number>. <title>         (just the title when the label line gave the number)
    <body label>:             ("What we did:")
    <paragraph>...            (up to the next section label)
    Back to top               (the page's own link, at the end: read and dropped)

Hostile lines (too long, control characters, tags) are refused by the page text's own rule
(pathways/editing/page_text.py), so a pathway and a document are held to the same one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..characters import line_problem
from .page_text import _is_furniture as is_furniture

# Limits that keep a pasted page, not a flood, within what the importer reads.
MAX_BYTES = 1_000_000
MAX_SECTIONS = 200
MAX_SECTION_NUMBER = 9_999
MAX_PROBLEMS = 20
# The lengths the model's fields allow (pathways/models.py, ContextDocument).
HEADING_LENGTH = 300
LABEL_LENGTH = 100

HEADER = ["title", "introduction", "annex title", "aims heading", "aims"]
LABEL = re.compile(r"^(?P<label>[^:]+):(?:\s*(?P<number>\d+)\.)?$")
NUMBERED_TITLE = re.compile(r"^(?P<number>\d+)\.\s+(?P<title>\S.*)$")


@dataclass
class TextSection:
    """A numbered section ("area of focus"): its title and its paragraphs ("what we did")."""

    number: int
    title: str
    paragraphs: list[str] = field(default_factory=list)
    line: int = field(default=0, compare=False)  # where it starts in the text; 0: not read


@dataclass
class DocumentText:
    """A policy document as its text has it, field by field as `ContextDocument` holds it."""

    title: str
    introduction: str
    annex_title: str
    aims_heading: str
    aims: str
    section_label: str
    body_label: str
    sections: list[TextSection] = field(default_factory=list)


@dataclass
class DocumentTextError(Exception):
    """Text that cannot be read: each problem names its line (0: the whole text) and what was
    expected there."""

    problems: list[tuple[int, str]]

    def __str__(self) -> str:
        return "; ".join(describe(line, what) for line, what in self.problems)


def describe(line: int, what: str) -> str:
    """One problem as an editor reads it: "line 12: ..." or "the text: ..."."""
    return f"line {line}: {what}" if line else f"the text: {what}"


def _refusals(text: str) -> list[tuple[int, str]]:
    """What makes the whole text unreadable, before its shape is looked at."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return [(0, f"it is over {MAX_BYTES:,} bytes; a document's page is far smaller")]
    if not text.strip():
        return [(0, "it is empty; paste the document's page text")]
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        problem = line_problem(line)  # the page text's rule: length, control characters, tags
        if problem is None and any(0xD800 <= ord(c) <= 0xDFFF for c in line):
            problem = "it holds a character that is not text (a lone surrogate)"
        if problem is not None:
            problems.append((number, problem))
    return problems


def _lines(text: str) -> list[tuple[int, str]]:
    """The text's non-blank lines with their numbers, page chrome dropped. Any run of spaces
    (a non-breaking space, a tab) is one plain space, as the page shows it."""
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = _one_line(line)
        if line:
            lines.append((number, line))
    while lines and is_furniture(lines[-1][1]):
        lines.pop()
    return lines


class _Reader:
    """Reads the lines in order, collecting every problem rather than stopping at the first."""

    def __init__(self, lines: list[tuple[int, str]]):
        self.lines = lines
        self.at = 0
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, what: str) -> None:
        self.problems.append((line, what))

    def header(self) -> list[str]:
        values = []
        for name in HEADER:
            if self.at >= len(self.lines) or self.starts_section():
                line = self.lines[self.at][0] if self.at < len(self.lines) else 0
                self.problem(line, f"expected the document's {name} here")
                return values
            number, value = self.lines[self.at]
            if name not in ("introduction", "aims") and len(value) > HEADING_LENGTH:
                self.problem(number, f"the {name} is over {HEADING_LENGTH} characters")
            values.append(value)
            self.at += 1
        return values

    def label(self, what: str, example: str) -> tuple[int, str, str | None]:
        """A label line ("Area of focus:" or "Area of focus: 3."): its line, label, number."""
        if self.at >= len(self.lines):
            last = self.lines[-1][0] if self.lines else 0
            self.problem(last, f"expected {what} after this line, such as “{example}”")
            return last, "", None
        number, text = self.lines[self.at]
        found = LABEL.match(text)
        if found is None:
            self.problem(number, f"expected {what} (a line ending in a colon, such as “{example}”)")
            return number, "", None
        self.at += 1
        label = found.group("label").strip()
        if len(label) > LABEL_LENGTH:
            self.problem(number, f"{what} is over {LABEL_LENGTH} characters")
        return number, label, found.group("number")

    def section(self, labels: dict[str, str]) -> TextSection | None:
        start, label, number = self.label("a section label", "Area of focus:")
        if not label:
            return None
        labels.setdefault("section", label)
        if label != labels["section"]:
            self.problem(start, f"expected “{labels['section']}:” as every section starts")
        title = self.section_title(start, number)
        if title is None:
            return None
        body_line, body_label, _ = self.label("the label of the section's text", "What we did:")
        labels.setdefault("body", body_label)
        if body_label and body_label != labels["body"]:
            self.problem(body_line, f"expected “{labels['body']}:” as in every section")
        paragraphs = []
        while self.at < len(self.lines) and not self.starts_section(labels["section"]):
            line, paragraph = self.lines[self.at]
            if self.starts_section():  # a section under another label: not a paragraph
                self.problem(line, f"expected “{labels['section']}:” as every section starts")
            paragraphs.append(paragraph)
            self.at += 1
        return TextSection(number=title[0], title=title[1], paragraphs=paragraphs, line=start)

    def section_title(self, start: int, number: str | None) -> tuple[int, str] | None:
        if self.at >= len(self.lines):
            self.problem(start, "expected the section's number and title after this line")
            return None
        line, text = self.lines[self.at]
        if number is None:
            found = NUMBERED_TITLE.match(text)
            if found is None:
                self.problem(line, "expected the section's number and title, such as “1. Title”")
                return None
            number, text = found.group("number"), found.group("title")
        self.at += 1
        if not 1 <= int(number) <= MAX_SECTION_NUMBER:
            self.problem(line, f"a section's number is from 1 to {MAX_SECTION_NUMBER}")
        return int(number), text

    def starts_section(self, section_label: str | None = None) -> bool:
        """Whether a section starts at this line: its label (the document's, when known), with
        its number there or on the next line."""
        found = LABEL.match(self.lines[self.at][1])
        if found is None:
            return False
        if section_label is not None:
            return found.group("label").strip() == section_label
        after = self.lines[self.at + 1][1] if self.at + 1 < len(self.lines) else ""
        return found.group("number") is not None or NUMBERED_TITLE.match(after) is not None


def read_document_text(text: str) -> DocumentText:
    """The document a page text holds. Raises DocumentTextError naming every line it cannot
    read and what it expected there; a hostile text (too long, control characters, markup,
    too many sections) is refused before its shape is read."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    problems = _refusals(text)
    if problems:
        raise DocumentTextError(_capped(problems))
    reader = _Reader(_lines(text))
    header = reader.header()
    labels: dict[str, str] = {}
    sections: list[TextSection] = []
    while not reader.problems and reader.at < len(reader.lines):
        if len(sections) == MAX_SECTIONS:
            line = reader.lines[reader.at][0]
            reader.problem(line, f"a document has at most {MAX_SECTIONS} sections")
            break
        section = reader.section(labels)
        if section is not None:
            sections.append(section)
    if not reader.problems and not sections:
        reader.problem(reader.lines[-1][0], "expected a first section after this line")
    seen: dict[int, int] = {}
    for section in sections:
        if section.number in seen:
            reader.problem(
                section.line,
                f"section {section.number} is numbered twice (first at line "
                f"{seen[section.number]})",
            )
        seen.setdefault(section.number, section.line)
    if reader.problems:
        raise DocumentTextError(_capped(reader.problems))
    return DocumentText(
        *header, section_label=labels["section"], body_label=labels["body"], sections=sections
    )


def _capped(problems: list[tuple[int, str]]) -> list[tuple[int, str]]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS], (0, f"and {more} more problems like these")]


def _one_line(text: str) -> str:
    # A line break inside a paragraph shows on the page as a space.
    return " ".join(text.split())


def write_document_text(document: DocumentText) -> str:
    """The document's page text, in the shape `read_document_text` reads. Raises
    DocumentTextError when a heading or label the shape needs is empty."""
    header = [
        document.title,
        document.introduction,
        document.annex_title,
        document.aims_heading,
        document.aims,
    ]
    missing = [name for name, value in zip(HEADER, header, strict=True) if not value.strip()]
    if not document.section_label.strip():
        missing.append("section label")
    if not document.body_label.strip():
        missing.append("section text label")
    if not document.sections:
        missing.append("sections")
    if missing:
        raise DocumentTextError([(0, f"the document has no {', '.join(missing)} to write")])
    blocks = [_one_line(value) for value in header]
    for section in document.sections:
        blocks.append(f"{_one_line(document.section_label)}:")
        blocks.append(f"{section.number}. {_one_line(section.title)}")
        blocks.append(f"{_one_line(document.body_label)}:")
        blocks.extend(_one_line(p) for p in section.paragraphs if p.strip())
    return "\n\n".join(blocks) + "\n"
