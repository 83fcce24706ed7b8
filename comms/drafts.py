"""Text another app drafts for a client (a moved date's notice, the maintenance offer), sent through Compose.

A draft is named by a reference ``"<kind>:<id>"``. The app that owns the kind registers a loader
(``register``) that returns the draft, ready to send, for one studio, or None when the studio has no
such draft. Compose opens ``?draft=<ref>`` prefilled from it, and the email it queues carries the
reference in its idempotency key (``draft:<ref>:<token>``): the owning app reads whether its draft
went out (``draft_emails``) without comms knowing its models, and without a column for each kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models

from clients.models import Client
from comms.models import OutboxEmail
from kernel.models import Studio

KEY_PREFIX = "draft:"
_REF = re.compile(r"^([a-z][a-z0-9-]{0,39}):([1-9][0-9]{0,17})$")
# The row that best says what became of a draft: sent beats on its way, on its way beats stuck.
_STATUS_RANK = {
    OutboxEmail.Status.SENT: 0,
    OutboxEmail.Status.SENDING: 1,
    OutboxEmail.Status.QUEUED: 1,
    OutboxEmail.Status.NEEDS_ATTENTION: 2,
    OutboxEmail.Status.FAILED: 3,
}


@dataclass(frozen=True)
class ClientDraft:
    """What Compose opens: addressed to the client's contacts, in the client's language."""

    client: Client
    subject: str
    body: str
    to: list[str]
    language: str
    back_url: str
    cc: list[str] = field(default_factory=list)
    project: models.Model | None = None
    # Called once Compose has queued the email (not for a form sent again after an undo).
    on_queued: Callable[[OutboxEmail], None] | None = None


Loader = Callable[[Studio, int], ClientDraft | None]
_loaders: dict[str, Loader] = {}


def register(kind: str, loader: Loader) -> None:
    """Make drafts of ``kind`` openable in Compose; ``loader(studio, pk)`` must stay inside ``studio``."""
    _loaders[kind] = loader


def ref(kind: str, pk: int) -> str:
    """The reference of one draft: ``"deadline-notice:12"``."""
    return f"{kind}:{pk}"


def parse_reference(reference: str) -> tuple[str, int] | None:
    """``(kind, id)`` of a well-formed reference to a registered kind, else None."""
    match = _REF.match((reference or "").strip())
    if match is None or match.group(1) not in _loaders:
        return None
    return match.group(1), int(match.group(2))


def load(studio: Studio, reference: str) -> ClientDraft | None:
    """The studio's draft named by ``reference``; None when malformed, unknown or another studio's."""
    parsed = parse_reference(reference)
    if parsed is None:
        return None
    kind, pk = parsed
    return _loaders[kind](studio, pk)


def idempotency_key(reference: str, token: str) -> str:
    """The outbox key of an email sent from the draft: one row per Compose form, findable by draft."""
    return f"{KEY_PREFIX}{reference}:{token}"


def reference_of(email: OutboxEmail) -> str:
    """The draft an outbox row was sent from ("" for any other row): undo gives the link back too."""
    key = email.idempotency_key or ""
    if not key.startswith(KEY_PREFIX):
        return ""
    reference = key[len(KEY_PREFIX) :].rpartition(":")[0]
    return reference if _REF.match(reference) else ""


def draft_emails(studio: Studio, *, project: models.Model, references: Iterable[str]) -> dict[str, OutboxEmail | None]:
    """For each reference, the email that best tells what became of the draft, or None (never sent, or undone).

    Sent beats queued, which beats needs-attention and failed; the latest wins among equals. One query,
    over the project's draft emails (Compose keeps a draft's email on its project).
    """
    best: dict[str, OutboxEmail | None] = dict.fromkeys(references)
    rows = (
        OutboxEmail.objects.filter(studio=studio, project=project, idempotency_key__startswith=KEY_PREFIX)
        .exclude(status=OutboxEmail.Status.CANCELLED)
        .only("pk", "idempotency_key", "status", "to", "cc", "send_after", "sent_at", "confirm_before_sending")
        .order_by("-created_at", "-pk")
    )
    for email in rows:
        reference = reference_of(email)
        if reference not in best:
            continue
        current = best[reference]
        if current is None or _STATUS_RANK.get(email.status, 9) < _STATUS_RANK.get(current.status, 9):
            best[reference] = email
    return best
