"""Sign-in security for the editors' admin: the page a locked-out editor sees, and a log line
for every sign-in, failed sign-in and lock-out saying who, from where (when is the log's own
timestamp)."""

import ipaddress
import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("pathways.security")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """What django-axes answers once a username has failed too often from one address."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "lockout.html", context, status=429)


def client_ip(request: HttpRequest) -> str:
    """The address a request comes from, as django-axes counts attempts and the log shows it.

    Behind PROXY_COUNT proxies that each append the address they saw to X-Forwarded-For, the
    client is the PROXY_COUNT-th address from the right: anything further left, the client
    could have written itself. With no proxies, or a header too short to come from them, it
    is the connecting address.
    """
    count = settings.PROXY_COUNT
    if count:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [address.strip() for address in header.split(",") if address.strip()]
        if len(forwarded) >= count:
            try:
                return str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR", "")


def client_address(request: HttpRequest | None) -> str:
    return client_ip(request) if request is not None else "unknown"


@receiver(user_logged_in)
def log_sign_in(sender, request, user, **kwargs) -> None:
    logger.info(
        "Sign-in succeeded: user=%r ip=%s path=%s",
        user.get_username(),
        client_address(request),
        getattr(request, "path", ""),
    )


@receiver(user_login_failed)
def log_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; only the username is logged.
    logger.warning(
        "Sign-in failed: user=%r ip=%s path=%s",
        credentials.get("username", ""),
        client_address(request),
        getattr(request, "path", ""),
    )


@receiver(user_locked_out)
def log_lock_out(sender, request, username, ip_address, **kwargs) -> None:
    logger.warning(
        "Sign-in locked out after %s failures: user=%r ip=%s for %s",
        settings.AXES_FAILURE_LIMIT,
        username,
        ip_address,
        settings.AXES_COOLOFF_TIME,
    )
