"""The screenshots in docs/images, taken in Chromium from a running server:

    .venv/bin/python scripts/docs_screenshots.py http://127.0.0.1:8000

The phone page after entering an age, the pathway in one picture at 375 and 1280 px, the
printed visit checklist's first page: its picture, then the first rationales (page.pdf, then
pdftoppm), and the admin's import of a pathway's page text: its word diff and its preview.
The import needs an editor's sign-in, from DOCS_EDITOR and DOCS_EDITOR_PASSWORD (without them
it is left out):

    DOCS_EDITOR_PASSWORD=... .venv/bin/python manage.py createstaff --editor docs \
        --password-from-env DOCS_EDITOR_PASSWORD
    DOCS_EDITOR=docs DOCS_EDITOR_PASSWORD=... .venv/bin/python scripts/docs_screenshots.py URL

Setting up an area (docs/local.md) needs a national publisher too, DOCS_PUBLISHER, with the
same password, and DOCS_LOCAL=1: a national editor adds the example area "North Example", the
publisher publishes it, a local editor and a local publisher are made for it (createstaff, on
the server's database), the local editor adds a service marked "Example, not a real service",
the local publisher publishes it, and a health visitor finds it on a phone. Run it on a
database made for the screenshots, never one in use: the area is an example, not a real one.

    DOCS_LOCAL=1 DOCS_EDITOR=docs DOCS_PUBLISHER=docs-publisher DOCS_EDITOR_PASSWORD=... \
        .venv/bin/python scripts/docs_screenshots.py URL"""

import os
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
        if os.environ.get("DOCS_IMPORT_ONLY"):  # the import's pictures alone
            import_preview(browser, server.rstrip("/"))
            return
        if os.environ.get("DOCS_LOCAL"):  # setting up an area (docs/local.md) alone
            local_area(browser, server.rstrip("/"))
            return
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
        if os.environ.get("DOCS_EDITOR"):
            import_preview(browser, server.rstrip("/"))
        browser.close()


def signed_in(browser, server: str, username: str, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{server}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(os.environ["DOCS_EDITOR_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    return page


def publish_all(page, changelist: str) -> None:
    """A publisher ticks every row of a list and publishes them."""
    page.goto(changelist)
    page.locator("#action-toggle").check()
    page.get_by_label("Action:").select_option("publish")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("published")


def local_area(browser, server: str) -> None:
    """Setting up the example area North Example, step by step as docs/local.md tells it."""
    editor = signed_in(browser, server, os.environ["DOCS_EDITOR"])
    editor.goto(f"{server}/admin/pathways/area/add/")
    editor.get_by_label("Name").fill("North Example")
    editor.get_by_label("Name").press("Tab")  # the slug is made from the name
    editor.screenshot(path=IMAGES / "local-area-add.png")
    editor.get_by_role("button", name="Save", exact=True).click()
    publish_all(
        signed_in(browser, server, os.environ["DOCS_PUBLISHER"]), f"{server}/admin/pathways/area/"
    )
    for role, name in (("--local-editor", "docs-local"), ("--local-publisher", "docs-local-lead")):
        subprocess.run(
            [
                sys.executable,
                ROOT / "manage.py",
                "createstaff",
                role,
                name,
                "--area",
                "north-example",
                "--password-from-env",
                "DOCS_EDITOR_PASSWORD",
            ],
            check=True,
        )
    local = signed_in(browser, server, "docs-local")
    local.goto(f"{server}/admin/pathways/localservice/add/")
    local.get_by_label("Area").select_option(label="North Example")
    local.get_by_label("Name").fill("North Example Perinatal Mental Health Team")
    local.get_by_label("What it offers").fill(
        "Assessment and care for parents with serious mental illness in pregnancy and the "
        "first year, including admission with their baby to the Mother and Baby Unit."
    )
    local.get_by_label("Is example").check()
    local.get_by_label("Serves these entries").select_option(
        label=next(
            text
            for text in local.get_by_label("Serves these entries")
            .locator("option")
            .all_inner_texts()
            if "care pathways in place for mother and baby" in text
        )
    )
    local.get_by_role("textbox", name="How to refer").fill(
        "Phone the perinatal mental health team's duty worker to discuss an admission."
    )
    local.get_by_label("Phone").fill("0161 496 0000")
    local.screenshot(path=IMAGES / "local-service-form.png", full_page=True)
    local.get_by_role("button", name="Save", exact=True).click()
    publish_all(
        signed_in(browser, server, "docs-local-lead"), f"{server}/admin/pathways/localservice/"
    )

    phone = browser.new_page(viewport={"width": 375, "height": 812})
    phone.goto(f"{server}/")
    phone.locator("#your-area").screenshot(path=IMAGES / "local-choose-375.png")
    phone.get_by_role("link", name="North Example").click()
    phone.get_by_role("link", name="Infant Mental Health").first.click()
    phone.get_by_label("Child's age").fill("2 weeks")
    phone.get_by_label("Child's age").press("Enter")
    expect(phone.locator("#result-count")).to_be_focused()
    phone.screenshot(path=IMAGES / "local-phone-375.png")
    card = phone.locator("#entry-10")
    card.locator("summary", has_text="Perinatal Mental Health Team").click()
    card.screenshot(path=IMAGES / "local-card-375.png")


def import_preview(browser, server: str) -> None:
    """The import of seed 000 with a typo corrected and an entry left out, previewed over the
    live pathway: the word diff per entry, and the cards as practitioners will see them."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/admin/login/")
    page.get_by_label("Username").fill(os.environ["DOCS_EDITOR"])
    page.get_by_label("Password").fill(os.environ["DOCS_EDITOR_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    seed = (ROOT / "tests" / "data" / "000_daf425ab71d75f66.txt").read_text(encoding="utf-8")
    text = seed.replace("admisisons", "admissions").replace(
        "Discharge home notification to GP and HV.\n\n", ""
    )
    page.goto(f"{server}/admin/pathways/pathway/import-text/")
    page.get_by_label("Page text").fill(text)
    page.get_by_label("Pathway slug").fill("infant-mental-health")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="What changes in")).to_be_visible()
    page.locator(".import-text__diff").screenshot(path=IMAGES / "import-diff.png")
    cards = page.locator(".import-text__cards")
    box = cards.bounding_box()  # the first cards: the rest look the same
    clip = {**box, "height": min(box["height"], 700)}
    page.screenshot(path=IMAGES / "import-preview.png", clip=clip, full_page=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
