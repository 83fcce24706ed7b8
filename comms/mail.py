"""Studio email from templates: rendered here, queued in the comms outbox, sent by its worker.

`studio_email_send` renders `templates/emails/<template>-subject.txt`, `-body.txt` and
`-body.html` with a plain dict context (never model instances: user-editable templates
must not reach model internals) and queues the result with `comms.outbox.enqueue`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import models
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from clients.models import Client
from comms.models import OutboxEmail
from comms.outbox import enqueue
from kernel.models import Studio

_ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]+")


def render_text(name: str, context: Mapping[str, Any]) -> str:
    """Render a plain-text template without HTML escaping: "O'Brien & Co" stays as typed.

    Returns a plain ``str``, never a ``SafeString``: nothing in it was escaped, so a page that
    shows it (a preview) escapes it like any other text.
    """
    rendered = get_template(name).template.render(Context(dict(context), autoescape=False))
    return str.__str__(rendered)  # SafeString.__str__ returns the SafeString; this is a plain copy


def one_line(text: str) -> str:
    """Runs of ASCII whitespace as one space; no-break spaces ("1 600,00 €") stay unbroken."""
    return _ASCII_SPACE.sub(" ", text).strip(" ")


def studio_email_send(
    *,
    studio: Studio,
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any],
    cc: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    idempotency_key: str | None = None,
    send_after: datetime | None = None,
    client: Client | None = None,
    project: models.Model | None = None,
    kind: str | None = None,
    language: str | None = None,
    attachments: Sequence[Mapping[str, Any]] = (),
    secrets: Sequence[str] = (),
) -> OutboxEmail:
    """Render a studio email and queue it in the outbox (kind defaults to the template name).

    ``language`` (e.g. the client's ``"ru"``) renders the templates in that language; by default
    the active one. ``attachments`` are files ({filename, mimetype, content}), content as text
    (an .ics) or bytes (a PDF).
    ``secrets`` (a link's token) are masked in the stored row and sealed until it leaves (see ``enqueue``).
    With an ``idempotency_key`` already used in the studio, nothing new is queued and the
    existing row is returned.
    """
    full_context = {"studio_name": studio.name, "sender_name": studio.sender_name or studio.name, **context}
    with translation.override(language or translation.get_language()):
        subject = one_line(render_text(f"emails/{template}-subject.txt", full_context))
        text = render_text(f"emails/{template}-body.txt", full_context)
        html = render_to_string(f"emails/{template}-body.html", full_context)
    return enqueue(
        studio=studio,
        kind=kind or template,
        template=template,
        idempotency_key=idempotency_key,
        send_after=send_after,
        to=to,
        cc=cc,
        reply_to=list(reply_to) or ([studio.sender_email] if studio.sender_email else []),
        subject=subject,
        text=text,
        html=html,
        client=client,
        project=project,
        attachments=attachments,
        secrets=secrets,
    )
