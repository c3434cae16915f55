"""`manage.py createstaff`: an editor's or a publisher's account, never a superuser."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError

from ..conftest import staff_group

PASSWORD = "a-long-enough-password"


def sign_in(client, username: str):
    """Signs in through the admin's form, as the new person would; returns the admin home."""
    response = client.post(
        "/admin/login/",
        {"username": username, "password": PASSWORD, "next": "/admin/"},
        follow=True,
    )
    assert response.redirect_chain == [("/admin/", 302)]
    return response


@pytest.fixture(autouse=True)
def staff_groups(db):
    """The groups the migrations make, made again if a transactional test flushed them."""
    staff_group("Editors")
    staff_group("Publishers")


def createstaff(*args, **options) -> str:
    out = io.StringIO()
    call_command("createstaff", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def password_in_env(monkeypatch, db):
    monkeypatch.setenv("NEW_STAFF_PASSWORD", PASSWORD)
    return "NEW_STAFF_PASSWORD"


def test_a_publisher_account_is_staff_in_publishers_and_may_approve(client, password_in_env):
    said = createstaff(
        "--publisher",
        "pia",
        "--email",
        "pia@example.nhs.uk",
        "--password-from-env",
        password_in_env,
    )
    assert "Made publisher 'pia'" in said
    pia = User.objects.get(username="pia")
    assert pia.is_staff and pia.is_active and not pia.is_superuser
    assert [g.name for g in pia.groups.all()] == ["Publishers"]
    assert pia.email == "pia@example.nhs.uk"
    assert pia.has_perm("pathways.approve_pendingchange")
    assert not pia.has_perm("auth.add_user")
    home = sign_in(client, "pia")
    assert "No changes wait for your approval" in home.content.decode()


def test_an_editor_account_is_staff_in_editors_and_approves_nothing(client, password_in_env):
    createstaff("--editor", "erin", "--password-from-env", password_in_env)
    erin = User.objects.get(username="erin")
    assert erin.is_staff and not erin.is_superuser
    assert [g.name for g in erin.groups.all()] == ["Editors"]
    assert erin.email == ""
    assert erin.has_perm("pathways.change_entry")
    assert not erin.has_perm("pathways.approve_pendingchange")
    assert sign_in(client, "erin").status_code == 200
    assert client.get("/admin/pathways/entry/").status_code == 200


def test_the_password_is_asked_twice_at_a_terminal(monkeypatch, db):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    createstaff("--editor", "erin")
    assert User.objects.get(username="erin").check_password(PASSWORD)


def test_two_different_passwords_make_no_account(monkeypatch, db):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    with pytest.raises(CommandError, match="differ"):
        createstaff("--editor", "erin")
    assert not User.objects.exists()


def test_no_terminal_and_no_variable_is_refused(monkeypatch, db):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--password-from-env"):
        createstaff("--editor", "erin")
    with pytest.raises(CommandError, match="UNSET_VARIABLE is not set"):
        createstaff("--editor", "erin", "--password-from-env", "UNSET_VARIABLE")
    assert not User.objects.exists()


@pytest.mark.parametrize("weak", ["short", "123456789012", "password1234"])
def test_a_weak_password_is_refused(monkeypatch, db, weak):
    monkeypatch.setenv("WEAK", weak)
    with pytest.raises(CommandError):
        createstaff("--publisher", "pia", "--password-from-env", "WEAK")
    assert not User.objects.exists()


def test_an_existing_account_is_left_alone(password_in_env, editor):
    with pytest.raises(CommandError, match="already an account named 'erin'"):
        createstaff("--publisher", "erin", "--password-from-env", password_in_env)
    editor.refresh_from_db()
    assert [g.name for g in editor.groups.all()] == ["Editors"]


@pytest.mark.parametrize(
    "args",
    [
        ["--editor", "erin", "--publisher", "pia"],
        [],
        ["--editor", "bad name!"],
        ["--editor", "erin", "--email", "not-an-address"],
    ],
)
def test_unclear_requests_make_no_account(password_in_env, args):
    with pytest.raises(CommandError):
        createstaff(*args, "--password-from-env", password_in_env)
    assert not User.objects.exists()


def test_before_the_migrations_make_the_groups_no_account_is_made(password_in_env):
    Group.objects.filter(name="Publishers").delete()
    with pytest.raises(CommandError, match="There is no Publishers group: run `manage.py migrate`"):
        createstaff("--publisher", "pia", "--password-from-env", password_in_env)
    assert not User.objects.filter(username="pia").exists()
