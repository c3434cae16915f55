"""CPU time per request in the app, which other work on the machine barely moves.

Run by bench/bench.py against the benchmark database with the production settings: each
URL is requested in-process through Django's test client (the whole middleware stack, no
HTTP server) and the process's own CPU time is divided by the number of requests. Time
PostgreSQL spends is in another process and is not counted; wall-clock time is printed
beside it. Prints one JSON object.
"""

import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

# Words practitioners search for, one per request in turn (a search marks its own cards, so
# none is reused).
SEARCHES = ["sleep", "feeding", "bonding", "massage", "mood", "visit", "cry", "play", "father"]


def address(path: str, vary: str, n: int) -> str:
    """The n-th request's address: `vary` "child" gives it a different date of birth (as
    bench/distinct.lua does), "address" a parameter the page ignores, "search" a search."""
    if vary == "child":
        born = date.today() - timedelta(days=(n * 7 + 3) % 1800)
        return f"{path}&dob={born.isoformat()}&n=cpu-{n}"
    if vary == "address":
        return f"{path}&n=cpu-{n}"
    if vary == "search":
        return f"{path}&q={SEARCHES[n % len(SEARCHES)]}&n=cpu-{n}"
    return path


def measure(client: Client, path: str, headers: dict, count: int, vary: str) -> dict:
    def get(n: int):
        url = address(path, vary, n)
        response = client.get(url, headers=headers, secure=True)
        assert response.status_code == 200, (url, response.status_code)

    for n in range(10):
        get(-n - 1)
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(count):
        get(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    # Counted in a pass of their own: capturing queries costs time.
    with CaptureQueriesContext(connection) as queries:
        for n in range(count, count + 20):
            get(n)
    return {
        "cpu_ms": round(cpu / count * 1000, 2),
        "wall_ms": round(wall / count * 1000, 2),
        "queries": len(queries) / 20,
        "requests": count,
    }


def main() -> None:
    urls = json.loads(sys.argv[1])  # [[name, path, htmx, vary, count], ...]
    client = Client()
    results = {}
    for name, path, htmx, vary, count in urls:
        headers = {"HX-Request": "true"} if htmx else {}
        results[name] = measure(client, path, headers, count, vary)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
