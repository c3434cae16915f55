"""What the editing tests share: a draft nobody has published."""

import pytest

from pathways.models import Entry

SECRET = "Zebracrossing draft wording"


@pytest.fixture
def draft_entry(imh):
    """A new entry an editor has written but nobody has published: birth - 6 weeks."""
    source = Entry.objects.get(pathway=imh, position=10)
    return Entry.objects.create(
        pathway=imh,
        position=15,
        stage=source.stage,
        age_band=source.age_band,
        rationale=f"{SECRET}: check the new screening tool.",
        service=source.service,
    )
