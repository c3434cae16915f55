"""The service worker at the limit (issue 23, "Fast at the limit"): each static file is
cached once, by the name pages use; pages come with navigation preload and, when the network
is slower than the worker's timeout, the saved copy says when it was saved; a pathway is
fetched again only when the content version changed. The search tables are a file of their
own under the content version, kept for good and compressed, not part of the page."""

import gzip
import json
import re
import threading

import pytest
from django.core.signals import request_started
from django.test import Client
from playwright.sync_api import Page, expect

from pathways.offline import views
from pathways.operations.caching import bump_content_version, content_version

from ..conftest import IMH_URL
from ..pagetext import element
from .test_offline import NOTICE, open_and_save

GZIP = {"Accept-Encoding": "gzip"}


def rules(client: Client, url: str = IMH_URL) -> dict:
    return json.loads(element(client.get(url).content.decode(), "offline-rules").content)


def shell(client: Client) -> list[str]:
    script = client.get("/service-worker.js").content.decode()
    return json.loads(re.search(r"const SHELL = (\[.*?\]);", script)[1])


# Without a browser. -------------------------------------------------------------------------


def test_the_tables_are_a_file_under_the_content_version_kept_for_good_and_compressed(client, imh):
    url = rules(client)["tables_url"]
    assert url == f"{IMH_URL}offline-{content_version()}.json"
    assert client.get(IMH_URL)["Offline-Tables"] == url
    plain, packed = client.get(url), client.get(url, headers=GZIP)
    assert plain.status_code == 200 and plain["Content-Type"] == "application/json"
    control = {part.strip() for part in plain["Cache-Control"].split(",")}
    assert control == {"public", "max-age=31536000", "immutable"}
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert {"search", "age_words", "age_sentences", "calendar_words", "empty_state"} <= set(
        json.loads(plain.content)
    )
    # An address of an earlier version leads to the current one; no pathway, no tables.
    old = client.get(f"{IMH_URL}offline-0123456789abcdef.json")
    assert old.status_code == 302 and old["Location"] == url
    assert old["Cache-Control"] == "no-cache"
    assert client.get("/pathways/no-such-pathway/offline-x.json").status_code == 404
    # A filtered page names no tables: it is not filtered in the browser.
    assert "Offline-Tables" not in client.get(IMH_URL + "?age=10w")


def test_the_pathway_page_keeps_only_the_small_rules(client, imh):
    html = client.get(IMH_URL).content.decode()
    page_rules = element(html, "offline-rules").content
    tables = client.get(rules(client)["tables_url"]).content
    assert len(page_rules) < 12_000 < 100_000 < len(tables)
    assert len(html) < 80_000


def test_each_static_file_a_page_uses_is_kept_once_by_the_name_the_page_uses(client, imh):
    """Read from base.html, so a stylesheet renamed or added there is never missed."""
    kept = shell(client)
    assert len(kept) == len(set(kept))
    for url in ("/", IMH_URL):
        html = client.get(url).content.decode()
        linked = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        linked += re.findall(r'<script type="module" src="([^"]+)"', html)
        assert linked and set(linked) <= set(kept), url
    assert "/static/pathways/offline.js" in kept


def test_the_worker_waits_three_seconds_for_a_page(client, imh):
    script = client.get("/service-worker.js").content.decode()
    assert "const NETWORK_TIMEOUT_MS = 3000;" in script
    assert views.NETWORK_TIMEOUT_SECONDS == 3


# In a browser. ------------------------------------------------------------------------------


class Requests:
    """The addresses the live server is asked for from now on, and those asked for by
    navigation preload; a request for the path `held` waits until `go` is set."""

    def __init__(self):
        self.paths: list[str] = []
        self.preloaded: list[str] = []
        self.held, self.go = None, threading.Event()
        request_started.connect(self.started, weak=False, dispatch_uid="test-requests")

    def started(self, environ, **kwargs):
        path, query = environ["PATH_INFO"], environ.get("QUERY_STRING", "")
        self.paths.append(f"{path}?{query}" if query else path)
        if environ.get("HTTP_SERVICE_WORKER_NAVIGATION_PRELOAD"):
            self.preloaded.append(self.paths[-1])
        if path == self.held:
            self.go.wait(timeout=15)

    def close(self):
        self.go.set()
        request_started.disconnect(dispatch_uid="test-requests")


