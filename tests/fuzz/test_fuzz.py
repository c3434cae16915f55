"""Arbitrary bytes into every door: each public URL's path segments and query parameters,
every form (problem report, admin sign-in, an editor's change form) and the importer.

Whatever comes in: no 5xx, nothing sent comes back as markup, and a refused request writes
nothing. Example counts are bounded (FUZZ_EXAMPLES, default 20 per test) so CI stays quick;
the API is also fuzzed from its OpenAPI document (tests/integration/test_api_schema.py).
"""

import io
import json
import os
from urllib.parse import quote_from_bytes

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.models import Entry, ProblemReport

from ..conftest import HTMX, IMH_URL, examples
from ..editing.test_admin import change_form_data
from .counts import record

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=examples(EXAMPLES),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# A marker that must never come back as markup: if it is reflected, it must be escaped.
PROBE = b"<x-probe onload=1>"
BYTES = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda head, tail: head + PROBE + tail, st.binary(max_size=20), st.binary(max_size=20)
    ),
    st.sampled_from(
        [
            b"\x00",
            b"\x02mark\x03",
            b"%00",
            b"\xff\xfe",
            b"' OR 1=1 --",
            b"../../etc/passwd",
            b"infant-mental-health",
            b"10w",
            b"health-visiting",
            "né".encode(),
            b"9" * 400,
        ]
    ),
)
TEXT = st.one_of(
    st.text(max_size=300), st.builds(lambda t: t + PROBE.decode(), st.text(max_size=50))
)

# Every public URL, with {} for a path segment (the admin is fuzzed through its forms).
PATH_TEMPLATES = [
    "/pathways/{}/",
    "/pathways/{}/checklist/",
    "/pathways/{}/changes/",
    "/pathways/{}/changes/feed/",
    "/pathways/{}/export.csv",
    "/documents/{}/",
    "/pathways/{}/entries/20/report/",
    "/pathways/infant-mental-health/entries/{}/report/",
    "/pathways/infant-mental-health/entries/{}/report/sent/",
    "/api/pathways/{}/",
    "/api/pathways/{}/entries/",
    "/api/pathways/{}/fhir",
    "/fhir/Library/{}",
    "/{}",
]
QUERY_PAGES = [
    "/",
    IMH_URL,
    f"{IMH_URL}checklist/",
    f"{IMH_URL}changes/",
    f"{IMH_URL}changes/feed/",
    f"{IMH_URL}export.csv",
    "/documents/pimh-delivery-plan-2021-2022/",
    f"{IMH_URL}entries/20/report/",
    "/api/pathways/",
    "/api/pathways/infant-mental-health/",
    "/api/pathways/infant-mental-health/entries/",
    "/api/pathways/infant-mental-health/fhir",
    "/fhir/Library/infant-mental-health",
    "/manifest.webmanifest",
    "/service-worker.js",
    "/healthz",
    "/admin/login/",
]
PARAMETERS = st.one_of(
    st.sampled_from(["stage", "service", "tag", "age", "dob", "born_at_weeks", "q", "next"]),
    st.binary(max_size=20),
)


def encoded(data: bytes) -> str:
    return quote_from_bytes(data, safe="")


def form_body(fields: dict[str, bytes]) -> bytes:
    return "&".join(f"{encoded(k.encode())}={encoded(v)}" for k, v in fields.items()).encode()


def check(surface: str, response, sent: bytes = b"") -> None:
    """No 5xx; in an HTML answer, nothing sent comes back unescaped."""
    record(surface, response.status_code)
    assert response.status_code < 500, (surface, response.status_code)
    if PROBE in sent and response.get("Content-Type", "").startswith("text/html"):
        assert PROBE not in response.content


@pytest.fixture
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def stored() -> tuple:
    """What a refusal must leave alone: the row counts of every table of ours and auth's, and
    the entries' text."""
    counts = tuple(
        model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"pathways", "auth", "sessions"}
    )
    return counts, tuple(Entry.objects.order_by("pk").values_list("rationale", "criteria"))


@pytest.mark.parametrize("template", PATH_TEMPLATES)
@FUZZ
@given(segment=BYTES, htmx=st.booleans())
def test_path_segments(client, imh, fresh_limits, template, segment, htmx):
    path = template.format(encoded(segment))
    response = client.get(path, headers=HTMX if htmx else {})
    check("path segments", response, segment)


