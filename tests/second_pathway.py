"""A second pathway for tests of several pathways: the fixtures' published stub "Parental
Mental Health and Wellbeing" given a variant of seed 000's page text (its first entries, the
rationales in parental words), imported through the admin's own path: a pending import by one
person, approved by another. No clinical content is shipped: this is test data only."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model

from pathways.editing.importing import propose_import, read_text
from pathways.editing.page_text import write_page_text
from pathways.models import Pathway

PARENTAL = "parental-mental-health-and-wellbeing"
PARENTAL_TITLE = "Parental Mental Health and Wellbeing"
PARENTAL_URL = f"/pathways/{PARENTAL}/"
SEED_000 = Path(__file__).parent / "data" / "000_daf425ab71d75f66.txt"


def parental_variant(text: str) -> str:
    """A rationale of the IMH pathway, in words of the parental pathway."""
    return "Parental wellbeing: " + text.replace("Infant", "Parental").replace("infant", "parent")


def parental_page_text(count: int) -> str:
    """Seed 000's page text made the parental pathway's: its title, no reading notes, its
    first `count` entries with their rationales in parental words."""
    page = read_text(SEED_000.read_text(encoding="utf-8"))
    page.title = PARENTAL_TITLE
    page.notes = []
    page.entries = page.entries[:count]
    for entry in page.entries:
        entry.rationale = parental_variant(entry.rationale)
        entry.repeats = None
    return write_page_text(page)


def give_entries(publisher, *, count: int = 6) -> Pathway:
    """Imports the variant text into the stub pathway as another person's pending import,
    which `publisher`, who wrote none of it, approves. Returns the pathway."""
    text = parental_page_text(count)
    proposer, _ = get_user_model().objects.get_or_create(
        username="parental-importer", defaults={"is_staff": True}
    )
    change = propose_import(read_text(text), PARENTAL, user=proposer, text=text)
    change.approve(publisher)
    return Pathway.objects.get(slug=PARENTAL)
