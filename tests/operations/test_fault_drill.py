"""Issue 16, defects 3 and 6, and the fault drill: while the database is down everyone,
signed in or not, gets the 503 page with Retry-After and recovers without a restart; while
it refuses writes, an editor is told the change was not saved, nothing of it is kept, and
/healthz says so."""

import json

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client

from pathways.models import Entry

from ..conftest import IMH_URL, serve, staff_group
from ..editing.test_admin import change_form_data
from ..relay import Relay

OUTAGE_HEADING = "<h1>Sorry, the service is unavailable</h1>"
NOT_SAVED = "<strong>Your change was not saved.</strong>"


def assert_outage_page(answer):
    assert answer.status == 503
    assert answer.headers["Retry-After"] == "30"
    assert OUTAGE_HEADING in answer.text
    for leak in ("Traceback", "OperationalError", "psycopg", "sessionid"):
        assert leak not in answer.text


@pytest.mark.parametrize("path", ["/", IMH_URL, "/admin/"])
def test_a_signed_in_editor_gets_the_503_page_while_the_database_is_down(database_down, path):
    # The session is read from the database after the view (to mark the response private):
    # that error is outside the view too, and must not become a 500.
    answer = serve(path, {"Cookie": "sessionid=an-editors-session-key"})
    assert_outage_page(answer)


@pytest.fixture
def writes_refused(db):
    """The database answers but refuses every write: on PostgreSQL the app's role loses its
    write rights (as a read-only role has none), on SQLite the connection becomes read-only.
    Both are undone with the test's transaction or at the end."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public "
                "FROM CURRENT_USER"
            )
        else:
            cursor.execute("PRAGMA query_only = ON")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Before the test's end checks deferred foreign keys, which lock rows and so
            # need the rights back; the rollback would restore them only after.
            cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO CURRENT_USER")
        else:
            cursor.execute("PRAGMA query_only = OFF")


def test_a_refused_save_tells_the_editor_and_keeps_nothing(imh, editor, request):
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=20)
    before = (entry.rationale, entry.history.count(), list(entry.interventions.values()))
    data = change_form_data(entry, rationale="A change the database will not take.")
    request.getfixturevalue("writes_refused")
    response = client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    content = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert NOT_SAVED in content
    assert "The database is not accepting changes just now." in content
    entry.refresh_from_db()
    after = (entry.rationale, entry.history.count(), list(entry.interventions.values()))
    assert after == before


def test_reading_goes_on_while_writes_are_refused(client, imh, writes_refused):
    response = client.get(IMH_URL)
    assert response.status_code == 200
    assert "Showing 19 of 19 rationales" in response.content.decode()


def test_health_check_reports_a_database_that_refuses_writes(client, imh, writes_refused):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "read-only",
        "unapplied_migrations": 0,
    }


def test_the_health_checks_write_probe_leaves_nothing_behind(client, db):
    from django.db.migrations.recorder import MigrationRecorder

    before = MigrationRecorder.Migration.objects.count()
    assert client.get("/healthz").json()["status"] == "ok"
    assert MigrationRecorder.Migration.objects.count() == before
    assert not MigrationRecorder.Migration.objects.filter(app="healthz").exists()


# The drill on a real server: a relay in front of the test PostgreSQL server is cut and
# restored while an anonymous visitor and a signed-in editor keep asking.

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="cuts a relay in front of the test PostgreSQL server (CI runs it in the "
    "PostgreSQL pass; set DATABASE_URL to run it here)",
)


@pytest.fixture
def committed_editor_session(transactional_db):
    """An editor's session committed to the test database, so that connections through the
    relay see it; the cookie that carries it."""
    user = User.objects.create_user("erin", password="a-long-enough-password", is_staff=True)
    user.groups.add(staff_group("Editors"))
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "pathways.local.scoping.ScopedModelBackend"  # settings' own
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return {"Cookie": f"sessionid={session.session_key}"}


@needs_postgresql
def test_drill_the_database_stops_and_starts_under_visitors_and_editors(
    committed_editor_session,
):
    from ..conftest import DatabaseSwitch

    switch = DatabaseSwitch()
    test_database = switch.test_database.settings_dict
    target = (test_database["HOST"] or "127.0.0.1", int(test_database["PORT"] or 5432))
    relay = Relay(target).start()
    editor = committed_editor_session
    try:
        switch.point_at(
            relay.port,
            name=test_database["NAME"],
            user=test_database["USER"],
            password=test_database["PASSWORD"],
        )
        assert serve("/").status == 200
        signed_in = serve("/admin/", editor)
        assert signed_in.status == 200
        assert "Pathway Navigator: editing" in signed_in.text

        relay.stop()
        for _ in range(3):
            for path in ("/", "/pathways/infant-mental-health/"):
                assert_outage_page(serve(path))
            for path in ("/", "/admin/", "/admin/pathways/entry/"):
                assert_outage_page(serve(path, editor))
            health = serve("/healthz")
            assert health.status == 503
            assert json.loads(health.text)["database"] == "unreachable"

        relay.start()  # back on the same address; the app is not restarted
        assert serve("/healthz").status == 200
        home = serve("/")
        assert home.status == 200
        assert "<h1>Care pathways</h1>" in home.text
        signed_in = serve("/admin/", editor)
        assert signed_in.status == 200
        assert "Pathway Navigator: editing" in signed_in.text
    finally:
        relay.stop()
        switch.close()
