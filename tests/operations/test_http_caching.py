"""Anonymous pages any HTTP cache may keep (PRODUCT.md "Caching"): public, an ETag, 304 on a
matching If-None-Match, HEAD, no cookie, Vary on HX-Request and Accept-Encoding alone; staff
pages and the report form private."""

import pytest
from django.utils.cache import parse_etags

from pathways.models import Entry

from ..conftest import HTMX, IMH_URL

DOCUMENT_URL = "/documents/pimh-delivery-plan-2021-2022/"
FILTERED = IMH_URL + "?age=10w&service=health-visiting"
SHARED_PAGES = [
    ("home", "/", {}),
    ("browser", IMH_URL, {}),
    ("filtered browser", FILTERED, {}),
    ("htmx fragment", FILTERED, HTMX),
    ("search fragment", IMH_URL + "?q=baby", HTMX),
    ("checklist", IMH_URL + "checklist/?age=10w", {}),
    ("what changed", IMH_URL + "changes/", {}),
    ("context document", DOCUMENT_URL, {}),
]
GET_VIEWS = [url for _, url, _ in SHARED_PAGES] + [
    IMH_URL + "export.csv?age=10w",
    IMH_URL + "entries/10/report/",
    IMH_URL + "entries/10/report/sent/",
    "/manifest.webmanifest",
    "/service-worker.js",
    "/healthz",
]


def directives(response) -> dict[str, str]:
    """Cache-Control as {directive: value}."""
    found = {}
    for part in response.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.lower()] = value
    return found


@pytest.mark.parametrize(("name", "url", "headers"), SHARED_PAGES, ids=[p[0] for p in SHARED_PAGES])
def test_anonymous_pages_are_public_and_set_no_cookie(client, imh, name, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    cache_control = directives(response)
    assert set(cache_control) == {"public", "max-age", "s-maxage", "stale-while-revalidate"}
    assert all(int(cache_control[d]) > 0 for d in ("max-age", "s-maxage"))
    assert response["Vary"] == "HX-Request, Accept-Encoding"
    assert response["ETag"].startswith('W/"')


def test_no_page_without_a_posting_form_carries_a_csrf_token(client, imh):
    for _, url, headers in SHARED_PAGES:
        content = client.get(url, headers=headers).content.decode()
        assert "csrfmiddlewaretoken" not in content
        assert "X-CSRFToken" not in content


@pytest.mark.parametrize(("name", "url", "headers"), SHARED_PAGES, ids=[p[0] for p in SHARED_PAGES])
def test_a_matching_if_none_match_gets_304(client, imh, name, url, headers):
    etag = client.get(url, headers=headers)["ETag"]
    response = client.get(url, headers={**headers, "If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "public" in directives(response)
    assert response["Vary"] == "HX-Request, Accept-Encoding"
    assert "Set-Cookie" not in response.headers


def test_a_stale_or_odd_if_none_match_gets_the_page(client, imh):
    for value in ['W/"not-this-one"', "garbage", '"' * 300, "*, W/"]:
        response = client.get(FILTERED, headers={"If-None-Match": value})
        assert response.status_code == 200
        assert "Showing" in response.content.decode()


def test_the_page_and_its_fragment_have_different_etags(client, imh):
    page = client.get(FILTERED)["ETag"]
    fragment = client.get(FILTERED, headers=HTMX)["ETag"]
    other = client.get(IMH_URL + "?age=3m")["ETag"]
    assert len({page, fragment, other}) == 3
    # The fragment's ETag does not answer for the page.
    assert client.get(FILTERED, headers={"If-None-Match": fragment}).status_code == 200


def test_empty_parameters_do_not_change_the_etag(client, imh):
    tidy = client.get(FILTERED)["ETag"]
    assert client.get(FILTERED + "&q=&stage=")["ETag"] == tidy


@pytest.mark.parametrize("url", GET_VIEWS)
def test_every_get_view_answers_head(client, imh, url):
    response = client.head(url)
    assert response.status_code == 200
    assert response.content == b""


def test_the_etag_changes_when_an_approved_change_lands(client, imh):
    before = client.get(FILTERED)
    shown = Entry.objects.filter(pathway=imh, service__slug="health-visiting").for_age(70)
    entry = shown.first()  # 10 weeks
    entry.rationale = "Reworded after clinical review."
    entry.save()  # a publisher's approval saves the entry
    after = client.get(FILTERED, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "Reworded after clinical review." in after.content.decode()
    assert client.get(FILTERED, headers={"If-None-Match": after["ETag"]}).status_code == 304


@pytest.mark.parametrize(("name", "url", "headers"), SHARED_PAGES, ids=[p[0] for p in SHARED_PAGES])
def test_staff_responses_are_private(client, imh, editor, name, url, headers):
    client.force_login(editor)
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    cache_control = directives(response)
    assert {"private", "no-store"} <= set(cache_control)
    assert "public" not in cache_control
    # An anonymous ETag must not answer for a signed-in person.
    anonymous_etag = client.__class__().get(url, headers=headers)["ETag"]
    again = client.get(url, headers={**headers, "If-None-Match": anonymous_etag})
    assert again.status_code == 200


def test_signed_in_practitioners_are_private_too(client, imh, practitioner):
    client.force_login(practitioner)
    response = client.get(FILTERED)
    assert {"private", "no-store"} <= set(directives(response))
    assert "public" not in directives(response)


def test_the_report_form_is_private(client, imh):
    response = client.get(IMH_URL + "entries/10/report/")
    assert {"private", "no-store"} <= set(directives(response))
    assert "public" not in directives(response)
    assert "csrfmiddlewaretoken" in response.content.decode()  # it posts


def test_a_not_found_page_is_not_made_public(client, imh):
    response = client.get("/pathways/no-such-pathway/")
    assert response.status_code == 404
    assert "public" not in directives(response)
    assert "ETag" not in response


def test_the_etag_is_a_valid_header(client, imh):
    etag = client.get(FILTERED)["ETag"]
    assert parse_etags(etag) == [etag]
