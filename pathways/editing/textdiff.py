"""A word-level diff for the history page: an editor sees which words of a long clinical
paragraph changed, not two near-identical paragraphs side by side. Each change says what it
is in words too ("removed:", "added:", visually hidden), since not every screen reader
announces <del> and <ins>."""

import difflib
import re

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Words, and the spaces and line breaks between them, as separate tokens.
TOKENS = re.compile(r"\s+|[^\s]+")


def _html(tokens: list[str]) -> str:
    return escape("".join(tokens)).replace("\n", "<br>")


def _marked(tag: str, said: str, tokens: list[str]) -> str:
    """The words in <del> or <ins>, starting with what the change is, for screen readers."""
    return format_html(
        '<{}><span class="visually-hidden">{} </span>{}</{}>',
        tag,
        said,
        mark_safe(_html(tokens)),  # escaped in _html
        tag,
    )


def _whole_changes(old_tokens: list[str], opcodes: list[tuple]) -> list[tuple]:
    """The opcodes with a change that only a space keeps apart made one change, so that "Health
    Visiting" replaced by two other words reads as one removal and one addition."""
    merged: list[tuple] = []
    for index, (op, a1, a2, b1, b2) in enumerate(opcodes):
        between = 0 < index < len(opcodes) - 1 and not "".join(old_tokens[a1:a2]).strip()
        if op == "equal" and not between:
            merged.append((op, a1, a2, b1, b2))
        elif merged and merged[-1][0] == "replace":
            merged[-1] = ("replace", merged[-1][1], a2, merged[-1][3], b2)
        else:
            merged.append(("replace", a1, a2, b1, b2))
    return merged


def word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both texts as HTML, the removed words in <del>, the added ones in <ins>."""
    old_tokens, new_tokens = TOKENS.findall(old or ""), TOKENS.findall(new or "")
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    before, after = [], []
    for op, a1, a2, b1, b2 in _whole_changes(old_tokens, matcher.get_opcodes()):
        if op == "equal":
            before.append(_html(old_tokens[a1:a2]))
            after.append(_html(new_tokens[b1:b2]))
            continue
        if a2 > a1:
            before.append(_marked("del", "removed:", old_tokens[a1:a2]))
        if b2 > b1:
            after.append(_marked("ins", "added:", new_tokens[b1:b2]))
    return mark_safe("".join(before)), mark_safe("".join(after))  # both escaped in _html
