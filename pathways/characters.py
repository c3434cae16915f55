"""The one rule for characters no content, address or form may carry: control characters
(NUL and the rest of C0, DEL), bar tab and line breaks. The request guard, the importer and
search's own marks (\\x02, \\x03, pathways.search) all rely on it."""

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
