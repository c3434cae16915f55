"""Page weight: what a practitioner's phone downloads for one page, raw and compressed.

Loads the page in Debian's Chromium, lists every response from the network log, and
compresses each body with gzip (level 6, what a proxy or whitenoise would send). Usage:

    .venv/bin/python bench/page_weight.py http://127.0.0.1:8000/pathways/infant-mental-health/
"""

import gzip
import sys
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def measure(url: str) -> list[tuple[str, int, int]]:
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 812})
        responses, failed = [], []
        page.on("response", lambda response: responses.append(response))
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(url, wait_until="networkidle")
        for response in responses:
            body = response.body()
            rows.append((urlsplit(response.url).path, len(body), len(gzip.compress(body, 6))))
        rows.extend((f"{address} (failed: not served by us)", 0, 0) for address in failed)
        browser.close()
    return rows


def main() -> None:
    url = sys.argv[1]
    rows = measure(url)
    print("| resource | bytes | gzip bytes |\n| --- | ---: | ---: |")
    for name, raw, packed in rows:
        print(f"| {name} | {raw:,} | {packed:,} |")
    print(f"| **total** | **{sum(r[1] for r in rows):,}** | **{sum(r[2] for r in rows):,}** |")


if __name__ == "__main__":
    main()
