"""The way into the guest portal (R13): the token interstitial, "this link no longer works", leaving.

* ``GET /portal/enter/<token>/`` only shows an "Open my projects" button, the same page for any
  token: mail scanners open links, and nothing is spent or revealed by looking.
* Its POST exchanges a usable token for a portal session and redirects to a URL without the
  token. A wrong, expired or revoked token gets one and the same answer: the "this link no longer
  works" page. Failed tries are logged (IP and a hash prefix, never the token) and limited per IP.
* ``POST /portal/request-link/`` emails a fresh link to every contact with that address and always
  answers the same page, so it tells no one whether an address is known. Limited per IP and per
  address; over a limit it answers the same and sends nothing.

Limits count in Django's cache (Redis in production) and fail open when it is down: the tokens are
256-bit, so the limit is about noise and mail floods, not about guessing odds.
"""

from __future__ import annotations

import logging

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kernel.ratelimit import address_key, any_exceeded, count_exceeds
from projects.portal_access import end_session, find_link, hash_token, start_session, with_no_store
from projects.portal_links import safe_landing, send_requested_links

logger = logging.getLogger("rapport.portal")

GUESS_LIMIT = 20
GUESS_WINDOW_SECONDS = 10 * 60
REQUEST_IP_LIMIT = 10
REQUEST_ADDRESS_LIMIT = 3
REQUEST_WINDOW_SECONDS = 60 * 60


class RequestLinkForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":
        return with_no_store(render(request, "portal/enter.html"))
    ip = client_ip(request)
    if _guesses_exhausted(ip):
        logger.warning("Portal link refused: too many failed tries from %s", ip)
        return _link_gone(request, status=429, too_many=True)
    link = find_link(token)
    now = timezone.now()
    if link is None or not link.is_usable(now):
        reason = "unknown" if link is None else ("revoked" if link.revoked_at else "expired")
        logger.warning("Portal link refused (%s) from %s, token hash %s", reason, ip, hash_token(token)[:8])
        _count_failure(ip)
        return _link_gone(request)
    start_session(request, link, now=now)
    return with_no_store(redirect(safe_landing(link.landing) or "portal:home"))


@require_GET
def expired(request: HttpRequest) -> HttpResponse:
    return _link_gone(request)


@require_http_methods(["GET", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return redirect("portal:expired")
    form = RequestLinkForm(request.POST)
    if not form.is_valid():
        return _link_gone(request, form=form)
    email = form.cleaned_data["email"]
    if _requests_exhausted(ip=client_ip(request), email=email):
        logger.warning("Portal link request not sent: over the limit (from %s)", client_ip(request))
    else:
        send_requested_links(email)
    return redirect("portal:link_sent")


@require_GET
def link_sent(request: HttpRequest) -> HttpResponse:
    return with_no_store(render(request, "portal/link_sent.html"))


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    end_session(request)
    return redirect("portal:left")


@require_GET
def left(request: HttpRequest) -> HttpResponse:
    return with_no_store(render(request, "portal/left.html", {"form": RequestLinkForm()}))


def client_ip(request: HttpRequest) -> str:
    """``REMOTE_ADDR``: behind a proxy, the deployment sets it to the visitor's (see guest.inquiry_views)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def _link_gone(
    request: HttpRequest, *, form: RequestLinkForm | None = None, status: int = 200, too_many: bool = False
) -> HttpResponse:
    """The one "this link no longer works" page: wrong, expired and revoked links all end here."""
    context = {"form": form or RequestLinkForm(), "too_many": too_many}
    return with_no_store(render(request, "portal/expired.html", context, status=status))


def _guess_key(ip: str) -> str:
    return f"portal:guess:{ip}"


def _guesses_exhausted(ip: str) -> bool:
    try:
        return (cache.get(_guess_key(ip)) or 0) >= GUESS_LIMIT
    except Exception:
        logger.warning("Portal rate limits are off: the cache is unreachable", exc_info=True)
        return False


def _count_failure(ip: str) -> None:
    try:
        count_exceeds(_guess_key(ip), limit=GUESS_LIMIT, window=GUESS_WINDOW_SECONDS)
    except Exception:
        logger.warning("Portal rate limits are off: the cache is unreachable", exc_info=True)


def _requests_exhausted(*, ip: str, email: str) -> bool:
    """Count this request against the per-IP and per-address limits; True if either is exceeded."""
    return any_exceeded(
        (f"portal:ask:ip:{ip}", REQUEST_IP_LIMIT, REQUEST_WINDOW_SECONDS),
        (f"portal:ask:address:{address_key(email)}", REQUEST_ADDRESS_LIMIT, REQUEST_WINDOW_SECONDS),
        what="Portal link request",
    )
