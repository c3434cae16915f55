"""Shared test data: the real fixtures, named people, and a client that speaks htmx; and a
way to point the app at a database server that is down."""

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission, User
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q
from django.db.utils import load_backend
from hypothesis import settings

from pathways.operations import caching

from .relay import closed_port

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE: "full" (`make test`: every property
# test runs the examples it asks for), "ci" (the same, and the same examples every time, so a
# red build can be reproduced; the default when CI is set) and "quick" (`make test-quick`: a
# few examples each, for the loop while working).
QUICK_EXAMPLES = 10
settings.register_profile("full", print_blob=True)
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("quick", max_examples=QUICK_EXAMPLES)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI") else "full"
)
settings.load_profile(HYPOTHESIS_PROFILE)


def examples(full: int) -> int:
    """How many examples a property test that asks for `full` runs under this profile."""
    return min(full, QUICK_EXAMPLES) if HYPOTHESIS_PROFILE == "quick" else full


# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# there unless told that this is deliberate (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
# Debian's Chromium, installed by .ci/run; Playwright's own browser downloads are not used.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
FIXTURES = sorted(str(p) for p in (ROOT / "fixtures").glob("*.json"))
IMH_URL = "/pathways/infant-mental-health/"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production's hasher is slow on purpose; the tests sign in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_caches(settings, tmp_path):
    """Each test starts with nothing cached, whatever REDIS_URL says: the pages cache in a memory
    of its own, and the content version read afresh from its database. Another test's, or a
    server's running from this checkout, could otherwise answer."""
    settings.CACHES = local_caches(tmp_path)
    caching._unavailable_until.clear()
    caching.forget_version()
    # Every test starts at the content version the session's loading left (its changes roll
    # back), and a test may change content without a new version (a queryset's update()):
    # what this process kept for that version must not reach the next test. (Each test's
    # pages cache has a location of its own; the earlier tests' tiers are let go.)
    caching._tiers.clear()


def local_caches(folder: Path) -> dict:
    """The caches of one app server without Redis, kept under `folder`."""
    # LocMemCache's memory, and the pages cache's per-process tier, are shared by every
    # instance of one LOCATION.
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(folder / "shared"),
            "TIMEOUT": django_settings.PAGE_PARTS_SECONDS,
        },
        "pages": {**django_settings.CACHES["pages"], "LOCATION": str(folder / "pages")},
    }


@pytest.fixture
def nothing_reused(settings, monkeypatch):
    """Every request builds everything (the cards, the pathway with its notes), for tests
    that count what building costs: no content version, as when it cannot be read."""
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    settings.CACHES = {**settings.CACHES, "pages": dummy}
    caching.forget_version()
    monkeypatch.setattr(caching, "_read_version", lambda: None)
    monkeypatch.setattr(caching, "_hold", lambda version, since: None)


