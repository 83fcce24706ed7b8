"""Reads for clients. Each returns in a constant number of queries, whatever the data size."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from clients.cadence import Cadence, ClientClock, TouchDue, touches_due
from clients.models import Client, Contact, Payment, Touchpoint
from clients.tiering import window_start
from crm.models import Studio

SortKey = Literal["name", "revenue", "recent", "silent"]
SORTS: dict[str, list] = {
    "name": ["name", "pk"],
    "revenue": [F("revenue_12m").desc(), "name", "pk"],
    "recent": [F("last_interaction_at").desc(nulls_last=True), "name", "pk"],
    "silent": [F("last_interaction_at").asc(nulls_first=True), "name", "pk"],
}


def revenue_12m_filter(*, studio: Studio, as_of: date) -> Q:
    return Q(
        payments__currency=studio.currency,
        payments__paid_on__gt=window_start(as_of),
        payments__paid_on__lte=as_of,
    )


def client_list(
    *,
    studio: Studio,
    as_of: date,
    search: str = "",
    status: str = "",
    tier: str = "",
    tag: str = "",
    sort: str = "name",
    archived: bool = False,
) -> QuerySet[Client]:
    """Clients of the studio with `revenue_12m` annotated, their contacts and tags prefetched."""
    clients = Client.objects.filter(studio=studio, archived_at__isnull=not archived)
    if search:
        matching_contacts = Contact.objects.filter(studio=studio).filter(
            Q(name__icontains=search) | Q(email__icontains=search)
        )
        clients = clients.filter(Q(name__icontains=search) | Q(pk__in=matching_contacts.values("client_id")))
    if status:
        clients = clients.filter(status=status)
    if tier:
        clients = clients.filter(tier=tier)
    if tag:
        clients = clients.filter(tags__name__iexact=tag)
    return (
        clients.annotate(
            revenue_12m=Coalesce(
                Sum("payments__amount_minor", filter=revenue_12m_filter(studio=studio, as_of=as_of)), 0
            )
        )
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name")), "tags")
        .order_by(*SORTS.get(sort, SORTS["name"]))
    )


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str
    title: str
    detail: str
    amount_minor: int | None = None
    currency: str = ""


def client_timeline(*, client: Client) -> list[TimelineEntry]:
    """Everything that happened with the client, newest first (payments and touchpoints so far)."""
    entries = [
        TimelineEntry(
            on=payment.paid_on,
            kind="refund" if payment.is_refund else "payment",
            title=("Refund" if payment.is_refund else "Payment") + f" · {payment.get_method_display()}",
            detail=payment.note,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
        )
        for payment in Payment.objects.filter(client=client)
    ]
    entries += [
        TimelineEntry(on=touch.happened_on, kind="touchpoint", title=touch.get_kind_display(), detail=touch.note)
        for touch in Touchpoint.objects.filter(client=client)
    ]
    return sorted(entries, key=lambda entry: entry.on, reverse=True)


@dataclass(frozen=True)
class Totals:
    currency: str
    last_12_months: int
    lifetime: int
    payments: int


def client_totals(*, client: Client, as_of: date) -> list[Totals]:
    """Revenue per currency: the last 12 months and lifetime, refunds included."""
    rows = (
        Payment.objects.filter(client=client)
        .values("currency")
        .annotate(
            lifetime=Sum("amount_minor"),
            last_12_months=Coalesce(
                Sum("amount_minor", filter=Q(paid_on__gt=window_start(as_of), paid_on__lte=as_of)), 0
            ),
            count=Count("pk"),
        )
        .order_by("currency")
    )
    return [Totals(row["currency"], row["last_12_months"], row["lifetime"], row["count"]) for row in rows]


def studio_cadence(studio: Studio) -> Cadence:
    return Cadence(
        angel_days=studio.angel_cadence_days,
        regular_days=studio.regular_cadence_days,
        card_month=studio.yearly_card_month,
    )


def _local_date(moment: datetime | None, studio: Studio) -> date | None:
    return moment.astimezone(studio.zoneinfo).date() if moment else None


def touchpoints_due(*, studio: Studio, today: date) -> list[tuple[TouchDue, Client]]:
    """Who to get in touch with, most overdue first: two queries for the whole studio."""
    clients = {
        client.pk: client
        for client in Client.objects.filter(
            studio=studio, archived_at__isnull=True, status__in=[Client.Status.ACTIVE, Client.Status.PAST]
        )
    }
    carded = set(
        Touchpoint.objects.filter(studio=studio, kind=Touchpoint.Kind.CARD, happened_on__year=today.year).values_list(
            "client_id", flat=True
        )
    )
    clocks = [
        ClientClock(
            client_id=client.pk,
            is_angel=client.is_angel,
            last_interaction_on=_local_date(client.last_interaction_at, studio),
            client_since=client.client_since or _local_date(client.created_at, studio),
            card_sent_this_year=client.pk in carded,
        )
        for client in clients.values()
    ]
    return [(due, clients[due.client_id]) for due in touches_due(clocks, today=today, cadence=studio_cadence(studio))]


def past_clients_to_call(*, studio: Studio) -> QuerySet[Client]:
    """This week's past clients to call: longest silence first, as many as the studio chose."""
    return (
        Client.objects.filter(studio=studio, status=Client.Status.PAST, archived_at__isnull=True)
        .prefetch_related("contacts")
        .order_by(F("last_interaction_at").asc(nulls_first=True), "pk")[: studio.past_clients_per_week]
    )


def first_contacts(client_ids: Collection[int]) -> dict[int, Contact]:
    """Each client's primary contact, else its first by name: one query."""
    chosen: dict[int, Contact] = {}
    if not client_ids:
        return chosen
    for contact in Contact.objects.filter(client_id__in=client_ids).order_by("client_id", "-is_primary", "name", "pk"):
        chosen.setdefault(contact.client_id, contact)
    return chosen
