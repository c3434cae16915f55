"""Compressed responses (issue 23, "Fast at the limit"): anonymous pages and htmx fragments go
out gzipped with Vary: Accept-Encoding, their ETag and 304 unchanged; nothing private is
compressed, so no page carrying a CSRF token is (BREACH); WhiteNoise sends static files
gzipped or brotli-compressed in production, hashed names kept for good, modules included."""

import gzip
import posixpath
import re

import brotli
import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns
from pathways.models import Entry
from pathways.operations.http_caching import shared_when_anonymous

from ..conftest import HTMX, IMH_URL
from .test_http_caching import SHARED_PAGES as CACHED_PAGES
from .test_security import PRODUCTION, load_settings

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
CHILD = IMH_URL + "?age=10w&born_at_weeks=32"
SHARED_PAGES = [
    *CACHED_PAGES,
    ("child's page", CHILD, {}),
    ("child's fragment", CHILD, HTMX),
]
IDS = [name for name, _, _ in SHARED_PAGES]


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


@pytest.mark.parametrize(("name", "url", "headers"), SHARED_PAGES, ids=IDS)
def test_anonymous_pages_are_gzipped_when_the_client_accepts_it(client, imh, name, url, headers):
    plain = client.get(url, headers=headers)
    packed = client.get(url, headers={**headers, **GZIP})
    assert packed.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 2
    assert gzip.decompress(packed.content) == plain.content
    assert "Content-Encoding" not in plain
    for response in (plain, packed):
        assert vary(response) == {"hx-request", "accept-encoding"}
        assert "public" in response["Cache-Control"]
    # One weak ETag for both codings of the page: a cache holding either may revalidate it.
    assert packed["ETag"] == plain["ETag"]
    assert packed["ETag"].startswith('W/"')


@pytest.mark.parametrize(("name", "url", "headers"), SHARED_PAGES, ids=IDS)
def test_if_none_match_gets_304_with_or_without_gzip(client, imh, name, url, headers):
    etag = client.get(url, headers={**headers, **GZIP})["ETag"]
    for accepts in (GZIP, {}):
        response = client.get(url, headers={**headers, **accepts, "If-None-Match": etag})
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag
        assert "Content-Encoding" not in response
        # A 304 names the Vary of the page it stands for.
        assert vary(response) == {"hx-request", "accept-encoding"}


def test_head_gets_the_gzipped_page_s_headers_without_a_body(client, imh):
    get = client.get(CHILD, headers=GZIP)
    head = client.head(CHILD, headers=GZIP)
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Encoding"] == "gzip"
    assert head["ETag"] == get["ETag"]
    assert vary(head) == {"hx-request", "accept-encoding"}


def test_a_client_that_asks_for_no_gzip_gets_the_plain_page(client, imh):
    for accepts in ("identity", "br", "deflate", "x-gzipped-nonsense" * 50):
        response = client.get(CHILD, headers={"Accept-Encoding": accepts})
        assert response.status_code == 200
        assert "Content-Encoding" not in response
        assert "Showing" in response.content.decode()


# Every kind of page that carries a CSRF token: the sign-in page (and its answer to a wrong
# password), the admin's pages for signed-in staff, and the report-a-problem form (and its
# answer to a form with errors).
def sign_in_page(client, editor):
    return client.get("/admin/login/")


def sign_in_refused(client, editor):
    return client.post("/admin/login/", {"username": "erin", "password": "not-this-one"})


def admin_index(client, editor):
    client.force_login(editor)
    return client.get("/admin/")


def admin_change_form(client, editor):
    client.force_login(editor)
    # By the entry's own key: after a transactional test reloads the seeds, keys start anew.
    entry = Entry.objects.order_by("pk").first()
    return client.get(f"/admin/pathways/entry/{entry.pk}/change/")


def report_form(client, editor):
    return client.get(IMH_URL + "entries/10/report/")


def report_form_with_errors(client, editor):
    return client.post(IMH_URL + "entries/10/report/", {"text": "", "email": "not-an-address"})


PAGES_WITH_A_TOKEN = [
    sign_in_page,
    sign_in_refused,
    admin_index,
    admin_change_form,
    report_form,
    report_form_with_errors,
]