@pytest.mark.parametrize("page", QUERY_PAGES)
@FUZZ
@given(pairs=st.lists(st.tuples(PARAMETERS, BYTES), max_size=5), htmx=st.booleans())
def test_query_parameters(client, imh, fresh_limits, page, pairs, htmx):
    names = [name.encode() if isinstance(name, str) else name for name, _ in pairs]
    query = "&".join(f"{encoded(n)}={encoded(v)}" for n, (_, v) in zip(names, pairs, strict=True))
    response = client.get(f"{page}?{query}", headers=HTMX if htmx else {})
    check("query parameters", response, b"".join(names) + b"".join(v for _, v in pairs))


@FUZZ
@given(text=BYTES, email=BYTES)
def test_problem_report_form(client, imh, fresh_limits, text, email):
    before = ProblemReport.objects.count()
    response = client.post(
        f"{IMH_URL}entries/20/report/",
        form_body({"text": text, "email": email}),
        content_type="application/x-www-form-urlencoded",
    )
    check("problem report form", response, text + email)
    if response.status_code != 302:
        assert ProblemReport.objects.count() == before
    cache.clear()  # the hourly limit is tested elsewhere; every example gets a fresh one


@FUZZ
@given(username=BYTES, password=BYTES, next_page=BYTES)
def test_admin_sign_in_form(client, db, fresh_limits, username, password, next_page):
    User.objects.get_or_create(username="erin", defaults={"is_staff": True})
    response = client.post(
        "/admin/login/",
        form_body({"username": username, "password": password, "next": next_page}),
        content_type="application/x-www-form-urlencoded",
    )
    check("admin sign-in form", response, username + password + next_page)
    assert "_auth_user_id" not in client.session  # nobody has a password these can match


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "rationale": TEXT,
            "criteria": TEXT,
            "interventions-0-text": TEXT,
            "interventions-0-bullets": TEXT,
            "change_reason": TEXT,
            "position": TEXT,
            "stage": TEXT,
            "age_band": TEXT,
            "interventions-TOTAL_FORMS": TEXT,
        },
    )
)
def test_an_editors_change_form(client, imh, editor, fields):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    data = {key: str(value) for key, value in change_form_data(entry).items()}
    data.update(fields)
    before = stored()
    response = client.post(
        f"/admin/pathways/entry/{entry.pk}/change/",
        form_body({key: value.encode("utf-8", "surrogatepass") for key, value in data.items()}),
        content_type="application/x-www-form-urlencoded",
    )
    check("admin change form", response, "".join(fields.values()).encode("utf-8", "replace"))
    if response.status_code != 302:
        assert stored() == before


# The importer: files of arbitrary bytes, and real exports with one value replaced by anything
# JSON can hold.

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


def import_text(tmp_path, text: str | bytes) -> tuple[str | None, str]:
    path = tmp_path / "fuzz.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_pathway", str(path), stdout=out, stderr=err)
    except CommandError as error:
        return str(error), err.getvalue()
    return None, err.getvalue()


@pytest.fixture
def exported(imh, tmp_path):
    path = tmp_path / "imh.json"
    call_command("export_pathway", "infant-mental-health", "--output", str(path))
    return json.loads(path.read_text(encoding="utf-8"))


@FUZZ
@given(data=st.binary(max_size=500) | st.builds(lambda n: b"[" * n, st.integers(1, 300_000)))
def test_importer_with_arbitrary_files(imh, tmp_path, data):
    before = stored()
    error, _ = import_text(tmp_path, data)
    record("importer", 400 if error else 200)
    if error:
        assert stored() == before


@FUZZ
@given(choice=st.data(), value=JSON_VALUES)
def test_importer_with_one_value_replaced(imh, tmp_path, exported, choice, value):
    rows = json.loads(json.dumps(exported))
    index = choice.draw(st.integers(0, len(rows) - 1))
    row = rows[index]
    name = choice.draw(st.sampled_from(sorted(row["fields"]) + ["model", "fields", "extra"]))
    if name in ("model", "fields", "extra"):
        row[name] = value
    else:
        row["fields"][name] = value
    before = stored()
    error, _ = import_text(tmp_path, json.dumps(rows))
    record("importer", 400 if error else 200)
    if error:
        assert stored() == before
