"""Steps the journey tests share: mail arriving, the worker and the sweeps running, the portal's link flow.

Each step goes through the same door a person or the scheduler does: ``comms.inbound.receive`` for
mail, the views for the freelancer and the client, ``deliver_due`` and ``run_sweeps`` for the clock.
"""

from __future__ import annotations

import json
import re
from base64 import b64encode
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from clients.models import Contact
from comms.inbound import receive
from comms.models import Message, OutboxEmail
from comms.outbox import deliver_due
from comms.routing import inbound_address
from kernel.models import Studio
from kernel.sweeps import run_sweeps, schedules_reset
from tests.factories import ClientFactory, ContactFactory

BERLIN = ZoneInfo("Europe/Berlin")


def ann_at_the_bakery(studio: Studio) -> Contact:
    """The journeys' client: Acme Bakery, whose one contact is Ann Baker <ann@bakery.example>."""
    client = ClientFactory(studio=studio, name="Acme Bakery")
    return ContactFactory(client=client, name="Ann Baker", email="ann@bakery.example", is_primary=True)


def client_writes(studio: Studio, *, sender: str, subject: str, body: str, at: datetime, message_id: str) -> Message:
    """An email from a client reaches the studio's inbound address, as every inbound path ends."""
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, studio.sender_email, subject
    email["Message-ID"] = message_id
    email["Date"] = at.strftime("%a, %d %b %Y %H:%M:%S %z")
    email.set_content(body)
    return receive(studio, email.as_bytes(), received_at=at)


WEBHOOK_SECRET = "rapport:journey-webhook-secret"


def client_writes_through_the_webhook(
    studio: Studio, *, sender: str, subject: str, body: str, at: datetime, message_id: str
) -> Message:
    """The same email as Postmark's inbound webhook posts it to the studio's address.

    Needs ``settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}`` (pytest's ``settings`` fixture).
    """
    name, address = parseaddr(sender)
    payload = {
        "From": address, "FromFull": {"Email": address, "Name": name, "MailboxHash": ""}, "FromName": name,
        "To": inbound_address(studio), "ToFull": [{"Email": inbound_address(studio), "Name": "", "MailboxHash": ""}],
        "Cc": "", "CcFull": [], "Bcc": "", "BccFull": [], "OriginalRecipient": inbound_address(studio),
        "Subject": subject, "MessageID": message_id.strip("<>"), "ReplyTo": "", "MailboxHash": "",
        "Date": at.strftime("%a, %d %b %Y %H:%M:%S %z"), "TextBody": body, "HtmlBody": "", "StrippedTextReply": body,
        "Tag": "", "Headers": [{"Name": "Message-ID", "Value": message_id}], "Attachments": [],
        "MessageStream": "inbound",
    }  # fmt: skip
    credentials = "Basic " + b64encode(WEBHOOK_SECRET.encode()).decode()
    response = Browser().post(
        reverse("hooks:inbound", kwargs={"esp": "postmark"}),
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=credentials,
    )
    assert response.status_code == 200, response
    return Message.objects.get(studio=studio, message_id=message_id)


def worker_runs(now: datetime | None = None) -> int:
    """One tick of the outbox worker: every due row leaves (to locmem, ``django.core.mail.outbox``)."""
    return deliver_due(now)


def studio_schedules_start(studio: Studio, at: datetime) -> None:
    """The sweeps look at the studio from ``at`` on, as they do from a studio's creation.

    The ``studio`` fixture is created at the real date, after the frozen instants the journeys walk.
    """
    schedules_reset(studio, at)


def sweeps_run(now: datetime, *names: str) -> dict[str, int | str]:
    """One beat tick of the named sweeps at ``now``."""
    return run_sweeps(now, names=names or None)


def in_russian(browser: Browser) -> Browser:
    """The navbar's language switcher's choice: the cookie ``set_language`` leaves."""
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    return browser


def section(html: str, testid: str) -> str:
    """One Today section's markup (by its ``data-testid``), busy card or all-clear line, so that a line is
    asserted where it belongs."""
    match = re.search(rf'<(section|div)[^>]*data-testid="{re.escape(testid)}".*?</\1>', html, re.S)
    assert match, f"no section {testid!r} on the page"
    return match.group(0)


def form_values(form, zone: ZoneInfo = BERLIN) -> dict[str, str | list[str]]:
    """A rendered form as the browser would post it back: every initial value, as the widgets show it.

    Datetimes as the page shows them: in ``zone``, the studio's, which the view reads them in.
    """
    data: dict[str, str | list[str]] = {}
    with timezone.override(zone):
        for name, field in form.fields.items():
            value = form[name].value()
            if value in (None, False):
                continue
            if value is True:
                data[name] = "on"
            elif hasattr(value, "pk"):
                data[name] = str(value.pk)
            elif isinstance(value, list | tuple):
                data[name] = [str(getattr(item, "pk", item)) for item in value]
            elif isinstance(value, datetime):
                data[name] = field.widget.format_value(value)
            else:
                data[name] = str(value)
    return data


def compose_form(owner_client: Browser, url: str) -> dict[str, str | list[str]]:
    """The compose page's form at ``url``, filled as it opens; addresses as the field shows them."""
    response = owner_client.get(url)
    data = form_values(response.context["form"], response.wsgi_request.studio.zoneinfo)
    for name in ("to", "cc"):
        if isinstance(data.get(name), list):
            data[name] = ", ".join(data[name])
    return data


def open_portal(owner_client: Browser, contact: Contact) -> Browser:
    """The freelancer sends the portal link, the worker mails it, the client follows it: a signed-in portal."""
    owner_client.post(reverse("portal_access:send", kwargs={"contact_pk": contact.pk}))
    link_email = OutboxEmail.objects.filter(kind="portal-link").latest("pk")
    worker_runs()
    sent = next(message for message in reversed(mail.outbox) if message.subject == link_email.subject)
    path = re.search(r"https?://[^/\s]+(/portal/enter/[^/\s]+/)", sent.body).group(1)
    visitor = Browser()
    assert visitor.get(path).status_code == 200
    landed = visitor.post(path)
    assert landed.status_code == 302, landed
    return visitor
