"""Search latency on PostgreSQL at 10,000 entries, with and without the GIN index.

Creates its own database (pathways_bench_search), loads the fixtures, adds 10,000 generated
entries (three interventions each, text recombined from the seed's own sentences), then
times the browser's search query for several searches, first with the index and then with
it dropped. Prints a Markdown table for docs/benchmarks.md. Run with `make bench-search`.

Needs a PostgreSQL server and a role that may create databases, given by BENCH_ADMIN_URL
(default postgres://pathways:pathways@127.0.0.1:5432/postgres).
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_URL", "postgres://pathways:pathways@127.0.0.1:5432/postgres"
)
DATABASE = "pathways_bench_search"
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "10000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "30"))
SEARCHES = ["massage", "visits", '"infant massage"', "bonding -fathers", "support", "xylophone"]


def recreate_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def generate(pathway_slug: str = "search-benchmark") -> "object":
    from django.core.management import call_command

    from pathways.models import AgeBand, Entry, Intervention, Pathway, Service, Stage, Tag

    call_command("migrate", verbosity=0)
    call_command(
        "loaddata", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.json")), verbosity=0
    )
    sentences = [e.rationale for e in Entry.objects.all()] + [
        line for i in Intervention.objects.all() for line in [i.text, *i.bullet_points] if line
    ]
    rng = random.Random(2026)
    # A realistic spread: most text is other pathways' vocabulary (made-up words here), so a
    # clinical term is rare and selective, as it would be across 50 pathways.
    syllables = [
        "ba",
        "ce",
        "di",
        "fo",
        "gu",
        "ha",
        "ji",
        "ko",
        "lu",
        "me",
        "ni",
        "po",
        "ra",
        "se",
        "ti",
        "vo",
        "wa",
        "ye",
        "zu",
        "shi",
        "tho",
        "pra",
        "gle",
        "mon",
        "ter",
    ]
    vocabulary = list(
        {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(30000)}
    )
    stages, bands = list(Stage.objects.all()), list(AgeBand.objects.all())
    services, tags = list(Service.objects.all()), [None, *Tag.objects.all()]
    pathway = Pathway.objects.create(title="Search benchmark", slug=pathway_slug)

    def sentence() -> str:
        # One in twenty is a sentence of the seed; the rest other pathways' words.
        if rng.random() < 0.05:
            return rng.choice(sentences)
        return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(6, 18))) + "."

    entries = Entry.objects.bulk_create(
        Entry(
            pathway=pathway,
            position=n,
            number=n,
            stage=rng.choice(stages),
            age_band=rng.choice(bands),
            tag=rng.choice(tags),
            service=rng.choice(services),
            rationale=sentence(),
            criteria=sentence() if rng.random() < 0.3 else "",
        )
        for n in range(1, ENTRIES + 1)
    )
    Intervention.objects.bulk_create(
        (
            Intervention(
                entry=entry,
                position=k,
                text=sentence(),
                bullets="\n".join(sentence() for _ in range(rng.randint(0, 4))),
            )
            for entry in entries
            for k in (1, 2, 3)
        ),
        batch_size=2000,
    )
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return pathway


def timed(function) -> list[float]:
    function()  # warm the cache: we measure the query, not the first disk read
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def measure(pathway) -> dict[str, tuple[int, float, float]]:
    from pathways.models import Entry

    results = {}
    for q in SEARCHES:

        def run(q=q):
            return list(Entry.objects.for_browser(pathway).search(q).values_list("pk", "rank"))

        samples = timed(run)
        quantiles = statistics.quantiles(samples, n=20)
        results[q] = (len(run()), statistics.median(samples), quantiles[18])
    return results


def main() -> None:
    setup_django(recreate_database())
    from django.db import connection

    started = time.perf_counter()
    pathway = generate()
    print(
        f"Generated {ENTRIES:,} entries in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )
    with_index = measure(pathway)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN ANALYZE SELECT id FROM pathways_entry "
            "WHERE search_vector @@ websearch_to_tsquery('english', 'massage')"
        )
        plan_with = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DROP INDEX entry_search_vector_gin")
        cursor.execute("ANALYZE pathways_entry")
    without_index = measure(pathway)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN ANALYZE SELECT id FROM pathways_entry "
            "WHERE search_vector @@ websearch_to_tsquery('english', 'massage')"
        )
        plan_without = "\n".join(row[0] for row in cursor.fetchall())

    print(
        f"Search over {ENTRIES:,} generated entries in one pathway (plus the 19 of the seed); "
        f"{REPEATS} runs each, milliseconds.\n"
    )
    print("| search | matches | p50 with GIN | p95 with GIN | p50 without | p95 without |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for q in SEARCHES:
        count, p50, p95 = with_index[q]
        _, p50_no, p95_no = without_index[q]
        print(f"| `{q}` | {count:,} | {p50:.1f} | {p95:.1f} | {p50_no:.1f} | {p95_no:.1f} |")
    print("\nPlan with the index:\n\n```\n" + plan_with + "\n```\n")
    print("Plan without it:\n\n```\n" + plan_without + "\n```")


if __name__ == "__main__":
    main()
