"""Sign-in security for the editors' admin: the page a locked-out editor sees, and a log line
for every sign-in, failed sign-in and lock-out saying who, from where (when is the log's own
timestamp)."""

import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .clients import client_address

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


def log_sign_in(sender, request, user, **kwargs) -> None:
    logger.info(
        "Sign-in succeeded: user=%r ip=%s path=%s",
        user.get_username(),
        client_address(request),
        getattr(request, "path", ""),
    )


def log_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; only the username is logged.
    logger.warning(
        "Sign-in failed: user=%r ip=%s path=%s",
        credentials.get("username", ""),
        client_address(request),
        getattr(request, "path", ""),
    )


def log_lock_out(sender, request, username, ip_address, **kwargs) -> None:
    logger.warning(
        "Sign-in locked out after %s failures: user=%r ip=%s for %s",
        settings.AXES_FAILURE_LIMIT,
        username,
        ip_address,
        settings.AXES_COOLOFF_TIME,
    )


def connect_signals() -> None:
    """Logs every sign-in, failed sign-in and lock-out (from AppConfig.ready)."""
    user_logged_in.connect(log_sign_in, dispatch_uid="log-sign-in")
    user_login_failed.connect(log_failed_sign_in, dispatch_uid="log-failed-sign-in")
    user_locked_out.connect(log_lock_out, dispatch_uid="log-lock-out")


# The longest username the User model holds: a longer one belongs to nobody, and django-axes'
# own column (255 characters) must never be asked to store one (PostgreSQL refuses it).
USERNAME_LENGTH = 150


def username_of(request: HttpRequest, credentials: dict | None = None) -> str:
    """The username django-axes counts sign-in attempts by, cut to what a user can have."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    given = (credentials or {}).get(field) if credentials else request.POST.get(field)
    return str(given or "")[:USERNAME_LENGTH]


class StaffSignInForm(AdminAuthenticationForm):
    """The admin's sign-in form, with both fields marked invalid (and pointing at the error)
    when a sign-in fails: the error names neither field, since saying which one was wrong
    would tell a guesser which usernames exist."""

    def full_clean(self):
        super().full_clean()
        if self.errors:
            for name in ("username", "password"):
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": "sign-in-error"}
                )