def load_seeds() -> None:
    """The seeds' content from the project's fixtures and its history baseline, exactly as
    `make run` loads them."""
    call_command("loaddata", *FIXTURES, verbosity=0)
    call_command("record_history_baseline", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def imh(db):
    """The infant mental health pathway of the seeds' content, which every test database
    holds (loaded once per session, and again after a transactional test's flush)."""
    from pathways.models import Pathway

    # This thread holds the content version, as a worker does between its reads and as the
    # loading left it when each test loaded the seeds: counts of a page's queries leave out
    # the version's read (at most one each CONTENT_VERSION_SECONDS, tested in test_caching).
    caching.content_version()
    return Pathway.objects.get(slug="infant-mental-health")


@pytest.fixture
def editor(db):
    """Erin, a staff member in the Editors group (not a superuser)."""
    user = User.objects.create_user(
        "erin", "erin@example.nhs.uk", "a-long-enough-password", is_staff=True
    )
    user.groups.add(staff_group("Editors"))
    return user


@pytest.fixture
def publisher(db):
    """Pia, a clinical lead: staff in the Publishers group, who approves what goes live."""
    user = User.objects.create_user(
        "pia", "pia@example.nhs.uk", "a-long-enough-password", is_staff=True
    )
    user.groups.add(staff_group("Publishers"))
    return user


@pytest.fixture
def approver(db):
    """Ola, a second clinical lead in the Publishers group: approves what others propose."""
    user = User.objects.create_user(
        "ola", "ola@example.nhs.uk", "a-long-enough-password", is_staff=True
    )
    user.groups.add(staff_group("Publishers"))
    return user


def approve_pending(user, comment: str = "") -> int:
    """Approves every pending change, oldest first, as `user`; returns how many."""
    from pathways.publishing import PendingChange

    changes = list(PendingChange.objects.pending().order_by("proposed_at", "pk"))
    for change in changes:
        change.approve(user, comment)
    return len(changes)


# Each staff group's rights as the migrations left them, read once before any test runs.
MIGRATED_GROUPS: dict[str, list[tuple[str, str]]] = {}
# While the test database is set up: the means to reach it between tests.
_database: dict[str, object] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, then the staff groups' rights read from them while
    they are freshly migrated (before any test, and so before any flush), then the seeds'
    content loaded once: each test's changes roll back, so every test starts from it."""
    with django_db_blocker.unblock():
        for group in Group.objects.prefetch_related("permissions__content_type"):
            MIGRATED_GROUPS[group.name] = [
                (p.content_type.app_label, p.codename) for p in group.permissions.all()
            ]
        load_seeds()
    _database["blocker"] = django_db_blocker
    yield
    _database.clear()


def flushes_the_database(item: pytest.Item) -> bool:
    """Whether pytest-django runs `item` as a TransactionTestCase, which commits and then
    empties every table when it ends (pytest_django.fixtures._django_db_helper's rule)."""
    marker = item.get_closest_marker("django_db")
    if marker:
        flags = dict(zip(("transaction", "reset_sequences"), marker.args, strict=False))
        flags.update(marker.kwargs)
        if flags.get("transaction") or flags.get("reset_sequences"):
            return True
    return not {"transactional_db", "live_server", "django_db_reset_sequences"}.isdisjoint(
        getattr(item, "fixturenames", ())
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, the seeds' content again, so that the next test
    starts from what every test starts from, whatever order the tests run in (xdist's
    included). With no next test the database is being destroyed."""
    result = yield
    if nextitem is not None and "blocker" in _database and flushes_the_database(item):
        with _database["blocker"].unblock():
            load_seeds()
    return result


def staff_group(name: str) -> Group:
    """A group the migrations make (Editors, Publishers). A transactional test's flush empties
    the tables, migrations' rows included, and Django makes the permissions again: the group
    is made again with the rights the migrations gave it. (Running the migrations' functions
    again would not do: with today's models, 0002's "every pathways permission" includes
    publishing, which editors never had.)"""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        rights = MIGRATED_GROUPS[name]
        wanted = Q()
        for app_label, codename in rights:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(wanted)) if rights else []
        found = {(p.content_type.app_label, p.codename) for p in permissions}
        assert len(permissions) == len(rights), set(rights) - found
        group.permissions.set(permissions)
    return group


@pytest.fixture
def practitioner(db):
    """Hana, a health visitor with an account but no staff rights."""
    return User.objects.create_user("hana", "hana@example.nhs.uk", "a-long-enough-password")


@pytest.fixture(scope="session", autouse=True)
def patient_browser_assertions():
    """A loaded 2-core CI machine can take seconds to serve a page: wait up to 15 s (not
    Playwright's 5) before calling an expectation failed."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def content_version_bound(request, settings):
    """How long each thread holds the content version it read (CONTENT_VERSION_SECONDS).
    The live server's threads hold it as separate workers do: a browser reading right after
    a change could get the old page within that bound, so browser tests read each request's
    version afresh. In-process tests hold it for the whole test: on a loaded machine two
    requests of one test can be more than the bound apart, and a count of a page's queries
    would then take in a read of the version. The bound itself is tested with a clock the test
    moves (test_caching) and with real app servers (test_many_servers)."""
    if "live_server" in request.fixturenames:
        settings.CONTENT_VERSION_SECONDS = 0
    else:
        settings.CONTENT_VERSION_SECONDS = 3600


@pytest.fixture
def live_imh(transactional_db, live_server):
    """The pathway page's URL on the live server, which sees the seeds' content (committed
    once per session, and again after each transactional test's flush)."""
    return live_server.url + IMH_URL


class DatabaseSwitch:
    """Points the app's database at a PostgreSQL server on another 127.0.0.1 port, with the
    production connection options, and back to the test database. psycopg is installed for
    every run, so this works on SQLite runs too."""

    def __init__(self):
        self.test_database = connections[DEFAULT_DB_ALIAS]
        self.wrappers = []

    def point_at(self, port: int, name="pathways", user="pathways", password="pathways"):
        settings_dict = {
            **self.test_database.settings_dict,
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "NAME": name,
            "USER": user,
            "PASSWORD": password,
            "OPTIONS": dict(django_settings.POSTGRESQL_OPTIONS),
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
        wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
            settings_dict, DEFAULT_DB_ALIAS
        )
        connections[DEFAULT_DB_ALIAS] = wrapper
        self.wrappers.append(wrapper)
        return wrapper

    def restore(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self.test_database

    def close(self) -> None:
        for wrapper in self.wrappers:
            wrapper.close()
        self.restore()


@pytest.fixture
def switch_database(db):
    """A DatabaseSwitch; the test database is back in place after the test."""
    switch = DatabaseSwitch()
    yield switch
    switch.close()


@pytest.fixture
def database_down(switch_database):
    """The database server is down: nothing listens on its port, connecting is refused."""
    return switch_database.point_at(closed_port())


@dataclass
class Served:
    status: int
    headers: dict[str, str]
    text: str
    seconds: float


def serve(path: str, headers: dict[str, str] | None = None) -> Served:
    """One GET through Django's WSGI handler as gunicorn makes it: unlike the test client, it
    sends the request started/finished signals that check, drop and reopen database
    connections, which is how the app recovers after an outage. Only for a database set with
    DatabaseSwitch: those signals would close the test database's open transaction."""
    path, _, query = path.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    started = time.monotonic()
    result = WSGIHandler()(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return Served(answer["status"], answer["headers"], body.decode(), time.monotonic() - started)


def pytest_sessionfinish(session):
    """An xdist worker hands its fuzzed-request counts to the controller, which prints them."""
    from .fuzz.counts import REQUESTS, SERVER_ERRORS

    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["fuzzed"] = (dict(REQUESTS), dict(SERVER_ERRORS))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from .fuzz.counts import REQUESTS, SERVER_ERRORS

    requests, server_errors = getattr(node, "workeroutput", {}).get("fuzzed", ({}, {}))
    REQUESTS.update(requests)
    SERVER_ERRORS.update(server_errors)


def pytest_terminal_summary(terminalreporter):
    """How many fuzzed requests each surface took, and how many 5xx (the suite fails on one)."""
    from .fuzz.counts import REQUESTS, summary

    if REQUESTS:
        terminalreporter.write_sep("=", "fuzzed requests per surface")
        for line in summary():
            terminalreporter.write_line(line)


@pytest.fixture
def example_area(imh, publisher):
    """North Example: a published area with three example services and a note (tests/local_area)."""
    from tests.local_area import make_example_area

    return make_example_area(publisher)


@pytest.fixture
def second_area(imh, publisher, example_area):
    """South Example: a second published area, its services its own."""
    from tests.local_area import make_example_area

    return make_example_area(publisher, slug="south-example", name="South Example", prefix="s")
