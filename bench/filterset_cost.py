"""What one EntryFilter costs, in CPU milliseconds: built and read as the pathway page reads
it, for many distinct query strings (as many practitioners asking different things, no two
alike), with the options and glossary passed in as the page passes them. Printed twice:
the filterset alone, and with its queryset made as well (`qs`, not run; a search runs the
glossary's queries, the same whatever the filterset is made of).
Usage: `bench/filterset_cost.py [count]`, with DATABASE_URL pointing at a loaded database.
"""

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.http import QueryDict  # noqa: E402

from pathways import ages  # noqa: E402
from pathways.browsing.views import age_bands  # noqa: E402
from pathways.filters import EntryFilter, filter_options  # noqa: E402
from pathways.models import Entry, Pathway  # noqa: E402
from pathways.search import load_glossary  # noqa: E402

AGES = ["10d", "3w", "6w", "9w", "3m", "5m", "7m", "10m", "1y", "1y6m", "2y", "3y", "4y"]
WORDS = ["sleep", "feeding", "massage", "crying", "bonding", '"health visitor"', "-sleep"]
REPEATS = 7


def query_strings(options, count: int, seed: int) -> list[str]:
    """`count` distinct query strings: an age or a date of birth (sometimes born early),
    and sometimes a stage, service, tag or search words."""
    stages, services, tags = ([o.slug for o in kind] for kind in options)
    pick = random.Random(seed)
    today = ages.uk_today()
    found: set[str] = set()
    while len(found) < count:
        pairs = []
        if pick.random() < 0.5:
            pairs.append(("age", pick.choice(AGES)))
        else:
            born = today - timedelta(days=pick.randrange(1, 5 * 365))
            pairs.append(("dob", born.strftime(pick.choice(["%d/%m/%Y", "%Y-%m-%d"]))))
        if pick.random() < 0.2:
            pairs.append(("born_at_weeks", f"{pick.randrange(24, 37)}+{pick.randrange(7)}"))
        for name, slugs in (("stage", stages), ("service", services), ("tag", tags)):
            if slugs and pick.random() < 0.3:
                pairs += [(name, slug) for slug in pick.sample(slugs, pick.randint(1, 2))]
        if pick.random() < 0.3:
            pairs.append(("q", pick.choice(WORDS)))
        found.add(urlencode(pairs))
    return sorted(found, key=lambda _: pick.random())


def read_as_the_page_does(data, entries, options, glossary, bands) -> EntryFilter:
    filterset = EntryFilter(data, queryset=entries, options=options, glossary=glossary)
    filterset.search_text  # noqa: B018 (read as the page reads it)
    filterset.meaning(bands)
    filterset.child_age  # noqa: B018
    filterset.form.errors.get("age")
    for name in ("stage", "service", "tag"):
        filterset.chosen(name)
    filterset.unrecognised()
    filterset.active()
    return filterset


def with_queryset(data, entries, options, glossary, bands) -> None:
    read_as_the_page_does(data, entries, options, glossary, bands).qs  # noqa: B018


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    pathway = Pathway.objects.get(slug="infant-mental-health")
    entries = Entry.objects.published().for_browser(pathway)
    options = filter_options(entries)
    glossary = load_glossary()
    bands = age_bands(entries)
    queries = iter(query_strings(options, count * (REPEATS + 1) * 2, seed=22))
    for read in (read_as_the_page_does, with_queryset):
        runs = []
        for repeat in range(REPEATS + 1):
            datas = [QueryDict(next(queries)) for _ in range(count)]
            start = time.process_time()
            for data in datas:
                read(data, entries, options, glossary, bands)
            if repeat:  # the first pass warms up
                runs.append((time.process_time() - start) / count * 1000)
        print(
            f"{read.__name__}: {count} distinct query strings per run, {REPEATS} runs: "
            f"best {min(runs):.3f} ms, median {statistics.median(runs):.3f} ms CPU per filterset"
        )


if __name__ == "__main__":
    main()
