"""A pathway's page text: its page as copied from a browser (seed 000 is one), read into a
`PageText` and written back out. Reading and writing are pure: nothing here touches the
database. `pathways/editing/importing.py` turns a `PageText` into content (and content into a
`PageText`), through the two-person rule.

The shape, top to bottom, as the page shows it:

    Show…                     (the page's own controls: read and dropped)
    Filter by…
    <title>
    <reading note>            (paragraphs and "  • " bullets)
    <empty-state sentence 1>  ("There are no rationales that match your filters.")
    <empty-state sentence 2>
    <stage heading>           (an age range label)
      <band label>            (an entry: band, optional tag, rationale, optional criteria,
      [<tag>]                  service (sometimes written twice), interventions: paragraphs,
      <rationale>              each with optional "  • " bullets)
      [<criteria>]
      <service>
      <intervention>...

How the reader tells the lines apart (each rule is a named function below):

- Lines: "\r\n" and "\r" end lines as "\n" does; a leading BOM is dropped; a non-breaking
  space is an ordinary space (the page renders none and the fixtures hold none); each line is
  stripped. Blank lines separate blocks but are not needed between them: every non-blank line
  is a block of its own, except that a bullet point belongs to the paragraph above it.
- Refused outright: more than MAX_TEXT_LENGTH characters, MAX_LINES lines or MAX_ENTRIES
  entries, a line over MAX_LINE_LENGTH characters, a control character
  (`pathways.characters`), markup (an HTML tag such as "<script>"). Reading stops after
  MAX_PROBLEMS problems.
- A band label is a line `pathways.ages.parse_band_label` reads. A stage heading is a band
  label immediately followed by another band label (the first entry's own). A line shaped
  like a band label that the rule cannot read ("1 - 3 yrs") is an error, not content.
- A bullet point starts with one of BULLET_MARKS ("•", "·", "◦", "▪", "‣") or, when a space
  follows, SPACED_BULLET_MARKS ("-", "*"). Numbered lines ("1. ...") are paragraphs: the
  number may be content.
- A name (a service or a tag) is one the caller knows, or, for a new one, name-shaped: at
  most NAME_SHAPE_LENGTH characters with no end punctuation (`looks_like_name`).
- The tag is the line after the band label when it is a known tag, or when it is
  name-shaped and the line after it is neither a known service nor name-shaped (else that
  line would be the service and this one the rationale).
- The service is the first or second line after the rationale (a known service first, then a
  name-shaped one); a line between them is the criteria. The same line again straight after
  the service is the service written twice, read once (so a first intervention whose
  paragraph is exactly the service's name cannot be told from it: the one ambiguity).
- Interventions run to the next band label: a paragraph starts one; bullets join it; a bullet
  list after a blank line that follows another bullet list starts one with no paragraph (one
  with no paragraph after a paragraph with no bullets joins that paragraph: the page shows
  the two alike).
- Page furniture (PAGE_CONTROLS before the title, the empty-state sentences before the first
  stage) is read and dropped; FURNITURE lines ("Back to top if required.") anywhere are
  `Stray`: reported, not imported. Any other line is content where the grammar has a place
  for it, and an error where it has none.
- "As above" (`propose_repeats`): an intervention beginning "As above" that names an age range
  proposes `repeats`: the nearest earlier entry with the same rationale and service whose band
  or stage is the range named (by the band rule, so "1-3 years" names "1 - 3 years"). None
  when no entry fits: the editor chooses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ..ages import parse_band_label
from ..browsing.views import NO_MATCHES
from ..characters import MAX_LINE_LENGTH, line_problem  # noqa: F401 (also read from here)


@dataclass
class TextNote:
    """A reading note: a paragraph, or a bullet point."""

    text: str
    is_bullet: bool = False


@dataclass
class TextIntervention:
    """An intervention: its paragraph (may be empty) and its bullet points, in order."""

    text: str
    bullets: list[str] = field(default_factory=list)


@dataclass
class TextEntry:
    """An entry ("rationale") as the page text has it. Names are as written (the band label,
    the tag's and service's names), not slugs: the importer finds or makes the options."""

    stage: str  # the label of the stage heading it sits under
    band: str  # its age band's label
    rationale: str
    service: str
    tag: str = ""  # "" when it has none
    criteria: str = ""  # "" when it has none
    interventions: list[TextIntervention] = field(default_factory=list)
    # Index (in PageText.entries) of the entry an "As above ..." intervention names, as the
    # reader proposes it; the editor confirms it before it becomes the entry's `repeats`.
    repeats: int | None = None
    line: int = 0  # first line of the entry in the text (1-based); 0 when not read from text


@dataclass
class Stray:
    """A line the reader could not place and did not import ("Back to top if required.")."""

    line: int
    text: str


@dataclass
class PageText:
    title: str
    notes: list[TextNote] = field(default_factory=list)
    entries: list[TextEntry] = field(default_factory=list)
    stray: list[Stray] = field(default_factory=list)


@dataclass
class PageTextError(Exception):
    """Text that cannot be read: each problem names its line and what was expected there."""

    problems: list[tuple[int, str]]

    def __str__(self) -> str:
        return "; ".join(f"line {line}: {what}" for line, what in self.problems)


# Limits: a pathway's page text is a few hundred lines (seed 000 has 320, 19 entries); these
# leave room for the largest real pathway many times over and refuse the rest quickly.
MAX_TEXT_LENGTH = 999_999  # characters: a text of 1,000,000 is refused
# Entries: twenty-five times seed 000's 19. Lines: room for them as a browser copies them (about
# 17 lines an entry, blank ones included); each line is read against the band rule once, so
# these bound the time a hostile text takes (a third of a second on a busy two-core machine).
MAX_ENTRIES = 500
MAX_LINES = 10_000
# Past this many problems reading stops: the first ones say what is wrong.
MAX_PROBLEMS = 50
STOPPED = f"stopped reading after {MAX_PROBLEMS} problems: correct these and try again"
# A new service's or tag's name, read without the caller's names: short and unpunctuated.
# The fixtures' longest is "Childrens Centres & EYFS" (24); the model allows 100.
NAME_SHAPE_LENGTH = 60
END_PUNCTUATION = ".:;,!?…"

BOM = "\ufeff"
NBSP = "\u00a0"
BULLET = "  • "
# The page's own controls above the title, as a copy has them ("..." is read as "…").
PAGE_CONTROLS = ("Show…", "Filter by…")
# Lines a page or a document puts around content that are never content themselves.
FURNITURE = ("back to top", "back to top if required", "skip to main content", "print this page")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Bullet marks: these alone, or "-" and "*" followed by a space (so "-use" is not a bullet).
# A numbered line ("1. ...") is a paragraph: its number may be content.
BULLET_MARKS = "•·◦▪‣"
SPACED_BULLET_MARKS = "-*"
_BULLET_MARK = re.compile(
    rf"(?:[{re.escape(BULLET_MARKS)}]\s*|[{re.escape(SPACED_BULLET_MARKS)}]\s+)(?P<text>.*)"
)
# A line shaped like an age range ("1 - 3 yrs", "Birth – 6 weeks"), read by parse_band_label
# or refused as a label it cannot read.
_RANGE_SHAPED = re.compile(r"(?:birth|\d+)(?:\s*[dwmy][a-z]*)?\s*[-–—]\s*\d+\s*[dwmy][a-z]*", re.I)
_AS_ABOVE = re.compile(r"as above\b", re.I)


@dataclass
class _Line:
    number: int  # 1-based, in the text as given
    text: str  # stripped, non-breaking spaces read as spaces
    after_blank: bool = False  # a blank line comes straight before it
    # Read once per line, as every rule asks of them again and again.
    band: tuple[int, int] | None = field(init=False)  # the days it names, if an age range
    bullet: str | None = field(init=False)  # its text, if a bullet point

    def __post_init__(self):
        self.band = band_range(self.text)
        self.bullet = bullet_text(self.text)


class _Problem(Exception):
    """One problem that stops the reading of one entry: its line and what was expected."""

    def __init__(self, line: int, what: str):
        super().__init__(what)
        self.line, self.what = line, what


@lru_cache(maxsize=1024)
def band_range(text: str) -> tuple[int, int] | None:
    """The days an age range label names ("1 - 3 years"), or None when it is not one."""
    try:
        return parse_band_label(text)
    except ValueError:
        return None


def bullet_text(text: str) -> str | None:
    """A bullet point's text without its mark, or None when the line is not a bullet."""
    match = _BULLET_MARK.fullmatch(text)
    return match["text"] if match else None


