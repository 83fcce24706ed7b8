"""Writes for clients: clients and contacts, tiers, archive, interactions, touchpoints, payments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from django.db import models, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from clients.models import Client, Contact, Payment, Tag, Touchpoint
from clients.signals import contacts_changed, payment_recorded
from clients.tiering import angel_summary, apply_pins, window_start
from clients.touch_clock import next_touch_after_interaction, refresh_next_touch
from kernel.models import Studio, User


def net_revenue_by_client(*, studio: Studio, as_of: date) -> dict[int, int]:
    """The SQL twin of `tiering.trailing_net`: net per client in the 12-month window.

    Only payments in the studio's currency count: sums across currencies mean nothing.
    """
    rows = (
        Payment.objects.filter(
            studio=studio, currency=studio.currency, paid_on__gt=window_start(as_of), paid_on__lte=as_of
        )
        .values("client_id")
        .annotate(net=Sum("amount_minor"))
        .values_list("client_id", "net")
    )
    return dict(rows)


def angel_reason(*, count: int, percent: int) -> str:
    if count == 1:
        return f"The one client who brings {percent} % of the last 12 months' revenue."
    return f"One of {count:,} clients who bring {percent} % of the last 12 months' revenue."


REASON_REGULAR = "Not among the clients who bring 80 % of the last 12 months' revenue."
REASON_NO_REVENUE = "No revenue in the last 12 months yet, so no angels."
REASON_PINNED = "Pinned as an angel by hand."
REASON_UNPINNED = "Kept out of the angels by hand."

# The stored reasons are English (written by the nightly sweep); these read them in the active language.
_ONE_ANGEL = re.compile(r"^The one client who brings (?P<percent>\d+) % of the last 12 months' revenue\.$")
_ANGELS = re.compile(
    r"^One of (?P<count>[\d,]+) clients who bring (?P<percent>\d+) % of the last 12 months' revenue\.$"
)
_FIXED_REASONS = {
    REASON_REGULAR: gettext_lazy("Not among the clients who bring 80 % of the last 12 months' revenue."),
    REASON_NO_REVENUE: gettext_lazy("No revenue in the last 12 months yet, so no angels."),
    REASON_PINNED: gettext_lazy("Pinned as an angel by hand."),
    REASON_UNPINNED: gettext_lazy("Kept out of the angels by hand."),
}


def tier_reason_text(reason: str) -> str:
    """A stored tier reason in the active language (unknown text is shown as stored)."""
    if reason in _FIXED_REASONS:
        return str(_FIXED_REASONS[reason])
    if match := _ONE_ANGEL.match(reason):
        return gettext("The one client who brings %(percent)s %% of the last 12 months' revenue.") % {
            "percent": match["percent"]
        }
    if match := _ANGELS.match(reason):
        count = int(match["count"].replace(",", ""))
        return ngettext(
            "One of %(count)s client who bring %(percent)s %% of the last 12 months' revenue.",
            "One of %(count)s clients who bring %(percent)s %% of the last 12 months' revenue.",
            count,
        ) % {"count": match["count"], "percent": match["percent"]}
    return reason


@transaction.atomic
def tiers_recompute(*, studio: Studio, as_of: date) -> set[int]:
    """Store every client's tier and a human reason for `as_of` (the studio's local date).

    Pins override the computation. A handful of UPDATE statements whatever the client
    count, so it stays well under a second at 10,000 clients. Safe to run again.
    """
    summary = angel_summary(net_revenue_by_client(studio=studio, as_of=as_of))
    pins = dict(Client.objects.filter(studio=studio).exclude(tier_pin="").values_list("id", "tier_pin"))
    pinned = {pk for pk, pin in pins.items() if pin == Client.Pin.ANGEL}
    unpinned = {pk for pk, pin in pins.items() if pin == Client.Pin.REGULAR}
    computed = set(summary.angel_ids) - pinned - unpinned

    regular_reason = REASON_REGULAR if summary.total_net > 0 else REASON_NO_REVENUE
    angel_reason_text = angel_reason(count=summary.angel_count, percent=summary.share_percent)
    clients = Client.objects.filter(studio=studio)
    # Only rows whose tier or reason changes are written: a quiet night writes almost nothing.
    for rows, tier, reason in (
        (clients.exclude(id__in=computed | set(pins)), Client.Tier.REGULAR, regular_reason),
        (clients.filter(id__in=computed), Client.Tier.ANGEL, angel_reason_text),
        (clients.filter(id__in=pinned), Client.Tier.ANGEL, REASON_PINNED),
        (clients.filter(id__in=unpinned), Client.Tier.REGULAR, REASON_UNPINNED),
    ):
        rows.exclude(tier=tier, tier_reason=reason).update(tier=tier, tier_reason=reason)
    Studio.objects.filter(pk=studio.pk).update(tiers_computed_on=as_of)
    studio.tiers_computed_on = as_of
    refresh_next_touch(studio)  # the cadence follows the tier; a nightly pass also heals anything missed
    return apply_pins(summary.angel_ids, pinned=pinned, unpinned=unpinned)


def sweep_tier_recompute(*, now: datetime) -> int:
    """Recompute tiers of every studio whose local date has moved past its last computation.

    Runs from beat every few minutes, so each studio is recomputed just after its local
    midnight; running it again the same local day does nothing. Returns studios recomputed.
    """
    # A studio's local date is at most one day ahead of UTC: studios computed for a later
    # date can't be due, which keeps the candidate set to roughly one day's worth.
    utc_today = now.astimezone(UTC).date()
    candidates = Studio.objects.filter(Q(tiers_computed_on__isnull=True) | Q(tiers_computed_on__lte=utc_today))
    recomputed = 0
    for studio in candidates:
        local_today = now.astimezone(studio.zoneinfo).date()
        if studio.tiers_computed_on is None or studio.tiers_computed_on < local_today:
            tiers_recompute(studio=studio, as_of=local_today)
            recomputed += 1
    return recomputed


def client_set_pin(*, client: Client, pin: str, now: datetime | None = None) -> None:
    """Pin a client as angel, keep them out, or go back to the computed tier."""
    client.tier_pin = pin
    client.save(update_fields=["tier_pin"])
    tiers_recompute(studio=client.studio, as_of=client.studio.local_now(now).date())
    client.refresh_from_db(fields=["tier", "tier_reason"])


def client_save(*, client: Client, studio: Studio, tags: Iterable[str]) -> Client:
    """Save a new or edited client of ``studio`` with exactly the tags named (found case-insensitively, else added).

    Stores its cadence clock again: ``client_since`` may have moved it.
    """
    with transaction.atomic():
        client.studio = studio
        client.save()
        client.tags.set(
            [
                Tag.objects.filter(studio=studio, name__iexact=name).first()
                or Tag.objects.create(studio=studio, name=name)
                for name in tags
            ]
        )
        refresh_next_touch(studio, [client.pk])
    return client


def client_create(
    *,
    studio: Studio,
    name: str,
    contact_name: str = "",
    email: str = "",
    phone: str = "",
    now: datetime | None = None,
    **fields: Any,
) -> tuple[Client, Contact | None]:
    """Add a client (``fields`` are other ``Client`` fields) and, when ``email`` is given, its primary contact.

    Stores its cadence clock; a contact sends ``contacts_changed``. Raises ``IntegrityError`` when the
    address already belongs to a contact of the studio.
    """
    with transaction.atomic():
        client = Client.objects.create(studio=studio, name=name, **fields)
        refresh_next_touch(studio, [client.pk])
        contact = None
        if email:
            contact = Contact.objects.create(
                studio=studio, client=client, name=contact_name, email=email, phone=phone, is_primary=True
            )
            contacts_changed.send(
                sender=Contact, studio=studio, client_ids=frozenset({client.pk}), now=now or timezone.now()
            )
    return client, contact


def contact_save(*, contact: Contact, client: Client, other_emails: list[str], now: datetime | None = None) -> Contact:
    """Save a new or edited contact under ``client`` (which may move it from another client of the studio).

    A primary contact takes the mark from the client's other contacts. Sends ``contacts_changed`` for
    the client and, for a moved contact, the client it left: the addresses that reach both changed.
    """
    moved_from = contact.client_id if contact.pk else None
    with transaction.atomic():
        contact.client = client
        contact.studio = client.studio
        contact.other_emails = other_emails
        if contact.is_primary:
            Contact.objects.filter(client=client, is_primary=True).exclude(pk=contact.pk).update(is_primary=False)
        contact.save()
        contacts_changed.send(
            sender=Contact,
            studio=client.studio,
            client_ids=frozenset({client.pk, moved_from} - {None}),
            now=now or timezone.now(),
        )
    return contact


def client_archive(*, client: Client, now: datetime | None = None) -> None:
    client.archived_at = now or timezone.now()
    client.save(update_fields=["archived_at"])


def client_restore(*, client: Client) -> None:
    client.archived_at = None
    client.save(update_fields=["archived_at"])


def interaction_record(*, studio: Studio, client_id: int, at: datetime) -> bool:
    """Store an interaction at ``at`` as the client's last contact, unless a later one is stored already.

    Conditional UPDATE, so an older interaction logged late never moves the clock back; the same
    statement stores the next touch it implies (``clients.touch_clock``). True when it moved.
    """
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime.")
    return bool(
        Client.objects.filter(pk=client_id, studio=studio)
        .filter(Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=at))
        .update(last_interaction_at=at, next_touch_on=next_touch_after_interaction(studio, at))
    )


def client_touch(*, client: Client, at: datetime) -> None:
    """Record an interaction at ``at`` with ``client`` (``interaction_record``), the instance kept in step."""
    interaction_record(studio=client.studio, client_id=client.pk, at=at)
    if client.last_interaction_at is None or client.last_interaction_at < at:
        client.last_interaction_at = at


def on_interaction_recorded(sender: object, *, studio: Studio, client_id: int, at: datetime, **kwargs: object) -> None:
    """Receiver for ``kernel.signals.interaction_recorded``: the one stored last contact follows every path."""
    interaction_record(studio=studio, client_id=client_id, at=at)


def touchpoint_create(
    *, client: Client, kind: str, happened_on: date, note: str = "", by: User | None = None
) -> Touchpoint:
    touchpoint = Touchpoint.objects.create(
        studio=client.studio, client=client, kind=kind, happened_on=happened_on, note=note, created_by=by
    )
    # A date has no time: count it from the end of that local day, so "today" is never overdue.
    end_of_day = datetime.combine(happened_on, datetime.max.time(), tzinfo=client.studio.zoneinfo)
    client_touch(client=client, at=end_of_day)
    return touchpoint


def payment_record(
    *,
    client: Client,
    amount_minor: int,
    currency: str,
    paid_on: date,
    method: str,
    note: str = "",
    project: models.Model | None = None,
    by: User | None = None,
) -> Payment:
    """Record money received (or refunded); linked to a project, it counts towards its deposit.

    Sends ``clients.signals.payment_recorded`` in the same transaction, so what reacts to the
    payment (work starting on a complete deposit) happens with it or not at all.
    """
    if project is not None and project.client_id != client.pk:
        raise ValueError("A payment can only be linked to one of its client's projects.")
    with transaction.atomic():
        payment = Payment.objects.create(
            project=project,
            studio=client.studio,
            client=client,
            amount_minor=amount_minor,
            currency=currency.upper(),
            paid_on=paid_on,
            method=method,
            note=note,
        )
        payment_recorded.send(sender=Payment, payment=payment, by=by, now=timezone.now())
    return payment
