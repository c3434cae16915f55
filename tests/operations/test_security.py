"""Security headers on every kind of response, the production settings behind them, and
templates that need nothing the Content Security Policy forbids."""

import importlib.util
import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from ..conftest import HTMX, IMH_URL, ROOT

# Every kind of response the site sends, fetched with the client and a fixture getter, and
# the status it must have. Requests are made over HTTPS, as the load balancer forwards them,
# so HSTS applies.


def page(client, fixture):
    fixture("imh")
    return client.get(IMH_URL, secure=True)


def htmx_fragment(client, fixture):
    fixture("imh")
    return client.get(IMH_URL, headers=HTMX, secure=True)


def admin(client, fixture):
    return client.get("/admin/login/", secure=True)


def not_found(client, fixture):
    return client.get("/no-such-page/", secure=True)


def server_error(client, fixture):
    fixture("settings").ROOT_URLCONF = "tests.urls_failing"
    client.raise_request_exception = False
    return client.get("/fail/", secure=True)


def database_down(client, fixture):
    fixture("database_down")
    return client.get("/", secure=True)


def health_check(client, fixture):
    return client.get("/healthz", secure=True)


def static_file(client, fixture):
    return client.get("/static/pathways/site.css", secure=True)


def locked_out(client, fixture):
    fixture("editor")
    for _ in range(5):
        response = client.post(
            "/admin/login/", {"username": "erin", "password": "wrong-password"}, secure=True
        )
    return response


RESPONSES = {
    "page": (200, page),
    "htmx fragment": (200, htmx_fragment),
    "admin": (200, admin),
    "not found": (404, not_found),
    "server error": (500, server_error),
    "database down": (503, database_down),
    "health check": (200, health_check),
    "static file": (200, static_file),
    "locked out": (429, locked_out),
}


def directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


# The whole policy, word for word: leaving out a directive (form-action, say) must fail.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'; base-uri 'none'"
)


def check_csp(response):
    policy = response["Content-Security-Policy"]
    assert policy == POLICY
    return True


HEADERS = {
    "content security policy": check_csp,
    "hsts one year": lambda r: (
        r["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    ),
    "nosniff": lambda r: r["X-Content-Type-Options"] == "nosniff",
    "referrer policy": lambda r: r["Referrer-Policy"] == "same-origin",
    "no framing": lambda r: r["X-Frame-Options"] == "DENY",
    "opener policy": lambda r: r["Cross-Origin-Opener-Policy"] == "same-origin",
}


# Each kind of response fetched once in a test process, by whichever of its tests runs first
# there: what a response carries does not depend on which test asked for it.
FETCHED = {}


def fetched(kind, client, request):
    """The response of this kind, with the status it must have."""
    if kind not in FETCHED:
        status, fetch = RESPONSES[kind]
        response = fetch(client, request.getfixturevalue)
        assert response.status_code == status
        FETCHED[kind] = response
    return FETCHED[kind]


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("kind", RESPONSES)
def test_every_response_carries_the_security_headers(client, db, request, kind, header):
    response = fetched(kind, client, request)
    check = HEADERS[header]
    assert check(response) is not False


# Data for scripts (json_script: type="application/json") is never run, so the CSP allows it.
INLINE_SCRIPT = re.compile(
    r'<script\b(?![^>]*\bsrc=)(?![^>]*\btype="application/json")[^>]*>', re.IGNORECASE
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def forbidden_markup(html: str) -> list[str]:
    """Markup the Content Security Policy would block: inline scripts, styles, handlers."""
    return [
        match.group(0)
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER)
        for match in pattern.finditer(html)
    ]


def test_the_checker_lets_script_data_through():
    assert forbidden_markup('<script id="x" type="application/json">{}</script>') == []
    assert forbidden_markup('<script type="module">import "x";</script>') != []


def test_the_checker_finds_what_it_looks_for():
    assert forbidden_markup('<script>alert(1)</script><p style="x"><a onclick="y">') == [
        "<script>",
        " style=",
        " onclick=",
    ]
    assert forbidden_markup('<script type="module" src="/static/a.js"></script>') == []


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(ROOT) for p in (ROOT / "templates").rglob("*.html"))
)
def test_templates_have_no_inline_script_or_style(template):
    assert forbidden_markup((ROOT / template).read_text()) == []


@pytest.mark.parametrize(
    "kind",
    ["page", "htmx fragment", "admin", "not found", "server error", "database down", "locked out"],
)
def test_rendered_pages_have_no_inline_script_or_style(client, db, request, kind):
    # Includes what Django and its admin render, which the template scan cannot see.
    response = fetched(kind, client, request)
    assert forbidden_markup(response.content.decode()) == []


def test_htmx_is_configured_for_the_policy(client, imh):
    head = client.get(IMH_URL).content.decode().split("</head>")[0]
    assert '"includeIndicatorStyles": false' in head  # no <style> injected into the page
    assert '"allowEval": false' in head
    assert '"allowScriptTags": false' in head


