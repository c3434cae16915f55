"""When the database is down, pages say so politely and quickly, the health check says so to
the load balancer, and everything answers normally again once the database is back."""

import json
import logging

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from ..conftest import HTMX, IMH_URL, serve
from ..pagetext import elements
from ..relay import Relay, closed_port

PUBLIC_PAGES = ["/", IMH_URL, "/documents/pimh-delivery-plan-2021-2022/"]

# The issue asks for the outage page within 2 seconds; a refused connection takes
# milliseconds. The bound is loose so a busy CI machine cannot make it flaky; the benchmark's
# outage drill (docs/benchmarks.md) records the real timings.
PROMPT = 5.0


def test_health_check_is_ok_when_the_database_answers_and_is_migrated(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "unapplied_migrations": 0}
    assert "no-store" in response["Cache-Control"]


def test_health_check_fails_while_a_migration_is_not_applied(client, db):
    latest = MigrationRecorder.Migration.objects.filter(app="pathways").latest("id")
    latest.delete()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "unapplied_migrations": 1,
    }


def test_health_check_fails_while_the_database_is_down(database_down):
    answer = serve("/healthz")
    assert answer.status == 503
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.text) == {"status": "unavailable", "database": "unreachable"}
    assert answer.seconds < PROMPT


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_answer_the_branded_503_page_while_the_database_is_down(database_down, path, caplog):
    with caplog.at_level(logging.WARNING, logger="pathways.availability"):
        answer = serve(path)
    assert answer.status == 503
    assert answer.seconds < PROMPT
    assert answer.headers["Retry-After"] == "30"
    title, *_ = elements(answer.text, "title")  # the page's, then the logo's
    assert title.text == "Sorry, the service is unavailable - Pathway Navigator"
    assert [h1.text for h1 in elements(answer.text, "h1")] == ["Sorry, the service is unavailable"]
    assert elements(answer.text, "header", "nhsuk-header")  # the site's own page, NHS.UK style
    for leak in ("Traceback", "OperationalError", "psycopg", "127.0.0.1", "connection"):
        assert leak not in answer.text
    assert f"Database unavailable for GET {path}" in caplog.text


def test_htmx_requests_get_the_notice_in_place_of_the_results(database_down):
    answer = serve(IMH_URL + "?service=health-visiting", HTMX)
    assert answer.status == 503
    assert elements(answer.text)[0].attrs.get("id") == "results"
    assert "Sorry, the service is unavailable" in answer.text
    assert "<html" not in answer.text


def test_the_htmx_configuration_swaps_in_the_outage_notice(client, imh):
    # htmx leaves error responses unswapped unless told; base.html tells it for 503 only.
    head = client.get(IMH_URL).content.decode().split("</head>")[0]
    config = head.split('<meta name="htmx-config" content=\'')[1].split("'>")[0]
    rules = json.loads(config)["responseHandling"]
    assert {"code": "503", "swap": True, "error": True} in rules
    assert rules.index({"code": "503", "swap": True, "error": True}) < rules.index(
        {"code": "[45]..", "swap": False, "error": True}
    )


def test_pages_answer_again_as_soon_as_the_database_is_back(switch_database, client, imh):
    switch_database.point_at(closed_port())
    assert serve(IMH_URL).status == 503
    # The database comes back. Nothing in the app remembers the outage: the next request is
    # served as usual.
    switch_database.restore()
    response = client.get(IMH_URL)
    assert response.status_code == 200
    assert "Showing 19 of 19 rationales" in response.content.decode()


def test_a_server_that_accepts_but_never_answers_costs_about_two_seconds(switch_database):
    # Worse than a stopped server: connecting hangs. connect_timeout (libpq's minimum, 2 s)
    # bounds the wait.
    with Relay(("127.0.0.1", closed_port()), silent=True) as silent:
        switch_database.point_at(silent.port)
        answer = serve(IMH_URL)
    assert answer.status == 503
    assert 1.5 < answer.seconds < PROMPT


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="stops and restarts a relay in front of the test PostgreSQL server "
    "(CI runs it in the PostgreSQL pass; set DATABASE_URL to run it here)",
)


@needs_postgresql
def test_the_app_rides_out_the_database_stopping_and_starting(switch_database):
    test_database = switch_database.test_database.settings_dict
    target = (test_database["HOST"] or "127.0.0.1", int(test_database["PORT"] or 5432))
    relay = Relay(target).start()
    try:
        switch_database.point_at(
            relay.port,
            name=test_database["NAME"],
            user=test_database["USER"],
            password=test_database["PASSWORD"],
        )
        assert serve("/healthz").status == 200
        assert serve("/").status == 200  # the persistent connection is now open

        relay.stop()  # the server goes away, and the open connection with it
        for path in ("/", "/healthz"):
            answer = serve(path)
            assert answer.status == 503
            assert answer.seconds < PROMPT

        relay.start()  # the server is back on the same address
        assert serve("/healthz").status == 200
        home = serve("/")
        assert home.status == 200
        assert "<h1>Care pathways</h1>" in home.text
    finally:
        relay.stop()
