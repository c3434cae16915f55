"""Grows a database holding the real fixtures into the benchmark's data set: 50 pathways and
10,000 entries with their interventions, the same every time (fixed random seed).

    DATABASE_URL=... python bench/generate.py [--pathways 50] [--entries 10000]

The generated pathways use the real stages, age bands, services and tags, so every filter
of the pathway browser has something to find.
"""

import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from pathways.models import (  # noqa: E402
    AgeBand,
    Entry,
    Intervention,
    Pathway,
    ReadingNote,
    Service,
    Stage,
    Status,
    Tag,
)
from pathways.operations.caching import bump_content_version  # noqa: E402

# The generated text is made of words a practitioner might search for.
VOCABULARY = """
assess support parent infant attachment bonding feeding sleep crying mood anxiety relationship
family home visit review refer discuss observe record plan offer share information wellbeing
development play language safety routine responsive warmth emotional availability perinatal
mental health service early help massage reading concerns needs strengths community group
midwife practitioner consent
"""
WORDS = VOCABULARY.split()


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def generate(pathway_count: int, entry_count: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    stages = list(Stage.objects.all())
    bands = list(AgeBand.objects.all())
    services = list(Service.objects.all())
    tags = [None, None, *Tag.objects.all()]
    bands_for = {stage.pk: [b for b in bands if b.overlaps(stage)] for stage in stages}

    existing_pathways = Pathway.objects.count()
    existing_entries = Entry.objects.count()
    new_pathways = Pathway.objects.bulk_create(
        Pathway(
            title=f"Bench pathway {n:02d}",
            slug=f"bench-pathway-{n:02d}",
            summary=sentence(rng, 8, 14),
            position=100 + n,
            # Published, as live content is: practitioners never see drafts.
            status=Status.PUBLISHED,
        )
        for n in range(1, pathway_count - existing_pathways + 1)
    )
    ReadingNote.objects.bulk_create(
        ReadingNote(pathway=p, position=n, text=sentence(rng, 10, 20), is_bullet=n > 1)
        for p in new_pathways
        for n in (1, 2, 3)
    )

    to_make = entry_count - existing_entries
    entries = []
    for i in range(to_make):
        pathway = new_pathways[i % len(new_pathways)]
        stage = rng.choice(stages)
        entries.append(
            Entry(
                pathway=pathway,
                position=10 * (i // len(new_pathways) + 1),
                number=10 * (i // len(new_pathways) + 1),
                stage=stage,
                age_band=rng.choice(bands_for[stage.pk]),
                tag=rng.choice(tags),
                service=rng.choice(services),
                rationale=sentence(rng, 6, 16),
                criteria=sentence(rng, 10, 20) if rng.random() < 0.3 else "",
                status=Status.PUBLISHED,
            )
        )
    entries = Entry.objects.bulk_create(entries, batch_size=2000)

    interventions = []
    for entry in entries:
        for position in range(1, rng.randint(0, 4) + 1):
            bullets = "\n".join(sentence(rng, 3, 8) for _ in range(rng.randint(2, 5)))
            interventions.append(
                Intervention(
                    entry=entry,
                    position=position,
                    text=sentence(rng, 8, 25),
                    bullets=bullets if rng.random() < 0.35 else "",
                )
            )
    Intervention.objects.bulk_create(interventions, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pathways", type=int, default=50)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    with transaction.atomic():
        generate(args.pathways, args.entries)
    # Bulk inserts send no signals: say the content changed, or pages built before would stay.
    bump_content_version()
    print(
        f"{Pathway.objects.count()} pathways, {Entry.objects.count()} entries, "
        f"{Intervention.objects.count()} interventions"
    )


if __name__ == "__main__":
    main()
