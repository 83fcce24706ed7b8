"""The first middleware: who is asking (behind a trusted proxy) and how much they may send.

``ClientAddressMiddleware`` sets ``REMOTE_ADDR`` to the visitor's address from the header named
by ``TRUSTED_PROXY_HEADER`` (README, "Behind a reverse proxy"), so per-address limits (portal
link guesses, link requests, inquiries, login lockouts) count each visitor, not the proxy. With
``X-Forwarded-For`` the address ``TRUSTED_PROXY_COUNT`` places from the right is taken: entries
further left were written by the client and prove nothing.

``RequestSizeMiddleware`` refuses a body over ``MAX_REQUEST_BODY_SIZE`` with a friendly 413 before
anything reads it; only the inbound-mail webhooks (whole messages with attachments) may send up to
``INBOUND_MAX_BODY_SIZE``, and a view marked with a ``request_body_limit`` callable (upload views,
``files.uploads.refuse_oversized_upload``) up to what it returns.

``NullCharacterMiddleware`` answers 400 to a query string with a NUL character: no page reads one, and
PostgreSQL refuses it in a query, which would otherwise be a 500 wherever a filter passes it on.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

logger = logging.getLogger("rapport.edge")

INBOUND_ROUTES = frozenset({("hooks", "inbound"), ("hooks", "inbound_mime")})


def trusted_client_address(request: HttpRequest) -> str | None:
    """The visitor's address from the trusted proxy header, or None (no header configured, none sent, not an IP)."""
    header = settings.TRUSTED_PROXY_HEADER
    if not header:
        return None
    raw = request.headers.get(header, "")
    hops = [hop.strip() for hop in raw.split(",") if hop.strip()]
    count = max(settings.TRUSTED_PROXY_COUNT, 1)
    if len(hops) < count:
        return None
    candidate = hops[-count]
    if candidate.startswith("[") and "]" in candidate:  # "[2001:db8::1]:443"
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # "203.0.113.7:51234"
        candidate = candidate.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (address := trusted_client_address(request)) is not None:
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)


def body_limit(request: HttpRequest) -> int:
    """The largest body this request's URL accepts, in bytes."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return settings.MAX_REQUEST_BODY_SIZE
    if (match.namespace, match.url_name) in INBOUND_ROUTES:
        return settings.INBOUND_MAX_BODY_SIZE
    # A view that takes files says how much it takes (files.uploads.refuse_oversized_upload).
    view_limit = getattr(match.func, "request_body_limit", None)
    if callable(view_limit):
        return max(int(view_limit()), settings.MAX_REQUEST_BODY_SIZE)
    return settings.MAX_REQUEST_BODY_SIZE


class RequestSizeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_SIZE and length > (limit := body_limit(request)):
            logger.warning("Refused a %s-byte body for %s", length, request.path_info)
            response = render(request, "413.html", {"limit_mb": limit / 1024 / 1024}, status=413)
            response["Connection"] = "close"  # the unread body is not worth keeping the connection for
            return response
        return self.get_response(request)


class NullCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            return render(request, "400.html", status=400)
        return self.get_response(request)
