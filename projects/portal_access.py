"""Who is looking at the guest portal (R13): per-contact links, portal sessions, the scope they grant.

A link carries a token from ``secrets.token_urlsafe(32)``; only its SHA-256 is stored. Opening a
link shows an interstitial; its POST exchanges the token for a portal session (the session keeps
the link's id, never the token) and redirects to a URL without the token. Every portal request
re-reads the link, so revoking it or letting it expire ends the sessions made with it.

A portal session is not a Django login: ``request.user`` stays anonymous, so nothing on the
freelancer's side opens to it. It reaches one contact's client and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation

from clients.models import Client, Contact
from kernel.models import Studio
from kernel.queries import Prepared
from kernel.tokens import hash_token, new_token
from projects.models import PortalLink, Project

SESSION_KEY = "rapport_portal_link"
LAST_SEEN_EVERY = timedelta(minutes=5)
# Pages reached by a secret URL: no Referer at all, no cache, no index. Their own forms then post
# with `Origin: null`, which `kernel.middleware.CsrfViewMiddleware` accepts on those paths only.
NO_STORE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store, private",
    "X-Robots-Tag": "noindex, nofollow",
}

View = Callable[..., HttpResponse]


def issue_link(
    contact: Contact, *, now: datetime | None = None, created_by: Any = None, landing: str = ""
) -> tuple[PortalLink, str]:
    """A new link for ``contact`` (older links keep working); returns the row and the raw token.

    The raw token exists only in this return value and, sealed until it leaves, the email that carries it.
    """
    now = now or timezone.now()
    studio: Studio = contact.client.studio
    token = new_token()
    link = PortalLink.objects.create(
        studio_id=contact.studio_id,
        contact=contact,
        token_hash=hash_token(token),
        landing=landing,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        expires_at=now + timedelta(days=studio.portal_link_days),
    )
    return link, token


def find_link(token: str) -> PortalLink | None:
    """The link a raw token belongs to (usable or not), or None."""
    if not token or len(token) > 100:
        return None
    return PortalLink.objects.select_related("contact__client__studio").filter(token_hash=hash_token(token)).first()


def start_session(request: HttpRequest, link: PortalLink, *, now: datetime | None = None) -> None:
    """Make this browser a portal visitor of ``link``'s contact (new session key: no fixation)."""
    now = now or timezone.now()
    request.session.cycle_key()
    request.session[SESSION_KEY] = link.pk
    PortalLink.objects.filter(pk=link.pk).update(last_used_at=now)
    Contact.objects.filter(pk=link.contact_id).update(portal_last_seen_at=now)


def end_session(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


@dataclass(frozen=True)
class PortalVisitor:
    link: PortalLink
    contact: Contact
    client: Client
    studio: Studio

    @property
    def language(self) -> str:
        return self.client.language or "en"

    @property
    def zone(self) -> ZoneInfo:
        """The client's time zone when it is set and known, else the studio's: portal times show in it."""
        return self.client.zone_or(self.studio.zoneinfo)


# Every portal page reads its link, then its project: compiled once, bound per request.
LINK_WITH_VISITOR = Prepared(
    lambda link: PortalLink.objects.select_related("contact__client__studio").filter(pk=link).order_by("pk")[:1]
)
VISITOR_PROJECT = Prepared(
    lambda studio, client, project: visitor_projects_of(studio=studio, client=client).filter(pk=project)
)


def current_visitor(request: HttpRequest, *, now: datetime | None = None) -> PortalVisitor | None:
    """The portal visitor of this request (one query), or None when there is no usable session."""
    link_id = request.session.get(SESSION_KEY)
    if not isinstance(link_id, int):
        return None
    found = LINK_WITH_VISITOR(link=link_id)
    link = found[0] if found else None
    now = now or timezone.now()
    if link is None or not link.is_usable(now):
        end_session(request)
        return None
    contact = link.contact
    if contact.portal_last_seen_at is None or now - contact.portal_last_seen_at >= LAST_SEEN_EVERY:
        Contact.objects.filter(pk=contact.pk).update(portal_last_seen_at=now)
        contact.portal_last_seen_at = now
    return PortalVisitor(link=link, contact=contact, client=contact.client, studio=contact.client.studio)


def portal_required(view: View) -> View:
    """The view runs only for a portal visitor, in the client's language and time zone.

    Others see the "link no longer works" page. Sets ``request.portal`` (a `PortalVisitor`).
    Responses are never cached.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visitor = current_visitor(request)
        if visitor is None:
            return redirect("portal:expired")
        request.portal = visitor
        translation.activate(visitor.language)
        request.LANGUAGE_CODE = visitor.language
        with timezone.override(visitor.zone):
            response = view(request, *args, **kwargs)
        response.headers.setdefault("Cache-Control", "no-store, private")
        response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
        response.headers.setdefault("Content-Language", visitor.language)
        return response

    return wrapper


def visitor_projects(visitor: PortalVisitor):
    """The projects the visitor may see: their client's, never a lead or a cancelled one."""
    return visitor_projects_of(studio=visitor.studio.pk, client=visitor.client.pk)


def visitor_projects_of(*, studio: int, client: int):
    return (
        Project.objects.filter(studio_id=studio, client_id=client)
        .exclude(status__in=[Project.Status.LEAD, Project.Status.CANCELLED])
        .order_by("-created_at")
    )


def visitor_project(request: HttpRequest, pk: int) -> Project:
    """One project of the visitor's client, or 404 (another client's project does not exist here)."""
    visitor: PortalVisitor | None = getattr(request, "portal", None)
    if visitor is None:
        raise Http404
    found = VISITOR_PROJECT(studio=visitor.studio.pk, client=visitor.client.pk, project=pk)
    if not found:
        raise Http404("No Project matches the given query.")
    return found[0]


def with_no_store(response: HttpResponse) -> HttpResponse:
    """The headers every page reached by a token carries."""
    for name, value in NO_STORE_HEADERS.items():
        response.headers[name] = value
    return response
