"""The freelancer's side of the portal: send and revoke a contact's links, mark client activity seen.

Every view is a studio member's POST; another studio's contact, link or activity is a 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Contact
from kernel.access import get_for_member, safe_next, studio_required
from projects import portal_activity, portal_links
from projects.models import PortalActivity, PortalLink


@studio_required
@require_POST
def send(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = get_for_member(request, Contact.objects.select_related("client__studio"), pk=contact_pk)
    back = safe_next(request, reverse("clients:detail", args=[contact.client_id]))
    now = timezone.now()
    try:
        email = portal_links.send_link(contact, by=request.user, now=now)
    except ValueError:
        messages.error(request, _("%(email)s is not an address we can send to: fix the contact first.")
                       % {"email": contact.email})  # fmt: skip
        return redirect(back)
    expires_at = now + timedelta(days=contact.client.studio.portal_link_days)
    until = date_format(timezone.localtime(expires_at, request.studio.zoneinfo), "DATE_FORMAT")
    messages.success(
        request,
        _("Portal link sent to %(email)s (it works until %(date)s). Older links still work; revoke them if needed.")
        % {"email": ", ".join(email.to), "date": until},
    )
    return redirect(back)


@studio_required
@require_POST
def revoke(request: HttpRequest, link_pk: int) -> HttpResponse:
    link = get_for_member(request, PortalLink.objects.select_related("contact"), pk=link_pk)
    portal_links.revoke(link)
    messages.success(
        request, _("Link revoked: %(name)s can no longer open the portal with it.") % {"name": link.contact.name}
    )
    return redirect(safe_next(request, reverse("clients:detail", args=[link.contact.client_id])))


@studio_required
@require_POST
def activity_seen(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_for_member(request, PortalActivity, pk=pk)
    portal_activity.mark_seen(request.studio, [activity.pk])
    return _done(request)


@studio_required
@require_POST
def activity_seen_all(request: HttpRequest) -> HttpResponse:
    portal_activity.mark_seen(request.studio)
    return _done(request)


def _done(request: HttpRequest) -> HttpResponse:
    """htmx swaps the row away with an empty fragment; a plain form goes back where it came from."""
    if request.headers.get("HX-Request"):
        return HttpResponse("")
    return redirect(safe_next(request, reverse("today")))
