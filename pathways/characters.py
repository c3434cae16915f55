"""The one rule for characters no content, address or form may carry: control characters
(NUL and the rest of C0, DEL), bar tab and line breaks. The request guard, the importer and
search's own marks (\\x02, \\x03, pathways.search) all rely on it. And the one rule for a line of
content read from text (`line_problem`: length, control characters, markup), which the page
text and document readers, the directory CSV and local notes share."""

from __future__ import annotations

import re

# Tab, line feed and carriage return are ordinary in typed text; every other C0 character and
# DEL is not, and NUL is refused outright by PostgreSQL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

REFUSAL = (
    "contains a control character (an invisible character such as NUL), which this site "
    "does not accept. Remove it and try again."
)


def control_character(text: str) -> str | None:
    """The first control character in `text` as "U+0000", or None when there is none."""
    found = CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


# One line of content read from a text (page text, a document, a directory, local notes):
# a rationale, criteria or intervention is one paragraph.
MAX_LINE_LENGTH = 5_000
# An HTML tag or comment: content is plain text as the page shows it.
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--|<!\[CDATA\[|<![A-Za-z]")


def line_problem(raw: str) -> str | None:
    """What makes one line unreadable whatever its place: its length, a control character, a
    tag."""
    if len(raw) > MAX_LINE_LENGTH:
        return (
            f"the line is {len(raw):,} characters long; expected at most {MAX_LINE_LENGTH:,} "
            "(one paragraph)"
        )
    code = control_character(raw)
    if code:
        return f"{REFUSAL} ({code})"
    markup = _MARKUP.search(raw)
    if markup:
        return (
            f"contains markup ({markup.group()[:40]}); expected plain text as the page shows "
            "it: remove the tag"
        )
    return None
