"""The documentation's pictures and links lead somewhere: every image a page shows is in
docs/images, and every link to another document (and its heading) exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils.text import slugify

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            found.add(slugify(line.lstrip("#").strip().replace("`", "")))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_picture_and_link_of_a_page_exists(page):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve()
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page.name} links to a missing heading {target}"


def test_the_local_guide_shows_each_step_in_pictures():
    guide = (DOCS / "local.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]+\]\((images/local-[^)]+)\)", guide)
    assert len(pictures) == 5
    assert all((DOCS / picture).stat().st_size > 5_000 for picture in pictures)
