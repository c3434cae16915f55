"""Every kind of page in a real browser: no console errors, nothing the Content Security
Policy blocks (no web font from another host, no inline style or script), and every NHS.UK
component on it started by our cut of NHS.UK's script."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from pathways.models import ContextDocument

from ..conftest import IMH_URL

pytestmark = pytest.mark.browser

# Chromium reports a blocked request or inline style on the console, and as this event.
# NHS.UK's script marks each component it starts with data-<module>-init.
NOT_STARTED = """[...document.querySelectorAll('[data-module^="nhsuk-"]')]
  .filter((element) => !element.hasAttribute(`data-${element.dataset.module}-init`))
  .map((element) => element.dataset.module)"""
COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def public_pages(imh) -> list[str]:
    """One address of each kind of page a visitor can open, and the editors' sign-in."""
    entry = imh.entries.order_by("number").first()
    document = ContextDocument.objects.order_by("slug").first()
    return [
        # First: a browser asks a site for /favicon.ico once, unless its first page names one.
        reverse("admin:login"),
        reverse("pathways:home"),
        IMH_URL,
        IMH_URL + "?age=10w&born_at_weeks=32",
        IMH_URL + "?service=primary-care-gp&tag=core-purpose-2",
        IMH_URL + "?q=postnatal",
        reverse("pathways:checklist", args=[imh.slug]),
        reverse("pathways:changes", args=[imh.slug]),
        reverse("pathways:report_problem", args=[imh.slug, entry.number]),
        "/no-such-page/",
        document.get_absolute_url(),
        "/api/docs",
    ]


def test_no_page_logs_an_error_or_breaks_the_content_security_policy(page: Page, imh, live_server):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message))
    page.on("pageerror", lambda error: errors.append(error))
    page.add_init_script(COLLECT_VIOLATIONS)
    for path in public_pages(imh):
        errors.clear()
        response = page.goto(live_server.url + path)
        if path == "/api/docs":
            # Swagger UI draws the API's operations after reading the OpenAPI document.
            expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
        # Fonts are asked for once the text is laid out; this waits for every one.
        page.evaluate("document.fonts.ready.then(() => true)")
        violations = page.evaluate("window.cspViolations")
        messages = [str(getattr(e, "text", e)) for e in errors]
        assert response.ok or path == "/no-such-page/"
        if response.status == 404:
            # The one error a missing page always logs: its own status.
            assert path == "/no-such-page/"
            assert messages[:1] == [
                "Failed to load resource: the server responded with a status of 404 (Not Found)"
            ]
            messages = messages[1:]
        assert (path, messages, violations) == (path, [], [])
        if path != reverse("admin:login"):
            expect(page.locator('[data-module="nhsuk-header"]')).to_have_attribute(
                "data-nhsuk-header-init", ""
            )
            assert page.evaluate(NOT_STARTED) == []
