"""The problem-report limit is five an hour per reader, whichever worker answers: two gunicorn
workers serve one database, and two readers behind the same proxy each get their own five."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from pathways.models import ProblemReport

from ..conftest import FIXTURES, IMH_URL, ROOT

# The README promises five reports an hour; stated here as a number, not read from the code.
FIVE = 5
REPORT_URL = f"{IMH_URL}entries/20/report/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database as a DATABASE_URL, for a server in another process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    password = urllib.parse.quote(settings["PASSWORD"] or "")
    return (
        f"postgres://{settings['USER']}:{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.fixture
def two_workers(transactional_db):
    """gunicorn with two worker processes on the test database, behind one trusted proxy."""
    call_command("loaddata", *FIXTURES, verbosity=0)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PROXY_COUNT": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_DEBUG", None)
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # TimeoutError: a worker still starting on a busy machine accepted but did
                # not answer within the 2 s.
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Reader:
    """A browser of one reader: its own cookies, its address as the proxy forwards it."""

    def __init__(self, base: str, address: str):
        self.base = base
        self.address = address
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def send_report(self, text: str) -> int:
        """Opens the form and sends it, each on a new connection: any worker may answer."""
        headers = {"X-Forwarded-For": self.address, "Connection": "close"}
        form = self.opener.open(urllib.request.Request(self.base + REPORT_URL, headers=headers))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.read().decode())[1]
        body = urllib.parse.urlencode({"text": text, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.base + REPORT_URL,
            data=body,
            headers={**headers, "Referer": self.base + REPORT_URL},
        )
        try:
            return self.opener.open(request).status
        except urllib.error.HTTPError as error:
            return error.code


def test_five_reports_an_hour_whichever_worker_answers(two_workers):
    first = Reader(two_workers, "203.0.113.5")
    second = Reader(two_workers, "203.0.113.6")
    assert [first.send_report(f"Problem {n}") for n in range(FIVE)] == [302] * FIVE
    assert first.send_report("One too many") == 429
    assert first.send_report("Still too many") == 429
    # Another reader behind the same proxy is not held back by the first.
    assert second.send_report("From another reader") == 302
    assert ProblemReport.objects.count() == FIVE + 1
    assert not ProblemReport.objects.filter(text__contains="too many").exists()