def looks_like_name(text: str) -> bool:
    """Whether a line could be a new service's or tag's name: short, no end punctuation, and
    neither an age range nor a bullet."""
    return (
        len(text) <= NAME_SHAPE_LENGTH
        and not text.endswith(tuple(END_PUNCTUATION))
        and band_range(text) is None
        and bullet_text(text) is None
    )


def _plain(text: str) -> str:
    """A line as the reader compares it: non-breaking spaces as spaces, stripped."""
    return text.replace(NBSP, " ").strip()


def _is_page_control(text: str) -> bool:
    return text.replace("...", "…") in PAGE_CONTROLS


def _is_furniture(text: str) -> bool:
    return text.rstrip(".").lower() in FURNITURE


def _text_problem(text: str) -> tuple[int, str] | None:
    if len(text) > MAX_TEXT_LENGTH:
        return 1, f"the text is {len(text):,} characters long; expected at most {MAX_TEXT_LENGTH:,}"
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        return 1, f"the text has {lines:,} lines; expected at most {MAX_LINES:,}"
    return None


def _lines(text: str) -> tuple[list[_Line], list[Stray]]:
    """The text's non-blank lines and its furniture lines; PageTextError for lines no place
    can take."""
    if not isinstance(text, str):
        raise PageTextError([(1, "expected the page's text")])
    text = _LINE_BREAK.sub("\n", text.removeprefix(BOM))
    if problem := _text_problem(text):
        raise PageTextError([problem])
    problems, lines, stray = [], [], []
    blank = False
    for number, raw in enumerate(text.split("\n"), start=1):
        if problem := line_problem(raw):
            problems.append((number, problem))
            if len(problems) == MAX_PROBLEMS:
                problems.append((number, STOPPED))
                break
            continue
        line = _plain(raw)
        if not line:
            blank = True
        elif _is_furniture(line):
            stray.append(Stray(number, line))
        else:
            lines.append(_Line(number, line, blank))
            blank = False
    if problems:
        raise PageTextError(problems)
    if not lines:
        raise PageTextError([(1, "expected the pathway's title: the text is empty")])
    return lines, stray


