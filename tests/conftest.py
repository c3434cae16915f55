"""Shared test data: the real fixtures, named people, and a client that speaks htmx."""

import io
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from hypothesis import settings

# CI runs the same examples every time, so a red build can be reproduced; locally they vary.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """People sign in with force_login here; hashing their passwords the slow, safe way
    only costs time (a third of a second per person)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def imh(db):
    """The seeds' content, loaded from the project's fixtures exactly as `make run` loads it."""
    call_command("loaddata", *FIXTURES, verbosity=0)
    call_command("record_history_baseline", verbosity=0, stdout=io.StringIO())
    from pathways.models import Pathway

    return Pathway.objects.get(slug="infant-mental-health")


@pytest.fixture
def editor(db):
    """Erin, a staff member in the Editors group (not a superuser)."""
    user = User.objects.create_user(
        "erin", "erin@example.nhs.uk", "a-long-enough-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def publisher(db):
    """Pia, a clinical lead: staff in the Publishers group, who approves what goes live."""
    user = User.objects.create_user(
        "pia", "pia@example.nhs.uk", "a-long-enough-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Publishers"))
    return user


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


@pytest.fixture
def live_imh(transactional_db, live_server):
    """The live server with the seeds' content loaded; returns the pathway page's URL."""
    call_command("loaddata", *FIXTURES, verbosity=0)
    return live_server.url + IMH_URL
