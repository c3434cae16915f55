"""Several app servers behind one load balancer: two gunicorn servers on the test database and
one Redis (a redis-server this module starts on a free port and stops). A change approved
through one is served by the other on its next request, the problem-report limit counts across
both, and with Redis stopped both still serve every page."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import global_settings
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from pathways.models import Entry
from pathways.operations.caching import RETRY_AFTER_SECONDS
from pathways.problem_reports.views import REPORTS_PER_HOUR
from pathways.publishing import PendingChange

from ..conftest import FIXTURES, IMH_URL
from ..relay import closed_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
PAGE = IMH_URL + "?age=10w&service=health-visiting"
# A content change reaches every server within this (docs/deploy.md), and a little more for
# the request itself.
BOUND = django_settings.CONTENT_VERSION_SECONDS + 0.5

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="needs Debian's redis-server (apt-get install redis-server; .ci/run installs it)",
)


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up in {seconds} s")


class RedisServer:
    """A throwaway redis-server on a free 127.0.0.1 port, keeping nothing on disk."""

    def __init__(self):
        self.port = closed_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 10, "redis-server")
        return self

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def database_url() -> str:
    """The test database, as a URL another process can open."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:"
        f"{settings['PORT']}/{settings['NAME']}"
    )


class AppServer:
    """gunicorn (one worker) with config/gunicorn.conf.py on a free port, with its own
    log: nothing is shared with the other server but the database and Redis."""

    def __init__(self, redis_url: str, folder: Path):
        self.port = closed_port()
        self.log = folder / f"gunicorn-{self.port}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_ACCESS_LOG": "0",
            "CONN_MAX_AGE": "0",
        }
        self.env.pop("DJANGO_ENV", None)
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> AppServer:
        self.process = subprocess.Popen(
            [GUNICORN, "--config", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: fetch(self.url("/healthz"))[0] == 200, 60, "gunicorn")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def fetch(url: str, data: dict | None = None, opener=None) -> tuple[int, str]:
    """(status, body) of a GET, or of a POST of `data`; errors are answers too."""
    body = urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def browser() -> tuple:
    """An opener that keeps cookies (a session, the CSRF cookie) across both servers, as one
    browser behind the load balancer would; and its cookie jar."""
    jar = CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def csrf_token(jar: CookieJar) -> str:
    return next(cookie.value for cookie in jar if cookie.name == "csrftoken")


def sign_in(server: AppServer, username: str, password: str):
    opener, jar = browser()
    fetch(server.url("/admin/login/"), opener=opener)
    status, body = fetch(
        server.url("/admin/login/?next=/admin/"),
        {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(jar)},
        opener=opener,
    )
    assert status == 200 and "Log out" in body, body[:500]
    return opener, jar


@pytest.fixture
def servers(transactional_db, tmp_path):
    """Redis and two app servers on the test database, with the seeds' content loaded."""
    call_command("loaddata", *FIXTURES, verbosity=0)
    redis = RedisServer().start()
    started = []
    try:
        for _ in range(2):
            started.append(AppServer(redis.url, tmp_path).start())
        yield redis, started[0], started[1]
    finally:
        for server in started:
            server.stop()
        redis.stop()


def count_shown(body: str) -> str:
    return re.search(r"Showing (\d+ of \d+) rationales", body).group(1)


def publishers_and_an_entry(settings) -> Entry:
    # The servers check passwords with production's hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    # Superusers may publish and approve: the Publishers group comes from a data migration,
    # which an earlier transactional test's flush may have emptied.
    for name in ("pia", "ola"):
        User.objects.create_superuser(name, f"{name}@example.nhs.uk", "a-long-enough-password")
    entry = Entry.objects.filter(pathway__slug="infant-mental-health").for_age(70)
    return entry.filter(service__slug="health-visiting").first()


def post_as(server: AppServer, username: str, path: str, data: dict) -> int:
    person, jar = sign_in(server, username, "a-long-enough-password")
    status, _ = fetch(
        server.url(path), {**data, "csrfmiddlewaretoken": csrf_token(jar)}, opener=person
    )
    return status


def unpublish(server: AppServer, entry: Entry) -> None:
    """Pia asks to unpublish the entry through `server`'s admin, and Ola approves it there."""
    action = {"action": "unpublish", "_selected_action": [entry.pk]}
    assert post_as(server, "pia", "/admin/pathways/entry/", action) == 200
    change = PendingChange.objects.pending().get()
    approval = f"/admin/pathways/pendingchange/{change.pk}/change/"
    assert post_as(server, "ola", approval, {"decision": "approve"}) in (200, 302)
    entry.refresh_from_db()
    assert entry.status == "draft"


def test_a_change_approved_through_one_server_is_served_by_the_other(servers, settings):
    _, first, second = servers
    entry = publishers_and_an_entry(settings)
    # Both servers have built the page (and its cards) under the current content version.
    for server in (first, second):
        status, body = fetch(server.url(PAGE))
        assert status == 200 and entry.rationale in body
    before = count_shown(body)
    shown, total = (int(n) for n in before.split(" of "))

    unpublish(first, entry)

    # Within the bound (CONTENT_VERSION_SECONDS) the other server may still hold the old
    # version; after it, never.
    time.sleep(BOUND)
    status, body = fetch(second.url(PAGE))
    assert status == 200
    assert entry.rationale not in body
    assert count_shown(body) == f"{shown - 1} of {total - 1}"
    status, fragment = fetch(second.url(PAGE.replace("?", "?stage=birth-6-weeks&")))
    assert entry.rationale not in fragment


def test_an_entry_unpublished_while_redis_is_paused_is_gone_within_the_bound(servers, settings):
    # Issue 21, defect 5: Redis paused, both servers time out and leave it alone for
    # RETRY_AFTER_SECONDS; an entry is unpublished meanwhile; Redis resumes. The old page
    # was still served minutes later, and nothing was logged.
    redis, first, second = servers
    entry = publishers_and_an_entry(settings)
    for server in (first, second):
        assert entry.rationale in fetch(server.url(PAGE))[1]
    redis.process.send_signal(signal.SIGSTOP)
    try:
        paused = time.monotonic()
        for server in (first, second):  # a new page: its parts are asked of Redis
            assert fetch(server.url(IMH_URL + "?age=9w"))[0] == 200
        unpublish(first, entry)
    finally:
        redis.process.send_signal(signal.SIGCONT)
    time.sleep(BOUND)
    # Every page after the bound is without it, past the end of the back-off.
    while time.monotonic() < paused + RETRY_AFTER_SECONDS + 2:
        for server in (first, second):
            status, body = fetch(server.url(PAGE))
            assert status == 200 and entry.rationale not in body
        time.sleep(0.5)
    logs = first.log.read_text() + second.log.read_text()
    assert "Cache 'shared' unreadable, pages are built afresh" in logs
    assert "Cache 'shared' left alone after a failure, nothing kept there" in logs


def test_the_problem_report_limit_counts_across_both_servers(servers):
    _, first, second = servers
    reader, jar = browser()
    form = IMH_URL + "entries/10/report/"
    fetch(first.url(form), opener=reader)
    report = {"text": "The wording is unclear.", "csrfmiddlewaretoken": csrf_token(jar)}
    for number in range(REPORTS_PER_HOUR):
        server = (first, second)[number % 2]
        status, body = fetch(server.url(form), report, opener=reader)
        assert status == 200 and "sent" in body.lower(), (number, status)
    for server in (first, second):
        status, _ = fetch(server.url(form), report, opener=reader)
        assert status == 429


def test_with_redis_stopped_every_page_still_comes(servers):
    redis, first, second = servers
    for server in (first, second):
        assert fetch(server.url(PAGE))[0] == 200
    redis.stop()
    pages = [PAGE, IMH_URL, IMH_URL + "?q=baby", IMH_URL + "checklist/?age=2y", "/"]
    for server in (first, second):
        for path in pages:
            status, body = fetch(server.url(path))
            assert status == 200, (path, status)
            assert "Pathway Navigator" in body
        status, body = fetch(server.url(PAGE))
        assert count_shown(body).endswith("of 19")
    logs = first.log.read_text() + second.log.read_text()
    assert "Cache 'shared' unreadable, pages are built afresh" in logs
