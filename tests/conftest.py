"""Shared test data: the real fixtures, named people, and a client that speaks htmx."""

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

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(str(p) for p in (ROOT / "fixtures").glob("*.json"))
IMH_URL = "/pathways/infant-mental-health/"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production's hasher is slow on purpose; the tests sign in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def imh(db):
    """The seeds' content, loaded from the project's fixtures exactly as `make run` loads it."""
    call_command("loaddata", *FIXTURES, verbosity=0)
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
def practitioner(db):
    """Hana, a health visitor with an account but no staff rights."""
    return User.objects.create_user("hana", "hana@example.nhs.uk", "a-long-enough-password")
