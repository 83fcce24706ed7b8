"""Reply-clock and promise reminders to the freelancer (R1, R15): a warning, then a breach notice.

Sweep ``reply-clocks`` (every beat tick). For each open reply clock on client mail and each open
commitment (an acknowledgment's promise):

* a **warning** once its warning time (``reply_warn_at`` / ``warn_at``: the studio's share of the
  SLA, 75 % by default) has passed and the due time has not;
* a **breach notice** once the due time (``reply_due_at`` / ``promised_by``) has passed.

Each goes once (keys ``clock-warning:{message_id}``, ``clock-breach:{message_id}``,
``commitment-warning:{id}``, ``commitment-breach:{id}``) and only inside the studio's working hours
(R5, ``comms.notify.may_notify_freelancer``). Nothing is queued for later: the decision is taken at the
tick that finds the studio open, so what goes out is what is still relevant then. Stale, hence never sent:

* anything for a clock answered (or marked "no reply needed") / a promise fulfilled before the tick;
* a warning once the due time has passed: the breach notice supersedes it (a warning that fell due
  at night and a clock that breached before the opening get the breach notice only);
* a breach notice more than ``BREACH_NOTICE_WINDOW`` late (beat down for a long time): the digest and
  the Inbox still list the clock, an email a week late would only be noise.

Cost: four queries across studios — two range scans of the partial indexes on open clocks' warning and
due times, two scans of the open promises only (the partial index ``commitment_open``) — then, when
something is due, one query each for the studios, the keys already used and the freelancers involved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from comms.compose import ACKNOWLEDGMENT_TEMPLATE
from comms.inbox import format_duration
from comms.models import Commitment, Message
from comms.notify import keys_already_used, may_notify_freelancer, notify_freelancer
from kernel.dates import short_date
from kernel.links import site_url
from kernel.models import Studio
from kernel.sweeps import freelancer_addresses, sweep

BREACH_NOTICE_WINDOW = timedelta(days=7)
SNIPPET_LENGTH = 300

CLOCK_WARNING = "clock-warning"
CLOCK_BREACH = "clock-breach"
COMMITMENT_WARNING = "commitment-warning"
COMMITMENT_BREACH = "commitment-breach"


# --- What is due (pure) ----------------------------------------------------------------------


def notice_due(*, warn_at: datetime | None, due_at: datetime, now: datetime) -> str | None:
    """``"breach"``, ``"warning"`` or None for one open clock or promise at ``now``.

    The breach notice supersedes the warning; a breach older than ``BREACH_NOTICE_WINDOW`` is stale.
    Due exactly now counts as breached.
    """
    if due_at <= now:
        return "breach" if now - due_at < BREACH_NOTICE_WINDOW else None
    if warn_at is not None and warn_at <= now:
        return "warning"
    return None


@dataclass(frozen=True)
class Notice:
    """One reminder the tick decided to send: its kind, key and the row it is about."""

    kind: str
    key: str
    studio_id: int
    item: Message | Commitment


def notices_due(clocks: Iterable[Message], commitments: Iterable[Commitment], *, now: datetime) -> list[Notice]:
    notices = []
    for message in clocks:
        verdict = notice_due(warn_at=message.reply_warn_at, due_at=message.reply_due_at, now=now)
        if verdict is not None:
            kind = CLOCK_BREACH if verdict == "breach" else CLOCK_WARNING
            notices.append(Notice(kind, f"{kind}:{message.pk}", message.studio_id, message))
    for commitment in commitments:
        verdict = notice_due(warn_at=commitment.warn_at, due_at=commitment.promised_by, now=now)
        if verdict is not None:
            kind = COMMITMENT_BREACH if verdict == "breach" else COMMITMENT_WARNING
            notices.append(Notice(kind, f"{kind}:{commitment.pk}", commitment.studio_id, commitment))
    return notices


# --- The sweep ----------------------------------------------------------------------------------


def _candidate_clocks(now: datetime) -> list[Message]:
    """Open clocks in their warning window or breached within the notice window: two index range scans."""
    open_clocks = Message.objects.open_clocks().filter(client__isnull=False).select_related("client").order_by()
    warning = open_clocks.filter(reply_warn_at__lte=now, reply_due_at__gt=now)
    breach = open_clocks.filter(reply_due_at__lte=now, reply_due_at__gt=now - BREACH_NOTICE_WINDOW)
    return [*warning, *breach]


def _candidate_commitments(now: datetime) -> list[Commitment]:
    open_promises = Commitment.objects.filter(fulfilled_at__isnull=True).select_related("client").order_by()
    warning = open_promises.filter(warn_at__lte=now, promised_by__gt=now)
    breach = open_promises.filter(promised_by__lte=now, promised_by__gt=now - BREACH_NOTICE_WINDOW)
    return [*warning, *breach]


@sweep("reply-clocks")
def sweep_reply_clocks(now: datetime) -> int:
    """Warn of clocks and promises nearing their due time, report breaches; see the module docstring."""
    notices = notices_due(_candidate_clocks(now), _candidate_commitments(now), now=now)
    if not notices:
        return 0
    studios = Studio.objects.in_bulk({notice.studio_id for notice in notices})
    open_now = {pk for pk, studio in studios.items() if may_notify_freelancer(studio, now)}
    notices = [notice for notice in notices if notice.studio_id in open_now]
    used = keys_already_used((notice.studio_id, notice.key) for notice in notices)
    notices = [notice for notice in notices if (notice.studio_id, notice.key) not in used]
    if not notices:
        return 0
    addresses = freelancer_addresses({notice.studio_id for notice in notices})
    written = 0
    for notice in notices:
        studio = studios[notice.studio_id]
        row = notify_freelancer(
            studio,
            to=addresses.get(studio.pk, []),
            kind=notice.kind,
            key=notice.key,
            template=notice.kind,
            context=notice_context(notice, studio=studio, now=now),
            now=now,
        )
        written += row is not None
    return written


# --- What the emails say ------------------------------------------------------------------------


def local_label(at: datetime, studio: Studio) -> str:
    """ "Wed 4 Mar, 17:00" in the studio's time zone."""
    local = at.astimezone(studio.zoneinfo)
    return f"{short_date(local.date())}, {local:%H:%M}"