class _Reader:
    """Reads the lines top to bottom, collecting every problem it can: a problem in one entry
    skips to the next age range label and reading goes on."""

    def __init__(self, lines: list[_Line], services: Iterable[str], tags: Iterable[str]):
        self.lines = lines
        self.at = 0
        self.services = {_plain(name) for name in services}
        self.tags = {_plain(name) for name in tags}
        self.problems: list[tuple[int, str]] = []

    def peek(self, ahead: int = 0) -> _Line | None:
        index = self.at + ahead
        return self.lines[index] if index < len(self.lines) else None

    def take(self) -> _Line:
        line = self.lines[self.at]
        self.at += 1
        return line

    def is_band(self, ahead: int = 0) -> bool:
        line = self.peek(ahead)
        return line is not None and line.band is not None

    def is_content(self, ahead: int = 0) -> bool:
        """A line that can be an entry's text: there, neither an age range nor a bullet."""
        line = self.peek(ahead)
        return line is not None and line.band is None and line.bullet is None

    def last_number(self) -> int:
        return self.lines[min(self.at, len(self.lines)) - 1].number

    def check_range_shape(self, line: _Line) -> None:
        """A line shaped like an age range that the band rule cannot read is a mistyped label."""
        if line.band is None and _RANGE_SHAPED.fullmatch(line.text):
            raise _Problem(
                line.number,
                f"expected an age range label such as “Birth - 6 weeks”, “6-12 months” or "
                f"“1 - 3 years”; “{line.text}” cannot be read as one",
            )

    def title(self) -> str:
        """The first line after the page's controls; it must not be an age range."""
        while self.peek() and _is_page_control(self.peek().text):
            self.at += 1
        line = self.peek()
        if line is None or self.is_band():
            number = line.number if line else self.last_number()
            self.problems.append((number, "expected the pathway's title before the first stage"))
            return ""
        return self.take().text

    def notes(self) -> list[TextNote]:
        """Paragraphs and bullets up to the first stage heading, the empty state dropped."""
        notes = []
        while self.peek() and not self.is_band() and not self.stopped():
            line = self.take()
            try:
                self.check_range_shape(line)
            except _Problem as problem:
                self.problems.append((problem.line, problem.what))
            bullet = line.bullet
            if line.text in NO_MATCHES:
                continue
            notes.append(TextNote(line.text) if bullet is None else TextNote(bullet, True))
        return notes

    def entries(self) -> list[TextEntry]:
        """Stages and their entries to the end of the text."""
        entries: list[TextEntry] = []
        stage = ""
        while self.peek() and not self.stopped():
            if self.is_band() and self.is_band(1):
                stage = self.take().text
                continue
            try:
                if not stage:
                    raise _Problem(
                        self.peek().number,
                        "expected a stage heading: an age range label followed by the "
                        "first entry's own age range label",
                    )
                entries.append(self.entry(stage))
            except _Problem as problem:
                self.problems.append((problem.line, problem.what))
                self.skip_to_band()
            if len(entries) > MAX_ENTRIES:
                self.problems.append(
                    (entries[-1].line, f"expected at most {MAX_ENTRIES:,} entries")
                )
                break
        return entries

    def stopped(self) -> bool:
        """Whether so many problems are found that reading stops (MAX_PROBLEMS)."""
        if len(self.problems) < MAX_PROBLEMS:
            return False
        self.problems.append((self.where_next(), STOPPED))
        return True

    def skip_to_band(self) -> None:
        self.at += 1
        while self.peek() and not self.is_band():
            self.at += 1

    def entry(self, stage: str) -> TextEntry:
        band = self.take()
        tag = self.take_tag()
        if not self.is_content():
            raise _Problem(self.where_next(), "expected the rationale after the age range")
        rationale = self.take()
        self.check_range_shape(rationale)
        criteria, service = self.take_criteria_and_service(rationale)
        if self.peek() and self.peek().text == service:
            self.at += 1  # the service written twice in a row is one service
        return TextEntry(
            stage=stage,
            band=band.text,
            rationale=rationale.text,
            service=service,
            tag=tag,
            criteria=criteria,
            interventions=self.take_interventions(),
            line=band.number,
        )

    def where_next(self) -> int:
        line = self.peek()
        return line.number if line else self.last_number()

    def take_tag(self) -> str:
        """The line after the band label, when it is a tag (see the module's rules)."""
        if not self.is_content() or not self.is_content(1):
            return ""
        text, after = self.peek().text, self.peek(1).text
        if text in self.tags or (
            text not in self.services
            and looks_like_name(text)
            and after not in self.services
            and not looks_like_name(after)
        ):
            self.at += 1
            return text
        return ""

    def take_criteria_and_service(self, rationale: _Line) -> tuple[str, str]:
        """The service one or two lines after the rationale; a line between is the criteria."""
        first = self.peek().text if self.is_content() else None
        second = self.peek(1).text if first is not None and self.is_content(1) else None
        for known in (self.services.__contains__, looks_like_name):
            if first is not None and known(first):
                return "", self.take().text
            if second is not None and known(second):
                self.check_range_shape(self.peek())
                return self.take().text, self.take().text
        raise _Problem(
            self.where_next(),
            "expected the service (a name such as “Health Visiting”, with no full stop) on the "
            "line after the rationale, or after its criteria",
        )

    def take_interventions(self) -> list[TextIntervention]:
        """Paragraphs, each with the bullets under it, up to the next age range label."""
        interventions: list[TextIntervention] = []
        after_bullet = False
        while self.peek() and not self.is_band():
            line = self.take()
            self.check_range_shape(line)
            bullet = line.bullet
            if bullet is None:
                interventions.append(TextIntervention(line.text))
            elif not bullet:
                raise _Problem(line.number, "expected the bullet point's text after its mark")
            elif not interventions or (after_bullet and line.after_blank):
                interventions.append(TextIntervention("", [bullet]))
            else:
                interventions[-1].bullets.append(bullet)
            after_bullet = bullet is not None
        return interventions


