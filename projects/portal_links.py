"""Portal links as the freelancer and the client handle them (R13): send, revoke, ask for a new one.

`projects.portal_access` makes the tokens and sessions; this module puts a link in an email,
switches links off, answers a client's "email me a new link" and lists a client's live links.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Contact
from comms.mail import studio_email_send
from comms.models import OutboxEmail
from comms.notify import notify_freelancer
from kernel.dates import day_date, local_date
from kernel.i18n import supported_language
from kernel.links import absolute_url, site_url
from kernel.sweeps import freelancer_addresses
from projects import portal_activity
from projects.models import PortalLink, Project
from projects.portal_access import issue_link
from projects.reminders import first_name
from projects.update_email import client_contacts

logger = logging.getLogger("rapport.portal")

LINK_TEMPLATE = "portal-link"
CALL_PROPOSAL_TEMPLATE = "call-proposal"
REQUESTED_TEMPLATE = "portal-link-requested"
PORTAL_PREFIX = "/portal/"
ENTER_PREFIX = "/portal/enter/"


def safe_landing(landing: str) -> str:
    """``landing`` when it is a plain path inside the portal, else "" (never an open redirect).

    Only "/portal/…" paths qualify: no scheme, no host, no "//", no backslashes, no "..", no
    control characters, and not the token page itself.
    """
    landing = (landing or "").strip()
    if not landing.startswith(PORTAL_PREFIX) or len(landing) > 200:
        return ""
    if "\\" in landing or ".." in landing or any(ord(char) < 32 or ord(char) == 127 for char in landing):
        return ""
    parts = urlsplit(landing)
    if parts.scheme or parts.netloc or not parts.path.startswith(PORTAL_PREFIX):
        return ""
    if parts.path.startswith(ENTER_PREFIX):
        return ""
    return landing


def send_link(
    contact: Contact,
    *,
    by: Any = None,
    landing: str = "",
    now: datetime | None = None,
    send_after: datetime | None = None,
) -> OutboxEmail:
    """Issue a new link for ``contact`` and queue the email that carries it, in the client's language.

    Older links keep working (revoke them separately). ``landing`` is a portal path the link opens
    on (ignored unless it is one). The email leaves at once unless ``send_after`` says otherwise.
    """
    return _send_link(contact, by=by, landing=landing, now=now or timezone.now(), send_after=send_after)[1]


def send_call_proposal(
    contact: Contact, *, topic: str, minutes: int, landing: str, by: Any = None, now: datetime | None = None
) -> OutboxEmail:
    """Ask ``contact`` for a short call about ``topic`` (R8): a portal link that opens on the slot picker.

    The email says it is about a call, names the topic and the call's length, in the client's language.
    """
    with transaction.atomic():
        return _issue_and_queue(
            contact, by=by, landing=landing, now=now or timezone.now(), send_after=None,
            template=CALL_PROPOSAL_TEMPLATE, extra={"topic": topic, "minutes": str(minutes)},
        )[1]  # fmt: skip


def _send_link(
    contact: Contact, *, by: Any, landing: str, now: datetime, send_after: datetime | None
) -> tuple[PortalLink, OutboxEmail]:
    with transaction.atomic():  # a link without its email is useless: both or neither
        return _issue_and_queue(contact, by=by, landing=landing, now=now, send_after=send_after)


def _issue_and_queue(
    contact: Contact,
    *,
    by: Any,
    landing: str,
    now: datetime,
    send_after: datetime | None,
    template: str = LINK_TEMPLATE,
    extra: dict[str, str] | None = None,
) -> tuple[PortalLink, OutboxEmail]:
    client = contact.client
    studio = client.studio
    link, token = issue_link(contact, now=now, created_by=by, landing=safe_landing(landing))
    language = supported_language(client.language)
    with translation.override(language):
        expires_on = day_date(local_date(link.expires_at, client_zoneinfo(contact)))
    context = {
        "first_name": first_name(contact),
        "portal_url": absolute_url("portal:enter", token=token),
        "expires_on": expires_on,
        "link_days": str(studio.portal_link_days),
        **(extra or {}),
    }
    outbox = studio_email_send(
        studio=studio,
        to=[contact.email],
        template=template,
        context=context,
        idempotency_key=f"{template}:{link.pk}",
        send_after=send_after,
        client=client,
        kind=template,
        language=language,
        secrets=[token],
    )
    return link, outbox


def client_zoneinfo(contact: Contact) -> ZoneInfo:
    """The client's own timezone when known, else the studio's: dates in the email are theirs."""
    return contact.client.zone_or(contact.client.studio.zoneinfo)


def revoke(link: PortalLink, now: datetime | None = None) -> bool:
    """Switch ``link`` off (its portal sessions end on their next request); False if it already was."""
    now = now or timezone.now()
    changed = PortalLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
    if changed:
        link.revoked_at = now
    return bool(changed)


def contacts_for_address(email: str) -> QuerySet[Contact]:
    """Every contact with this address, in any studio (contacts are per studio), with client and studio."""
    return Contact.objects.filter(email__iexact=email.strip()).select_related("client__studio").order_by("pk")


def send_requested_links(email: str, *, now: datetime | None = None) -> int:
    """A client typed ``email`` on the "link no longer works" page: send each matching contact a link.

    Each send is also noted as portal activity and told to the studio's owners (in working hours).
    Returns how many links went out (0 for an unknown address; the page never says which).
    """
    now = now or timezone.now()
    contacts = list(contacts_for_address(email))
    if not contacts:
        return 0
    owners = freelancer_addresses({contact.studio_id for contact in contacts})
    sent = 0
    for contact in contacts:
        try:
            link, _email = _send_link(contact, by=None, landing="", now=now, send_after=None)
        except ValueError:  # an address the outbox refuses: log it, tell the others
            logger.warning("Portal link on request not queued for contact %s", contact.pk, exc_info=True)
            continue
        sent += 1
        client = contact.client
        client_url = reverse("clients:detail", args=[client.pk])
        portal_activity.record(
            None,
            kind=portal_activity.Kind.LINK_REQUESTED,
            summary=f"{contact.name} <{contact.email}>",
            client=client,
            contact=contact,
            url=client_url,
        )
        with translation.override(settings.LANGUAGE_CODE):
            notify_freelancer(
                client.studio,
                to=owners.get(contact.studio_id, []),
                kind=REQUESTED_TEMPLATE,
                key=f"{REQUESTED_TEMPLATE}:{link.pk}",
                template=REQUESTED_TEMPLATE,
                context={
                    "contact_name": contact.name,
                    "contact_email": contact.email,
                    "client_name": client.name,
                    "client_url": site_url(client_url),
                    "expires_on": day_date(local_date(link.expires_at, client.studio.zoneinfo)),
                },
                now=now,
            )
        logger.info("Portal link sent on request to contact %s (studio %s)", contact.pk, contact.studio_id)
    return sent


def with_live_links(contacts: QuerySet[Contact], *, now: datetime | None = None) -> QuerySet[Contact]:
    """``contacts`` with ``live_portal_links`` (usable links, newest first): one more query, however many."""
    now = now or timezone.now()
    live = PortalLink.objects.filter(revoked_at__isnull=True, expires_at__gt=now).order_by("-created_at", "-pk")
    return contacts.prefetch_related(Prefetch("portal_links", queryset=live, to_attr="live_portal_links"))


def portal_recipients(project: Project, *, now: datetime) -> list[Contact]:
    """Who hears about something new in the portal: the client's contacts with a live link, else the primary one."""
    contacts = client_contacts(project)
    live = set(
        PortalLink.objects.filter(contact__in=contacts, revoked_at__isnull=True, expires_at__gt=now).values_list(
            "contact_id", flat=True
        )
    )
    return [contact for contact in contacts if contact.pk in live] or contacts[:1]