@pytest.fixture
def requests():
    seen = Requests()
    yield seen
    seen.close()


def worker_cache(page: Page, prefix: str) -> list[str]:
    return page.evaluate(
        """async (prefix) => {
          const urls = [];
          for (const name of (await caches.keys()).filter((n) => n.startsWith(prefix))) {
            const cache = await caches.open(name);
            urls.push(...(await cache.keys()).map((request) => new URL(request.url).pathname));
          }
          return urls;
        }""",
        prefix,
    )


@pytest.mark.browser
def test_each_file_is_cached_once_and_pages_come_with_navigation_preload(
    page: Page, live_imh, requests
):
    open_and_save(page, live_imh)
    kept = worker_cache(page, "pathways-static-")
    assert sorted(kept) == sorted(set(kept)) == sorted(shell(Client()))
    state = page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.navigationPreload.getState())"
    )
    assert state["enabled"] is True
    page.goto(live_imh + "?age=10w")
    expect(page.locator("#result-count")).to_have_text("Showing 6 of 19 rationales")
    # Asked for once, by the preload the worker enabled.
    assert requests.paths.count(IMH_URL + "?age=10w") == 1
    assert requests.preloaded == [IMH_URL + "?age=10w"]


@pytest.mark.browser
def test_a_slow_network_gives_the_saved_copy_saying_when_it_was_saved(
    page: Page, live_imh, requests
):
    open_and_save(page, live_imh)
    requests.held = IMH_URL
    # An address the browser's HTTP cache does not hold, so the request reaches the server.
    page.goto(live_imh + "?q=")
    # After the worker's 3 s the saved copy, marked, with the network still waiting.
    expect(page.locator(".offline-notice p").first).to_have_text(NOTICE, timeout=8_000)
    assert page.evaluate("document.documentElement.dataset.offlineCopy")
    expect(page.locator("#result-count")).to_have_text("Showing 19 of 19 rationales")
    # The network answers after all: the copy stays, still filters, and the answer is saved.
    requests.go.set()
    page.get_by_label("Primary Care & GP").check()
    expect(page.locator("#result-count")).to_have_text("Showing 1 of 19 rationales")
    expect(page.locator(".offline-notice p").first).to_have_text(NOTICE)


@pytest.mark.browser
def test_a_pathway_is_fetched_again_only_when_the_content_version_changed(
    page: Page, live_imh, requests
):
    open_and_save(page, live_imh)
    tables = rules(Client())["tables_url"]
    requests.paths.clear()
    page.goto(live_imh + "?service=health-visiting")
    expect(page.locator("html")).to_have_attribute("data-offline-saved", "yes")
    # The visit itself and nothing in the background: no pathway, tables or home page (the
    # browser's own check for a new worker, and the manifest, aside).
    browsers = ("/static/", "/service-worker.js", "/manifest.webmanifest")
    asked = [path for path in requests.paths if not path.startswith(browsers)]
    assert asked == [IMH_URL + "?service=health-visiting"], asked

    bump_content_version()
    requests.paths.clear()
    # Another address: the browser may keep a page it was given for PAGE_MAX_AGE (30 s).
    page.goto(live_imh + "?service=primary-care-gp")
    expect(page.locator("html")).to_have_attribute("data-offline-saved", "yes")
    new_tables = rules(Client())["tables_url"]
    assert new_tables != tables
    assert {IMH_URL, new_tables, "/"} <= set(requests.paths), requests.paths
    saved = worker_cache(page, "pathways-saved-")
    # The earlier version's tables are gone.
    assert new_tables in saved and tables not in saved