def _named_range(entry: TextEntry) -> tuple[int, int] | None:
    """The age range an "As above in 1 - 3 years age range plus:" intervention names."""
    for intervention in entry.interventions:
        if _AS_ABOVE.match(intervention.text):
            words = intervention.text.split()
            for start in range(len(words)):
                for end in range(start + 1, min(start + 6, len(words)) + 1):
                    named = band_range(" ".join(words[start:end]))
                    if named is not None:
                        return named
    return None


def propose_repeats(entries: list[TextEntry]) -> None:
    """Sets `repeats` on each entry whose "As above" intervention names an age range: the
    nearest earlier entry with the same rationale and service whose band or stage is that
    range (entry 170 "As above in 1 - 3 years" repeats entry 140, not 150 or 160)."""
    for index, entry in enumerate(entries):
        named = _named_range(entry)
        if named is None:
            continue
        for earlier in range(index - 1, -1, -1):
            other = entries[earlier]
            if (other.rationale, other.service) == (entry.rationale, entry.service) and named in (
                band_range(other.band),
                band_range(other.stage),
            ):
                entry.repeats = earlier
                break


def read_page_text(
    text: str, *, services: Iterable[str] = (), tags: Iterable[str] = ()
) -> PageText:
    """A pathway's page text read into a PageText. `services` and `tags` are the names the
    caller knows; a new name is read by its shape. PageTextError lists every problem found."""
    lines, stray = _lines(text)
    reader = _Reader(lines, services, tags)
    title = reader.title()
    notes = reader.notes()
    entries = reader.entries()
    if reader.problems:
        raise PageTextError(list(dict.fromkeys(reader.problems)))
    propose_repeats(entries)
    return PageText(title=title, notes=notes, entries=entries, stray=stray)


