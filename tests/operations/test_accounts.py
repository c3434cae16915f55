"""Editors' accounts: long passwords that are not common, no composition rules; sign-in
throttled and locked out after repeated failures; every attempt logged with who and where."""

import logging
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from pathways.operations.clients import client_ip

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
        # Issue 16, defect 7: twelve digits are a PIN, not a passphrase.
        ("739184650273", "entirely numeric"),
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
    # When: every line carries the log's timestamp (config/settings.py LOGGING's format).
    from django.conf import settings

    formatter = logging.Formatter(settings.LOGGING["formatters"]["timestamped"]["format"])
    record = next(r for r in caplog.records if r.name == "pathways.security")
    stamp = formatter.formatTime(record)
    assert formatter.format(record) == (
        f"{stamp} INFO pathways.security Sign-in succeeded: user='erin' ip=192.0.2.10 "
        "path=/admin/login/"
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", stamp)


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
    assert "failed to sign in 5 times" in page and "paused for 5 minutes" in page
    assert "Sign-in locked out after 5 failures: user='erin' ip=192.0.2.10" in caplog.text
    # Even the right password is refused while locked out, and the refusal is logged.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        assert sign_in(client).status_code == 429
    assert "Sign-in failed: user='erin' ip=192.0.2.10 path=/admin/login/" in messages(caplog)
    assert "_auth_user_id" not in client.session


def test_a_lock_out_holds_one_username_only(client, editor, publisher):
    for _ in range(5):
        sign_in(client, password="wrong-password")
    assert sign_in(client).status_code == 429
    # Colleagues at the same address (one trust, one public address) still get in.
    assert sign_in(client, username="pia").status_code == 302


def test_guessing_one_username_from_many_addresses_is_locked_out(client, editor):
    # Issue 16, defect 7: 24 failures from 6 addresses, then the right password, got in.
    addresses = [f"203.0.113.{n}" for n in range(1, 7)]
    answers = [
        sign_in(client, password=f"guess-{n}", address=addresses[n % 6]).status_code
        for n in range(24)
    ]
    assert answers[:4] == [200] * 4  # the fifth failure locks, as from one address
    assert set(answers[4:]) == {429}
    assert sign_in(client, address="198.51.100.20").status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_out_ends_after_five_minutes(client, editor):
    # Short, so that someone who locks a real editor out on purpose costs them minutes.
    for _ in range(5):
        sign_in(client, password="wrong-password")
    assert sign_in(client).status_code == 429
    attempt = AccessAttempt.objects.get()
    AccessAttempt.objects.update(attempt_time=attempt.attempt_time - timedelta(minutes=4))
    assert sign_in(client).status_code == 429
    AccessAttempt.objects.update(attempt_time=attempt.attempt_time - timedelta(minutes=6))
    assert sign_in(client).status_code == 302


def test_failures_are_forgotten_after_a_successful_sign_in(client, editor):
    for _ in range(4):
        sign_in(client, password="wrong-password")
    assert sign_in(client).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, password="wrong-password").status_code == 200


def test_behind_the_load_balancer_the_address_is_the_one_it_saw(
    client, editor, publisher, caplog, settings
):
    settings.PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.5"]
    # The visitor wrote a fake address; the balancer (10.0.0.5) appended the real one.
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.66, 198.51.100.7"}
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        for _ in range(5):
            sign_in(client, password="wrong-password", address="10.0.0.5", **forwarded)
    assert "Sign-in locked out after 5 failures: user='erin' ip=198.51.100.7" in caplog.text
    # Other visitors behind the same balancer are not locked out with them.
    other = {"HTTP_X_FORWARDED_FOR": "198.51.100.8"}
    assert sign_in(client, username="pia", address="10.0.0.5", **other).status_code == 302


def test_a_malformed_forwarded_address_falls_back_to_the_connecting_one(
    client, editor, settings, caplog
):
    settings.PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.5"]
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        sign_in(client, address="10.0.0.5", HTTP_X_FORWARDED_FOR="<script>")
    assert messages(caplog) == ["Sign-in succeeded: user='erin' ip=10.0.0.5 path=/admin/login/"]


def test_a_client_reaching_the_app_directly_cannot_forge_its_address(
    client, editor, publisher, settings, caplog
):
    # Issue 16, defect 7: with PROXY_COUNT=1, a forged X-Forwarded-For from an address that
    # is not the balancer's locked out a victim's address and let rotated guesses through.
    settings.PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/24"]
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        sign_in(client, password="wrong", address="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert messages(caplog) == ["Sign-in failed: user='erin' ip=203.0.113.9 path=/admin/login/"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pathways.security"):
        sign_in(client, password="wrong", address="10.0.0.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert messages(caplog) == ["Sign-in failed: user='erin' ip=1.2.3.4 path=/admin/login/"]


def test_the_settings_trust_the_same_proxies_as_gunicorn():
    from django.conf import settings

    assert settings.FORWARDED_ALLOW_IPS == ["127.0.0.1", "::1"]
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "username"]


def forwarded_request(connecting: str, forwarded: str):
    return RequestFactory().get("/", REMOTE_ADDR=connecting, HTTP_X_FORWARDED_FOR=forwarded)


def test_a_star_trusts_the_header_from_any_proxy(settings):
    settings.PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert client_ip(forwarded_request("192.0.2.1", "198.51.100.7")) == "198.51.100.7"


def test_a_malformed_proxy_setting_is_skipped_and_the_others_still_trusted(settings):
    settings.PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = ["load-balancer", "10.0.0.0/24"]
    assert client_ip(forwarded_request("10.0.0.5", "198.51.100.7")) == "198.51.100.7"
    assert client_ip(forwarded_request("192.0.2.1", "198.51.100.7")) == "192.0.2.1"


def test_a_connection_with_no_address_is_not_a_trusted_proxy(settings):
    # gunicorn on a unix socket: no connecting address, so the header is not believed.
    settings.PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/24"]
    assert client_ip(forwarded_request("", "198.51.100.7")) == ""
