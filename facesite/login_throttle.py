"""Login throttling with django-axes: whose address a request is from, and the page a
locked-out login gets."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a proxy the last address of the header
    FACESITE_CLIENT_IP_HEADER names (the one the proxy itself saw; earlier ones are the
    client's word)."""
    if settings.FACESITE_CLIENT_IP_HEADER:
        forwarded = request.headers.get(settings.FACESITE_CLIENT_IP_HEADER, "")
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-1]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, response: HttpResponse | None, credentials: dict | None):
    """The login page again, saying plainly why it refuses and for how long (429)."""
    context = {"cooloff_minutes": settings.FACESITE_LOGIN_COOLOFF_MINUTES}
    return render(request, "registration/locked_out.html", context, status=429)