def _note_blocks(notes: list[TextNote]) -> list[list[str]]:
    """Each paragraph a block; consecutive bullets one block, as the page lists them."""
    blocks: list[list[str]] = []
    for index, note in enumerate(notes):
        if note.is_bullet and index and notes[index - 1].is_bullet:
            blocks[-1].append(BULLET + note.text)
        else:
            blocks.append([BULLET + note.text] if note.is_bullet else [note.text])
    return blocks


def _entry_blocks(entry: TextEntry) -> list[list[str]]:
    lines = [entry.band, entry.tag, entry.rationale, entry.criteria, entry.service]
    blocks = [[line] for line in lines if line]
    for intervention in entry.interventions:
        if intervention.text:
            blocks.append([intervention.text])
        if intervention.bullets:
            blocks.append([BULLET + bullet for bullet in intervention.bullets])
    return blocks


def write_page_text(page: PageText) -> str:
    """The page text a browser copy of the pathway's page gives: the page's controls, the
    title, the notes, the empty state, each stage's heading once, then its entries; a blank
    line between blocks. Non-breaking spaces are written as the spaces they read as."""
    blocks = [list(PAGE_CONTROLS), [page.title], *_note_blocks(page.notes)]
    blocks += [[sentence] for sentence in NO_MATCHES]
    stage = None
    for entry in page.entries:
        if entry.stage != stage:
            blocks.append([entry.stage])
            stage = entry.stage
        blocks += _entry_blocks(entry)
    text = "\n\n".join("\n".join(block) for block in blocks) + "\n"
    return text.replace(NBSP, " ")
