"""Editors' accounts: long passwords that are not common, no composition rules; sign-in
throttled and locked out after repeated failures; every attempt logged with who and where."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

LOGIN_URL = "/admin/login/"
PASSWORD = "a-long-enough-password"  # Erin's, see conftest.py


def sign_in(client, username="erin", password=PASSWORD, address="192.0.2.10", **extra):
    return client.post(
        LOGIN_URL,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **extra,
    )


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "pathways.security"]


@pytest.mark.parametrize(
    "password",
    [
        "quietharbour",  # exactly 12, lower case letters only
        "739184650273",  # digits only
        "correct horse battery staple",
        "iloveyou1234",
    ],
)
def test_long_uncommon_passwords_are_accepted_whatever_their_characters(password, db):
    validate_password(password)  # raises if refused


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Kq8#zP2!vLm", "at least 12 characters"),  # 11, with every character class
        ("password1234", "too common"),
        ("qwertyuiop123", "too common"),
    ],
)
def test_short_or_common_passwords_are_refused(password, reason, db):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(reason in message for message in refused.value.messages)


def test_successful_sign_in_is_logged_with_who_and_where(client, editor, caplog):
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        response = sign_in(client)
    assert response.status_code == 302
    assert messages(caplog) == ["Sign-in succeeded: user='erin' ip=192.0.2.10 path=/admin/login/"]
    # When: every line carries the log's timestamp (config/settings.py LOGGING).
    assert caplog.records[-1].created


def test_failed_sign_in_is_logged_without_the_password(client, editor, caplog):
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        response = sign_in(client, password="not-the-password")
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    assert messages(caplog) == ["Sign-in failed: user='erin' ip=192.0.2.10 path=/admin/login/"]
    assert "not-the-password" not in caplog.text


def test_five_failures_lock_the_account_out_from_that_address(client, editor, caplog):
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        for _ in range(4):
            assert sign_in(client, password="wrong-password").status_code == 200
        locked = sign_in(client, password="wrong-password")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "<h1>Too many failed sign-in attempts</h1>" in page
    assert "failed to sign in 5 times" in page and "paused for 15 minutes" in page
    assert "Sign-in locked out after 5 failures: user='erin' ip=192.0.2.10" in caplog.text
    # Even the right password is refused while locked out, and the refusal is logged.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        assert sign_in(client).status_code == 429
    assert "Sign-in failed: user='erin' ip=192.0.2.10 path=/admin/login/" in messages(caplog)
    assert "_auth_user_id" not in client.session


def test_a_lock_out_holds_one_username_at_one_address_only(client, editor):
    for _ in range(5):
        sign_in(client, password="wrong-password")
    assert sign_in(client).status_code == 429
    # The same editor from another address, e.g. another site of the trust, still gets in.
    assert sign_in(client, address="198.51.100.20").status_code == 302


def test_the_lock_out_ends_after_fifteen_minutes(client, editor):
    for _ in range(5):
        sign_in(client, password="wrong-password")
    assert sign_in(client).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert sign_in(client).status_code == 302


def test_failures_are_forgotten_after_a_successful_sign_in(client, editor):
    for _ in range(4):
        sign_in(client, password="wrong-password")
    assert sign_in(client).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, password="wrong-password").status_code == 200


def test_behind_the_load_balancer_the_address_is_the_one_it_saw(client, editor, caplog, settings):
    settings.PROXY_COUNT = 1
    # The visitor wrote a fake address; the balancer (10.0.0.5) appended the real one.
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.66, 198.51.100.7"}
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        for _ in range(5):
            sign_in(client, password="wrong-password", address="10.0.0.5", **forwarded)
    assert "Sign-in locked out after 5 failures: user='erin' ip=198.51.100.7" in caplog.text
    # Other visitors behind the same balancer are not locked out with them.
    other = {"HTTP_X_FORWARDED_FOR": "198.51.100.8"}
    assert sign_in(client, address="10.0.0.5", **other).status_code == 302


def test_a_malformed_forwarded_address_falls_back_to_the_connecting_one(
    client, editor, settings, caplog
):
    settings.PROXY_COUNT = 1
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        sign_in(client, address="10.0.0.5", HTTP_X_FORWARDED_FOR="<script>")
    assert messages(caplog) == ["Sign-in succeeded: user='erin' ip=10.0.0.5 path=/admin/login/"]