def load_settings(monkeypatch, **env):
    """config/settings.py as a server started with `env` would read it."""
    for name in ("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "settings_under_test", ROOT / "config/settings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-test-key-that-is-long-and-random-enough-0123456789abcdefghij",
    "ALLOWED_HOSTS": "pathways.example.nhs.uk",
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(monkeypatch, missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    with pytest.raises(ImproperlyConfigured, match=missing):
        load_settings(monkeypatch, **env)


def test_production_settings(monkeypatch):
    production = load_settings(monkeypatch, **PRODUCTION)
    assert production.DEBUG is False
    assert production.ALLOWED_HOSTS == ["pathways.example.nhs.uk"]
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    # WhiteNoise's hashed names and compressed copies, modules importing hashed names.
    assert production.STORAGES["staticfiles"]["BACKEND"] == (
        "pathways.operations.static_storage.HashedModulesStorage"
    )
    development = load_settings(monkeypatch)
    assert development.SECURE_SSL_REDIRECT is False
    assert development.SESSION_COOKIE_SECURE is False  # runserver speaks plain HTTP


@pytest.mark.parametrize(
    ("value", "meaning"),
    [
        *[(yes, True) for yes in ("1", "true", "TRUE", "Yes", "on", " On ")],
        *[(no, False) for no in ("0", "false", "False", "no", "NO", "off")],
    ],
)
def test_a_flag_reads_1_0_true_false_yes_no_on_off_in_any_case(monkeypatch, value, meaning):
    for env in ({}, PRODUCTION):
        read = load_settings(monkeypatch, **env, SECURE_SSL_REDIRECT=value)
        assert read.SECURE_SSL_REDIRECT is meaning


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_flag_means_its_default(monkeypatch, value):
    assert load_settings(monkeypatch, SECURE_SSL_REDIRECT=value).SECURE_SSL_REDIRECT is False
    production = load_settings(monkeypatch, **PRODUCTION, SECURE_SSL_REDIRECT=value)
    assert production.SECURE_SSL_REDIRECT is True


@pytest.mark.parametrize("value", ["ture", "flase", "2", "y", "enabled", "1 1"])
@pytest.mark.parametrize("name", ["SECURE_SSL_REDIRECT", "EMAIL_USE_TLS", "DJANGO_BENCH"])
def test_a_flag_that_cannot_be_read_stops_the_server_naming_it(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=rf"^{name}=.*1/0, true/false, yes/no or on/off"):
        load_settings(monkeypatch, **PRODUCTION, **{name: value})


def test_an_unreadable_flag_is_refused_even_where_it_cannot_apply(monkeypatch):
    # Unsigned CDS Hooks calls are only ever allowed with debug on, never in production; a
    # typo there is still refused rather than ignored.
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    with pytest.raises(ImproperlyConfigured, match="CDS_HOOKS_ALLOW_UNSIGNED"):
        load_settings(monkeypatch, **PRODUCTION, CDS_HOOKS_ALLOW_UNSIGNED="ture")
    allowed = load_settings(monkeypatch, **PRODUCTION, CDS_HOOKS_ALLOW_UNSIGNED="on")
    assert allowed.CDS_HOOKS_ALLOW_UNSIGNED is False


@pytest.fixture
def production_cookies(monkeypatch, settings):
    production = load_settings(monkeypatch, **PRODUCTION)
    for name in dir(production):
        if name.startswith(("SESSION_COOKIE_", "CSRF_COOKIE_")) or name == "SECURE_SSL_REDIRECT":
            setattr(settings, name, getattr(production, name))


def test_production_cookies_are_secure_httponly_and_samesite(client, editor, production_cookies):
    form = client.get("/admin/login/", secure=True)
    signed_in = client.post(
        "/admin/login/",
        {"username": "erin", "password": "a-long-enough-password", "next": "/admin/"},
        secure=True,
    )
    assert signed_in.status_code == 302
    cookies = {**form.cookies, **signed_in.cookies}
    assert {"csrftoken", "sessionid"} <= cookies.keys()
    for name in ("csrftoken", "sessionid"):
        assert cookies[name]["secure"] is True, name
        assert cookies[name]["httponly"] is True, name
        assert cookies[name]["samesite"] == "Lax", name


def test_production_sends_plain_http_to_https_but_not_the_health_check(
    client, db, production_cookies
):
    response = client.get("/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"
    assert client.get("/healthz").status_code == 200  # load balancers probe over HTTP


def test_deployment_checklist_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_benchmark_view_is_not_there_unless_benchmarking(client, db, settings):
    assert client.get("/bench/trivial").status_code == 404
    settings.BENCH = True
    response = client.get("/bench/trivial")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "Cache-Control" not in response
    shared = client.get("/bench/trivial?shared=1")
    assert shared.content == b"ok"
    assert "public" in shared["Cache-Control"]
