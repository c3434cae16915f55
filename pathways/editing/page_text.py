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
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
