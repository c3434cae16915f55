"""Where a request comes from: one rule for sign-in throttling, the sign-in log and the
problem-report limit, read from the PROXY_COUNT and FORWARDED_ALLOW_IPS settings."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def from_trusted_proxy(address: str) -> bool:
    """Whether the connecting address is one of FORWARDED_ALLOW_IPS (addresses or networks,
    "*" for any), as gunicorn decides whose X-Forwarded-Proto to believe."""
    allowed = settings.FORWARDED_ALLOW_IPS
    if "*" in allowed:
        return True
    try:
        connecting = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if connecting in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """The address a request comes from.

    Behind PROXY_COUNT proxies that each append the address they saw to X-Forwarded-For, the
    client is the PROXY_COUNT-th address from the right: anything further left, the client
    could have written itself. The header is believed only from a proxy in
    FORWARDED_ALLOW_IPS: a client reaching the app directly could write all of it. With no
    proxies, or a header too short to come from them, it is the connecting address.
    """
    count = settings.PROXY_COUNT
    connecting = request.META.get("REMOTE_ADDR", "")
    if count and from_trusted_proxy(connecting):
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [address.strip() for address in header.split(",") if address.strip()]
        if len(forwarded) >= count:
            try:
                return str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass
    return connecting


def client_address(request: HttpRequest | None) -> str:
    """`client_ip`, or "unknown" where a signal arrives without a request."""
    return client_ip(request) if request is not None else "unknown"
