"""Our templates carry no inline script or style: a strict Content Security Policy (no
'unsafe-inline') must be able to run every page."""

import re

import pytest
from django.template import Template, TemplateSyntaxError

from ..conftest import IMH_URL, ROOT

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
# Data for scripts (json_script, type="application/json") is never run, so CSP allows it.
INLINE_SCRIPT = re.compile(
    r'<script(?![^>]*\bsrc=)(?![^>]*\btype="application/json")[^>]*>', re.IGNORECASE
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def test_script_data_is_not_taken_for_an_inline_script():
    assert not INLINE_SCRIPT.search('<script id="x" type="application/json">{}</script>')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="module">import "x";</script>')


def test_there_are_templates_to_check():
    assert len(TEMPLATES) >= 4


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_script_or_style(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text)
    assert not INLINE_STYLE.search(text)
    assert not EVENT_HANDLER.search(text)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        IMH_URL,
        f"{IMH_URL}?age=zz&service=x",
        "/documents/pimh-delivery-plan-2021-2022/",
        f"{IMH_URL}entries/20/report/",
        f"{IMH_URL}entries/20/report/sent/",
        "/api/docs",
    ],
)
def test_rendered_pages_have_no_inline_script_or_style(client, imh, url):
    html = client.get(url).content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html)
    assert not EVENT_HANDLER.search(html)


def test_the_checks_would_catch_inline_code():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script type="module" src="/static/x.js"></script>')
    assert INLINE_STYLE.search('<p style="color: red">')
    assert EVENT_HANDLER.search('<a onclick="x()">')


def test_a_contentcache_without_a_name_is_a_template_error():
    with pytest.raises(TemplateSyntaxError, match="needs a name for the part"):
        Template("{% load pathways %}{% contentcache %}x{% endcontentcache %}")
