"""Website inquiries: a message from the public form becomes a lead, an acknowledgment and a notice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clients.models import Client, Contact
from clients.services import client_create
from comms.conversation import record_message
from comms.mail import studio_email_send
from comms.models import Message
from comms.notify import next_working_time
from kernel.dates import long_date
from kernel.i18n import supported_language
from kernel.links import absolute_url
from kernel.models import Membership, Studio

logger = logging.getLogger("rapport.inquiry")

ACK_TEMPLATE = "inquiry-ack"
NEW_LEAD_TEMPLATE = "inquiry-new-lead"


def lead_create_from_inquiry(
    *,
    studio: Studio,
    name: str,
    email: str,
    company: str,
    message: str,
    budget: str,
    phone: str,
    received_at: datetime,
) -> Client:
    """Record an inquiry as a lead and send the two emails; returns the client it was filed under.

    * A new email address makes a new `Client` (status lead, source website; named after the
      company if given, else the person) with the person as its primary `Contact`.
    * An address already known to the studio (any case) files the inquiry under that contact's
      client: no second contact, and the status stays as it is (an active client asking for more
      stays active) unless the client was archived: then it comes back, as a lead.
    * The inquiry itself (message, company, phone, budget) becomes an inbound `Message` in the client's
      inbox with a reply clock (R1); the acknowledgment promises the clock's due time.

    `budget` is the budget in words ("" if not given); `received_at` is aware. Then the person gets an
    acknowledgment and the studio's owners a notice. The lead is saved first: a failing email is
    logged, never lost with the inquiry.

    The acknowledgment speaks the language the form was shown in (the active one), which a new
    client keeps as theirs; a known client gets theirs, as the studio set it.
    """
    email = email.strip()
    page_language = supported_language(translation.get_language())
    with transaction.atomic():
        client, contact, is_new = _client_for(
            studio=studio, name=name, email=email, company=company, phone=phone, language=page_language
        )
        client = Client.objects.select_for_update().get(pk=client.pk)
        if not is_new and client.is_archived:
            client.archived_at = None
            client.status = Client.Status.LEAD
        client.save(update_fields=["archived_at", "status"])
        inquiry = record_message(
            studio,
            direction=Message.Direction.INBOUND,
            client=client,
            sent_at=received_at,
            subject=f"Website inquiry from {company or name}",
            from_email=email.lower(),
            from_name=name,
            text=_inquiry_text(name=name, email=email, company=company, phone=phone, budget=budget, message=message),
        )

    context = {
        "name": name,
        "email": email,
        "company": company,
        "phone": phone,
        "budget": budget,
        "message": message,
        "message_quoted": _quoted(message),
        "reply_by": reply_by_text(studio=studio, due=inquiry.reply_due_at),
        "client_name": client.name,
        "client_status": str(client.get_status_display()),
        "existing_client": "" if is_new else client.name,
        "contact_name": contact.name,
        "client_url": absolute_url("clients:detail", client.pk),
    }
    language = page_language if is_new else supported_language(client.language)
    _send(
        studio=studio,
        to=[email],
        template=ACK_TEMPLATE,
        context={**context, "reply_by": reply_by_text(studio=studio, due=inquiry.reply_due_at, language=language)},
        client=client,
        key=f"{inquiry.pk}",
        language=language,
    )
    owners = owner_emails(studio)
    if owners:
        _send(studio=studio, to=owners, template=NEW_LEAD_TEMPLATE, context=context, reply_to=[email],
              key=f"{inquiry.pk}", send_after=next_working_time(studio, received_at))  # fmt: skip
    return client


def owner_emails(studio: Studio) -> list[str]:
    return list(
        Membership.objects.filter(studio=studio, role=Membership.Role.OWNER, user__is_active=True)
        .order_by("created_at")
        .values_list("user__email", flat=True)
    )


def reply_by_text(*, studio: Studio, due: datetime | None, language: str | None = None) -> str:
    """The reply clock's due time in words, so the promise to the client is the clock the studio sees.

    "" when there is no clock (the studio's calendar has no working day): the emails then only
    promise "within one business day". In ``language`` (default: the active one).
    """
    if due is None:
        return ""
    local = due.astimezone(studio.zoneinfo)
    with translation.override(language or translation.get_language()):
        zone = _("(%(zone)s time)") % {"zone": studio.timezone.replace("_", " ")}
        return f"{long_date(local.date(), with_year=False)}, {local:%H:%M} {zone}"


def _client_for(
    *, studio: Studio, name: str, email: str, company: str, phone: str, language: str
) -> tuple[Client, Contact, bool]:
    """The client to file the inquiry under, its contact for `email`, and whether both are new."""
    if existing := _contact_with(studio=studio, email=email):
        return existing.client, existing, False
    try:
        client, contact = client_create(
            studio=studio,
            name=company or name,
            contact_name=name,
            email=email,
            phone=phone,
            kind=Client.Kind.COMPANY if company else Client.Kind.PERSON,
            status=Client.Status.LEAD,
            source=Client.Source.WEBSITE,
            language=language,
        )
    except IntegrityError:
        # The same address sent twice at once and the other request created the contact first.
        existing = _contact_with(studio=studio, email=email)
        if existing is None:
            raise
        return existing.client, existing, False
    return client, contact, True


def _contact_with(*, studio: Studio, email: str) -> Contact | None:
    return Contact.objects.filter(studio=studio, email__iexact=email).select_related("client").first()


def _inquiry_text(*, name: str, email: str, company: str, phone: str, budget: str, message: str) -> str:
    lines = [f"{name} <{email}> wrote through the website form:"]
    lines += [
        f"{label}: {value}" for label, value in (("Company", company), ("Phone", phone), ("Budget", budget)) if value
    ]
    lines += ["", message.strip()]
    return "\n".join(lines)


def _quoted(message: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in message.strip().splitlines())


def _send(
    *,
    studio: Studio,
    to: Sequence[str],
    template: str,
    context: dict[str, str],
    key: str,
    reply_to: Sequence[str] = (),
    client: Client | None = None,
    language: str | None = None,
    send_after: datetime | None = None,
) -> None:
    """Queue one of the inquiry's emails; ``key`` (the inquiry message) makes a retried request queue nothing new."""
    try:
        studio_email_send(
            studio=studio, to=to, template=template, context=context, reply_to=reply_to, client=client,
            idempotency_key=f"{template}:{key}", language=language, send_after=send_after,
        )  # fmt: skip
    except Exception:
        logger.exception("Could not send the %s email for studio %s", template, studio.pk)
