"""Where a page's time goes: pathway pages asked for with a different child's age each time
(no two URLs alike, as practitioners ask), in-process through the whole middleware stack.
Usage: `bench/profile_pages.py [page|fragment] [count] [pathway slug]`, with DATABASE_URL
pointing at a loaded database. Prints CPU and wall milliseconds and SQL queries per request
(a first pass, not profiled), then cProfile's top functions by own and total time.
"""

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

AGES = ["10d", "3w", "6w", "9w", "3m", "5m", "7m", "10m", "1y", "1y6m", "2y", "3y", "4y"]
SERVICES = ["", "&service=health-visiting", "&service=childrens-centres-eyfs"]


def urls(slug: str, count: int) -> list[str]:
    """`count` distinct filter URLs of one pathway: ages, services and a unique day."""
    return [
        f"/pathways/{slug}/?age={AGES[n % len(AGES)]}{SERVICES[n % len(SERVICES)]}&n={n}"
        for n in range(count)
    ]


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "page"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    slug = sys.argv[3] if len(sys.argv) > 3 else "infant-mental-health"
    headers = {"HX-Request": "true"} if kind == "fragment" else {}
    client = Client()
    for url in urls(slug, 20):  # warm: templates compiled, connections open
        client.get(url + "&warm=1", headers=headers, secure=True)
    cpu, wall = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for url in urls(slug, count):
            client.get(url + "&timed=1", headers=headers, secure=True)
    print(
        f"{kind} of {slug}, {count} distinct URLs: "
        f"{(time.process_time() - cpu) / count * 1000:.2f} ms CPU, "
        f"{(time.perf_counter() - wall) / count * 1000:.2f} ms wall, "
        f"{len(queries) / count:.2f} queries per request\n"
    )
    profile = cProfile.Profile()
    profile.enable()
    for url in urls(slug, count):
        response = client.get(url, headers=headers, secure=True)
        assert response.status_code == 200, (url, response.status_code)
    profile.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(30)
        print(out.getvalue())


if __name__ == "__main__":
    main()
