"""NHS.UK frontend cut to what our pages use. The one stylesheet pages load,
static/pathways/styles.css (scripts/build-stylesheet.sh): NHS.UK's rules our markup uses, then
site.css, up to date with both and asking for nothing from another host. The script: the
components our templates use (scripts/nhsuk-frontend-components.mjs)."""

import re

import pytest

from ..conftest import IMH_URL, ROOT

STATIC = ROOT / "static"
STYLES = STATIC / "pathways" / "styles.css"
NHSUK = STATIC / "vendor" / "nhsuk-frontend"
NHSUK_CSS = NHSUK / "nhsuk-frontend.min.css"
# Where PurgeCSS looks for the classes our pages use (scripts/purgecss.config.cjs).
MARKUP = ["templates/**/*.html", "templates/**/*.js", "pathways/**/*.py", "static/pathways/*.js"]
REBUILD = "static/pathways/styles.css is out of date: run `make css`"


def test_the_stylesheet_ends_with_site_css_as_it_is():
    assert STYLES.read_bytes().endswith((STATIC / "pathways" / "site.css").read_bytes()), REBUILD


def nhsuk_classes_in_our_markup() -> set[str]:
    names = set()
    for pattern in MARKUP:
        for path in ROOT.glob(pattern):
            names.update(re.findall(r"nhsuk-[a-z0-9_-]*[a-z0-9]", path.read_text()))
    return names


def has_rule_for(css: str, name: str) -> bool:
    return re.search(r"\." + re.escape(name) + r"(?![\w-])", css) is not None


def test_every_nhsuk_class_our_markup_uses_keeps_its_rules():
    nhsuk, ours = NHSUK_CSS.read_text(), STYLES.read_text()
    used = {name for name in nhsuk_classes_in_our_markup() if has_rule_for(nhsuk, name)}
    assert len(used) > 50  # cards, tags, forms, the header...
    assert sorted(name for name in used if not has_rule_for(ours, name)) == [], REBUILD


def test_the_stylesheet_is_a_cut_of_nhsuk_frontend():
    nhsuk, ours = NHSUK_CSS.read_text(), STYLES.read_text()
    # A component no page uses is left out.
    assert has_rule_for(nhsuk, "nhsuk-tabs__panel")
    assert not has_rule_for(ours, "nhsuk-tabs__panel")
    assert len(ours) < len(nhsuk) / 3


def test_the_stylesheet_asks_for_nothing_from_elsewhere():
    css = STYLES.read_text()
    # Frutiger is on an NHS host, which our Content Security Policy blocks.
    assert "@font-face" not in css
    assert "sourceMappingURL" not in css
    addresses = re.findall(r"url\(\s*['\"]?([^)'\"]*)", css)
    assert addresses
    for address in addresses:
        if address.startswith("data:"):
            continue
        assert "//" not in address and not address.startswith("/")
        assert (STYLES.parent / address).resolve().is_file(), address


@pytest.mark.parametrize("address", ["/", IMH_URL, IMH_URL + "?age=10w&born_at_weeks=32"])
def test_a_page_has_one_render_blocking_stylesheet(client, imh, address):
    page = client.get(address).content.decode()
    links = re.findall(r"<link rel=\"stylesheet\"[^>]*>", page)
    blocking = [link for link in links if 'media="print"' not in link]
    assert blocking == ['<link rel="stylesheet" href="/static/pathways/styles.css">']


def test_the_script_starts_every_nhsuk_component_our_templates_use():
    modules = set()
    for path in ROOT.glob("templates/**/*.html"):
        modules.update(re.findall(r'data-module="(nhsuk-[a-z-]+)"', path.read_text()))
    assert {"nhsuk-header", "nhsuk-skip-link", "nhsuk-checkboxes"} <= modules
    used = (NHSUK / "nhsuk-frontend.used.min.js").read_text()
    every = (NHSUK / "nhsuk-frontend.min.js").read_text()
    # Each component finds its elements by its module name.
    missing = [name for name in sorted(modules) if f'"{name}"' not in used]
    assert missing == [], "add them to scripts/nhsuk-frontend-components.mjs and re-vendor"
    assert '"nhsuk-tabs"' in every and '"nhsuk-tabs"' not in used
    assert len(used) < len(every) / 3
