"""What gzip saves on a page and what it costs the app (docs/benchmarks.md, issue 23).

Each page is requested in-process through Django's test client (the whole middleware stack),
plain and with `Accept-Encoding: gzip`; the CPU cost is Django's own compression of the plain
body (what GZipMiddleware does, level 6), timed with timeit, beside the time to serve the same
page again uncompressed. Usage, against a database with the fixtures loaded:

    .venv/bin/python bench/compression.py
"""

import os
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.middleware.gzip import GZipMiddleware  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils.text import compress_string  # noqa: E402

IMH = "/pathways/infant-mental-health/"
PAGES = [
    ("the child's page", IMH + "?age=10w&born_at_weeks=32", {}),
    ("the unfiltered page", IMH, {}),
    ("the child's htmx fragment", IMH + "?age=10w&born_at_weeks=32", {"HX-Request": "true"}),
]
RUNS = 200
PADDING = GZipMiddleware.max_random_bytes  # Django's random padding against BREACH


def per_call_ms(call) -> float:
    """The best of five rounds of RUNS calls, in milliseconds per call."""
    return min(timeit.repeat(call, number=RUNS, repeat=5)) / RUNS * 1000


def main() -> None:
    client = Client()
    print("| what | bytes | gzip bytes (as sent) | gzip CPU, ms | serving it again, ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, url, headers in PAGES:
        plain = client.get(url, headers=headers)
        packed = client.get(url, headers={**headers, "Accept-Encoding": "gzip"})
        assert packed["Content-Encoding"] == "gzip", name
        body = plain.content
        gzip_ms = per_call_ms(lambda body=body: compress_string(body, max_random_bytes=PADDING))
        page_ms = per_call_ms(lambda url=url, headers=headers: client.get(url, headers=headers))
        print(
            f"| {name} | {len(body):,} | {len(packed.content):,} | {gzip_ms:.2f} | {page_ms:.2f} |"
        )


if __name__ == "__main__":
    main()