@pytest.mark.parametrize("fetch", PAGES_WITH_A_TOKEN, ids=lambda f: f.__name__)
def test_no_page_carrying_a_csrf_token_is_compressed(client, imh, editor, fetch):
    client.defaults.update(HTTP_ACCEPT_ENCODING=GZIP["Accept-Encoding"])
    response = fetch(client, editor)
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert "public" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(("name", "url", "headers"), SHARED_PAGES, ids=IDS)
def test_signed_in_pages_are_not_compressed(client, imh, editor, name, url, headers):
    # They may show drafts and a staff member's name: secrets, next to a reflected search.
    client.force_login(editor)
    response = client.get(url, headers={**headers, **GZIP})
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert "private" in response["Cache-Control"]


@shared_when_anonymous
def a_page_that_renders_a_token(request):
    template = engines["django"].from_string("<form>{% csrf_token %}</form>" + "words " * 100)
    return HttpResponse(template.render(request=request))


urlpatterns = [*site_urlpatterns, path("token/", a_page_that_renders_a_token)]


def test_a_page_that_renders_a_token_is_never_compressed_even_if_its_view_says_public(
    client, imh, settings
):
    # The rule holds for any future page: rendering a token sets its cookie, which makes the
    # page private, and only public responses are compressed.
    settings.ROOT_URLCONF = __name__
    response = client.get("/token/", headers=GZIP)
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert "Content-Encoding" not in response
    assert response["Cache-Control"] == "private, no-store"


@pytest.fixture
def collected_static(settings, tmp_path, monkeypatch):
    """Our static files collected as production collects them (hashed names, modules importing
    hashed names, gzip and brotli copies), served by WhiteNoise from there."""
    settings.STATIC_ROOT = tmp_path
    production = load_settings(monkeypatch, **PRODUCTION)
    settings.STORAGES = {**settings.STORAGES, "staticfiles": production.STORAGES["staticfiles"]}
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    return tmp_path


HASHED = r"\.[0-9a-f]{12}\.(css|js)$"
DECOMPRESS = {"gzip": gzip.decompress, "br": brotli.decompress}


def assert_kept_for_good(response):
    assert "accept-encoding" in vary(response)
    assert "immutable" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
@pytest.mark.parametrize("name", ["pathways/styles.css", "pathways/site.js"])
def test_whitenoise_sends_static_files_compressed_in_production(collected_static, name, encoding):
    from django.templatetags.static import static

    hashed = static(name)
    assert re.search(HASHED, hashed)
    client = Client()  # its WhiteNoise reads the collected files
    plain = client.get(hashed)
    packed = client.get(hashed, headers={"Accept-Encoding": encoding})
    assert packed.status_code == 200
    assert packed["Content-Encoding"] == encoding
    assert "Content-Encoding" not in plain
    body = b"".join(packed.streaming_content)
    assert DECOMPRESS[encoding](body) == b"".join(plain.streaming_content)
    assert len(body) < int(plain["Content-Length"]) / 2
    assert_kept_for_good(plain)
    assert_kept_for_good(packed)
    # The file's plain name is compressed too, kept for a minute only.
    unhashed = client.get("/static/" + name, headers={"Accept-Encoding": encoding})
    assert unhashed["Content-Encoding"] == encoding
    assert "immutable" not in unhashed["Cache-Control"]


def test_our_modules_import_each_other_by_hashed_names_kept_for_good(collected_static):
    from django.templatetags.static import static

    site_js = static("pathways/site.js")
    source = (collected_static / site_js.removeprefix("/static/")).read_text()
    imports = re.findall(r"""\bimport\b[^"';]*["']([^"']+)["']""", source)
    # NHS.UK frontend's module and offline.js, by the names collectstatic gave them.
    assert [re.sub(r"\.[0-9a-f]{12}\.js$", ".js", name) for name in imports] == [
        "../vendor/nhsuk-frontend/nhsuk-frontend.used.min.js",
        "./offline.js",
    ]
    client = Client()
    for name in imports:
        assert re.search(HASHED, name)
        address = posixpath.normpath(posixpath.join(posixpath.dirname(site_js), name))
        response = client.get(address, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert response["Content-Encoding"] == "br"
        assert_kept_for_good(response)