def snippet(text: str, length: int = SNIPPET_LENGTH) -> str:
    """The start of a message, whitespace collapsed, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0] + "…"


def time_left(due_at: datetime, now: datetime) -> dict[str, Any]:
    """``{"breached": False, "time_left": "2 h 10 min"}`` or ``{"breached": True, "overdue_by": "1 d 2 h"}``."""
    if due_at <= now:
        return {"breached": True, "overdue_by": format_duration(now - due_at)}
    return {"breached": False, "time_left": format_duration(due_at - now)}


def notice_context(notice: Notice, *, studio: Studio, now: datetime) -> dict[str, Any]:
    if isinstance(notice.item, Message):
        return clock_context(notice.item, studio=studio, now=now)
    return commitment_context(notice.item, studio=studio, now=now)


def clock_context(message: Message, *, studio: Studio, now: datetime) -> dict[str, Any]:
    compose = reverse("comms:compose")
    return {
        "client_name": message.client.name,
        "subject": message.subject or _("(no subject)"),
        "sender": message.from_name or message.from_email,
        "sender_email": message.from_email,
        "received": local_label(message.sent_at, studio),
        "due": local_label(message.reply_due_at, studio),
        **time_left(message.reply_due_at, now),
        "urgent": message.is_urgent,
        "snippet": snippet(message.text_new or message.text),
        "message_url": site_url(reverse("comms:message", kwargs={"pk": message.pk})),
        "reply_url": site_url(f"{compose}?reply_to={message.pk}"),
        "acknowledge_url": site_url(f"{compose}?reply_to={message.pk}&template={ACKNOWLEDGMENT_TEMPLATE}"),
    }


def commitment_context(commitment: Commitment, *, studio: Studio, now: datetime) -> dict[str, Any]:
    compose = reverse("comms:compose")
    if commitment.message_id is not None:
        open_url = reverse("comms:message", kwargs={"pk": commitment.message_id})
        write_url = f"{compose}?reply_to={commitment.message_id}"
    else:
        open_url = reverse("clients:detail", kwargs={"pk": commitment.client_id})
        write_url = f"{compose}?client={commitment.client_id}"
    return {
        "client_name": commitment.client.name,
        "description": commitment.description,
        "promised": local_label(commitment.created_at, studio),
        "due": local_label(commitment.promised_by, studio),
        **time_left(commitment.promised_by, now),
        "about_message": commitment.message_id is not None,
        "open_url": site_url(open_url),
        "write_url": site_url(write_url),
    }
