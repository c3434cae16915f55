"""The site's own error pages, in the NHS.UK style, that give nothing away."""

import pytest
from django.template.loader import render_to_string


def test_not_found_page(client, db):
    response = client.get("/pathways/no-such-pathway/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<title>Page not found - Pathway Navigator</title>" in page
    assert "<h1>Page not found</h1>" in page
    assert "If you entered a web address, check it was correct." in page
    assert '<a href="/">find a care pathway from the home page</a>' in page
    assert 'class="nhsuk-header' in page and 'class="nhsuk-footer' in page


def test_server_error_page_gives_nothing_away(client, db, settings):
    settings.ROOT_URLCONF = "tests.urls_failing"
    client.raise_request_exception = False
    response = client.get("/fail/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Sorry, there is a problem with the service</h1>" in page
    assert "Try again later." in page
    assert 'class="nhsuk-header' in page
    for leak in ("Traceback", "RuntimeError", "A bug the visitor must not see", "urls_failing"):
        assert leak not in page


@pytest.mark.parametrize(
    ("template", "heading"),
    [
        ("500.html", "Sorry, there is a problem with the service"),
        ("503.html", "Sorry, the service is unavailable"),
    ],
)
def test_failure_pages_render_without_the_database(django_db_blocker, template, heading):
    # Any database access in here raises: these pages are shown when the database is the
    # problem.
    with django_db_blocker.block():
        page = render_to_string(template)
    assert f"<h1>{heading}</h1>" in page
    assert "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css" in page
