"""Where a request comes from: one rule for sign-in throttling, the sign-in log and the
problem-report limit, read from the one PROXY_COUNT setting."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address a request comes from.

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
    """`client_ip`, or "unknown" where a signal arrives without a request."""
    return client_ip(request) if request is not None else "unknown"
