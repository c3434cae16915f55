"""The site's own error pages, in the NHS.UK style, that give nothing away."""

import pytest
from django.template.loader import render_to_string

from ..pagetext import elements, links, visible_lines


def test_not_found_page(client, db):
    response = client.get("/pathways/no-such-pathway/")
    assert response.status_code == 404
    page = response.content.decode()
    title, *_ = elements(page, "title")  # the page's, then the logo's
    assert title.text == "Page not found - Pathway Navigator"
    assert [h1.text for h1 in elements(page, "h1")] == ["Page not found"]
    assert "If you entered a web address, check it was correct." in visible_lines(page)
    assert links(page)["find a care pathway from the home page"] == "/"
    assert elements(page, "header", "nhsuk-header") and elements(page, "footer", "nhsuk-footer")


def test_server_error_page_gives_nothing_away(client, db, settings):
    settings.ROOT_URLCONF = "tests.urls_failing"
    client.raise_request_exception = False
    response = client.get("/fail/")
    assert response.status_code == 500
    page = response.content.decode()
    assert [h1.text for h1 in elements(page, "h1")] == [
        "Sorry, there is a problem with the service"
    ]
    assert "Try again later." in page
    assert elements(page, "header", "nhsuk-header")
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
    assert "/static/pathways/styles.css" in page
