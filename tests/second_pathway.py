"""A second pathway for tests of several pathways: the fixtures' published stub "Parental
Mental Health and Wellbeing" given variants of the Infant Mental Health entries, published
through the two-person rule's gate. No clinical content is shipped: this is test data only.

`give_entries` is the one place that makes it; once the page-text importer lands it can
import a variant of seed 000's text instead, and the tests need not change."""

from __future__ import annotations

from pathways.models import Entry, Intervention, Pathway
from pathways.publishing import publish

from .integration.test_fhir import entry_like

PARENTAL = "parental-mental-health-and-wellbeing"
PARENTAL_TITLE = "Parental Mental Health and Wellbeing"
PARENTAL_URL = f"/pathways/{PARENTAL}/"


def parental_variant(text: str) -> str:
    """A rationale of the IMH pathway, in words of the parental pathway."""
    return "Parental wellbeing: " + text.replace("Infant", "Parental").replace("infant", "parent")


def give_entries(publisher, *, count: int = 6) -> Pathway:
    """Gives the stub pathway `count` draft entries copied from the IMH pathway's first ones
    (their rationales in parental words, their interventions as they are), then has
    `publisher`, who wrote none of them, publish each through the gate. Returns the pathway."""
    parental = Pathway.objects.get(slug=PARENTAL)
    sources = Entry.objects.filter(pathway__slug="infant-mental-health").order_by("position")
    for position, source in enumerate(sources[:count], start=1):
        rationale = parental_variant(source.rationale)
        entry = entry_like(
            source, parental, position, rationale, tag=source.tag, criteria=source.criteria
        )
        for i in source.interventions.all():
            Intervention.objects.create(
                entry=entry, position=i.position, text=i.text, bullets=i.bullets
            )
        publish(entry, publisher)
    return parental
