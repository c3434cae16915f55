"""A word-level diff for the history page: an editor sees which words of a long clinical
paragraph changed, not two near-identical paragraphs side by side."""

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Words, and the spaces and line breaks between them, as separate tokens.
TOKENS = re.compile(r"\s+|[^\s]+")


def _html(tokens: list[str]) -> str:
    return escape("".join(tokens)).replace("\n", "<br>")


def word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both texts as HTML, the removed words in <del>, the added ones in <ins>."""
    old_tokens, new_tokens = TOKENS.findall(old or ""), TOKENS.findall(new or "")
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    before, after = [], []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            before.append(_html(old_tokens[a1:a2]))
            after.append(_html(new_tokens[b1:b2]))
            continue
        if a2 > a1:
            before.append(f"<del>{_html(old_tokens[a1:a2])}</del>")
        if b2 > b1:
            after.append(f"<ins>{_html(new_tokens[b1:b2])}</ins>")
    return mark_safe("".join(before)), mark_safe("".join(after))  # both escaped in _html
