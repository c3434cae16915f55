"""The screenshots in docs/images, taken in Chromium from a running server:

    .venv/bin/python scripts/docs_screenshots.py http://127.0.0.1:8000

The phone page after entering an age, the pathway in one picture at 375 and 1280 px, and the
printed visit checklist's first page: its picture, then the first rationales (page.pdf, then
pdftoppm)."""

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def main(server: str) -> None:
    pathway = f"{server.rstrip('/')}/pathways/infant-mental-health/"
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        phone = browser.new_page(viewport={"width": 375, "height": 812})
        phone.goto(pathway)
        phone.get_by_label("Child's age").fill("10 weeks")
        phone.get_by_label("Child's age").press("Enter")
        expect(phone.locator("#result-count")).to_be_focused()
        phone.screenshot(path=IMAGES / "phone-after-age.png")
        phone.get_by_text("The pathway in one picture").click()
        phone.locator(".timeline").screenshot(path=IMAGES / "timeline-375.png")

        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        desktop.goto(pathway + "?age=14w&born_at_weeks=32")
        desktop.locator(".timeline").screenshot(path=IMAGES / "timeline-1280.png")

        desktop.goto(pathway + "checklist/?age=14w&born_at_weeks=32")
        desktop.emulate_media(media="print")
        with tempfile.TemporaryDirectory() as folder:
            pdf = Path(folder) / "checklist.pdf"
            desktop.pdf(path=pdf, format="A4", prefer_css_page_size=True)
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "70",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    pdf,
                    IMAGES / "checklist-print",
                ],
                check=True,
            )
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
