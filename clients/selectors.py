"""Reads for clients. Each returns in a constant number of queries, whatever the data size."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import reduce
from operator import or_
from typing import Any, Literal, NamedTuple

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.cadence import Cadence, DueKind, TouchDue, anniversary_on, anniversary_window, due_order
from clients.models import Client, Contact, Payment, Tag, Touchpoint
from clients.tiering import window_start
from kernel.dates import local_midnight
from kernel.models import Studio
from kernel.queries import MonthDay, Prepared, RowCount, StudioQuery

SortKey = Literal["name", "revenue", "recent", "silent"]
SORTS: dict[str, list] = {
    "name": ["name", "pk"],
    "revenue": [F("revenue_12m").desc(), "name", "pk"],
    "recent": [F("last_interaction_at").desc(nulls_last=True), "name", "pk"],
    "silent": [F("last_interaction_at").asc(nulls_first=True), "name", "pk"],
}


def revenue_12m(*, studio: Studio, as_of: date) -> Coalesce:
    """A client's net payments in the studio's currency over the 12-month window, as a column of a client query.

    A correlated sum read through the index on (client, paid_on): the database sums only the clients
    whose rows it returns, so a page of clients costs a page of sums.
    """
    payments = (
        Payment.objects.filter(
            client=OuterRef("pk"), currency=studio.currency, paid_on__gt=window_start(as_of), paid_on__lte=as_of
        )
        .order_by()
        .values("client")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    return Coalesce(Subquery(payments), 0)


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
    """The studio's clients matching the filters, in order: paginate it, then read a page with `client_rows`.

    Sorted by revenue, it must sum every matching client's 12-month payments to order them (one pass
    over the window's payments); the other orders read the clients table only.
    """
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
    if sort == "revenue":
        clients = clients.annotate(revenue_12m=revenue_12m(studio=studio, as_of=as_of))
    return clients.order_by(*SORTS.get(sort, SORTS["name"]))


# The studio's tags by name, for the list's tag filter.
STUDIO_TAGS = Prepared(lambda studio: Tag.objects.filter(studio_id=studio).order_by("name"))

LIST_FIELDS = ("name", "status", "tier", "tier_pin", "tier_reason", "last_interaction_at")


class ContactLine(NamedTuple):
    name: str
    email: str


PER_PAGE = 50


def client_page(*, studio: Studio, as_of: date, number: Any, **filters: Any) -> Page:
    """Page ``number`` of `client_list` (same filters) as the list shows it, its clients from `client_rows`.

    The paginator pages through the list's positions; both queries are built once per process and shape.
    """
    shape = tuple(sorted(filters.items()))
    total = LIST_SIZE.rows(studio, timezone.now(), shape=None, args=(as_of, shape))[0]["total"]
    page = Paginator(range(total), PER_PAGE).get_page(number)
    positions = page.object_list
    page.object_list = client_rows(studio=studio, as_of=as_of, filters=shape, low=positions.start, high=positions.stop)
    return page


LIST_SIZE = StudioQuery(
    lambda studio, now, as_of, filters: Studio.objects.filter(pk=studio.pk)
    .order_by()
    .values(total=RowCount(client_list(studio=studio, as_of=as_of, **dict(filters))))
)


def client_rows(*, studio: Studio, as_of: date, filters: tuple, low: int, high: int | None) -> list[Client]:
    """Clients ``low`` to ``high`` of `client_list` with ``filters``: three queries at any size.

    Each client carries ``revenue_12m``, ``status_label``, ``contact`` (its primary or first contact,
    or None) and ``tag_names``. The clients and their sums come in one query, built once per process
    for each day, filter and page (`StudioQuery`); contacts and tags in one plain query each.
    """
    clients = PAGE_ROWS.rows(studio, timezone.now(), shape=studio.currency, args=(as_of, filters, low, high))
    ids = [client.pk for client in clients]
    contacts = contact_lines(studio, ids)
    tags = tag_names(studio, ids)
    status_labels = {value: str(label) for value, label in Client.Status.choices}  # get_status_display() is slow
    for client in clients:
        client.status_label = status_labels.get(client.status, client.status)
        client.contact = contacts.get(client.pk)
        client.tag_names = tags.get(client.pk, [])
    return clients


def page_rows_query(studio: Studio, now: datetime, as_of: date, filters: tuple, low: int, high: int | None) -> QuerySet:
    """The clients of one page with their 12-month revenue.

    Sorted by revenue, the page carries its sums already. Otherwise the page's ids stay a subquery
    of the one query that sums revenue, so only the page's clients are summed.
    """
    page = client_list(studio=studio, as_of=as_of, **dict(filters))[low:high]
    if "revenue_12m" not in page.query.annotations:
        page = (
            Client.objects.filter(pk__in=page.values("pk"))
            .annotate(revenue_12m=revenue_12m(studio=studio, as_of=as_of))
            .order_by(*page.query.order_by)
        )
    return page.only(*LIST_FIELDS)


PAGE_ROWS = StudioQuery(page_rows_query)


def _placeholders(values: Collection) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def contact_lines(studio: Studio, client_ids: Collection[int]) -> dict[int, ContactLine]:
    """As `first_contacts`, the name and email only: the contact a client list line shows.

    Plain SQL, as `tag_names`: for a page of ids the ORM took seven times longer to build these
    queries than the database took to answer them.
    """
    sql = f"""
        SELECT client_id, name, email FROM clients_contact
        WHERE studio_id = %s AND client_id IN ({_placeholders(client_ids)})
        ORDER BY client_id, is_primary DESC, name, id
    """  # noqa: S608 - placeholders only
    contacts: dict[int, ContactLine] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [studio.pk, *client_ids])
        for client_id, name, email in cursor.fetchall():
            contacts.setdefault(client_id, ContactLine(name, email))
    return contacts


def tag_names(studio: Studio, client_ids: Collection[int]) -> dict[int, list[str]]:
    """Each client's tag names, alphabetical (clients without tags are left out)."""
    sql = f"""
        SELECT client_tag.client_id, tag.name FROM clients_client_tags client_tag
        JOIN clients_tag tag ON tag.id = client_tag.tag_id
        WHERE tag.studio_id = %s AND client_tag.client_id IN ({_placeholders(client_ids)})
        ORDER BY tag.name, tag.id
    """  # noqa: S608 - placeholders only
    names: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [studio.pk, *client_ids])
        for client_id, name in cursor.fetchall():
            names.setdefault(client_id, []).append(name)
    return names


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str
    title: str
    detail: str
    amount_minor: int | None = None
    currency: str = ""
    url: str = ""  # where the entry's title leads, if anywhere


def client_timeline(*, client: Client) -> list[TimelineEntry]:
    """Everything that happened with the client, newest first (payments and touchpoints so far)."""
    entries = [
        TimelineEntry(
            on=payment.paid_on,
            kind="refund" if payment.is_refund else "payment",
            title=(_("Refund") if payment.is_refund else _("Payment")) + f" · {payment.get_method_display()}",
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


IN_TOUCH_STATUSES = (Client.Status.ACTIVE, Client.Status.PAST)


def month_days(days: Collection[date], *, year: int) -> list[str]:
    """The ``'MM-DD'`` of each day, and 29 February with 28 February in a common ``year``; sorted."""
    found = {f"{day:%m-%d}" for day in days}
    if "02-28" in found and not calendar.isleap(year):
        found.add("02-29")
    return sorted(found)


def month_days_around(month_days: Collection[str]) -> list[str]:
    """The month-days one day either side too, in leap and common years alike: a UTC date's possible local ones."""
    around = set(month_days)
    for month_day in month_days:
        month, day = (int(part) for part in month_day.split("-"))
        for year in (2000, 2001):
            if month_day == "02-29" and not calendar.isleap(year):
                continue
            middle = date(year, month, day)
            around.update(f"{middle + timedelta(days=step):%m-%d}" for step in (-1, 1))
    return sorted(around)


def in_touch_clients(studio: Studio) -> QuerySet[Client]:
    """Current and past clients, not archived: the ones the staying-in-touch rule looks at."""
    return Client.objects.filter(studio=studio, archived_at__isnull=True, status__in=IN_TOUCH_STATUSES)


@dataclass(frozen=True)
class TouchRows:
    """The clients due each kind of touch on a day, as SQL: ordered, unsliced (``None``: none can be due)."""

    cadence: QuerySet[Client]
    cards: QuerySet[Client] | None
    anniversaries: QuerySet[Client] | None

    def all(self) -> list[QuerySet[Client]]:
        return [rows for rows in (self.cadence, self.cards, self.anniversaries) if rows is not None]


def touch_rows(*, studio: Studio, today: date) -> TouchRows:
    """The SQL twin of ``cadence.touches_due`` over the studio's clients, one query per kind.

    Check-ins and personal touches read the stored ``next_touch_on`` (``clients.touch_clock``) through
    its index; cards are the clients since before the card month (``client_since``, else the day they
    were added) without a card logged this year, in the card month only;
    anniversaries compare the stored month and day of ``client_since`` (else of the creation date's
    UTC day, then its local day) with the days ahead, through their indexes (SQLite converts time
    zones in Python: only for the few undated rows created near those days).
    """
    cadence = studio_cadence(studio)
    clients = in_touch_clients(studio)
    cadence_rows = clients.filter(next_touch_on__lte=today).order_by("next_touch_on", "pk")
    cards = None
    if today.month == cadence.card_month:
        carded = Touchpoint.objects.filter(
            client=OuterRef("pk"), kind=Touchpoint.Kind.CARD, happened_on__year=today.year
        )
        first_of_month = today.replace(day=1)
        month_began = local_midnight(first_of_month, studio.zoneinfo)
        before_the_month = Q(client_since__lt=first_of_month) | Q(client_since__isnull=True, created_at__lt=month_began)
        cards = clients.filter(before_the_month).exclude(Exists(carded)).order_by("pk")
    anniversaries = None
    if window := anniversary_window(today, cadence):
        wanted = month_days(window, year=today.year)
        zone = studio.zoneinfo
        dated = Q(client_since__isnull=False, client_since__lt=date(today.year, 1, 1), since_month_day__in=wanted)
        # Chained in this order (a Q of keywords would sort them): the native tests first keep the
        # time zone conversion, Python in SQLite, to the few rows created near one of the days.
        undated = (
            Q(client_since__isnull=True)
            & Q(created_at__lt=datetime(today.year, 1, 1, tzinfo=zone))
            & Q(created_utc_month_day__in=month_days_around(wanted))
            & Q(created_month_day__in=wanted)
        )
        anniversaries = (
            clients.alias(created_month_day=MonthDay(TruncDate("created_at", tzinfo=zone)))
            .filter(dated | undated)
            .order_by("pk")
        )
    return TouchRows(cadence=cadence_rows, cards=cards, anniversaries=anniversaries)


def touchpoints_due(*, studio: Studio, today: date, limit: int | None = None) -> list[tuple[TouchDue, Client]]:
    """Who to get in touch with, most overdue first (``cadence.touches_due``'s order): a query per kind.

    With ``limit``, each kind's query stops at ``limit`` rows and the merged list keeps the first ``limit``.
    """
    rows = touch_rows(studio=studio, today=today)
    sliced = (lambda rows: rows[:limit]) if limit is not None else (lambda rows: rows)
    due = touch_pairs(
        sliced(rows.cadence),
        sliced(rows.cards) if rows.cards is not None else [],
        sliced(rows.anniversaries) if rows.anniversaries is not None else [],
        zone=studio.zoneinfo,
        today=today,
    )
    return due if limit is None else due[:limit]


def touch_pairs(
    cadence: Iterable[Client], cards: Iterable[Client], anniversaries: Iterable[Client], *, zone: tzinfo, today: date
) -> list[tuple[TouchDue, Client]]:
    """The clients of ``touch_rows``' three kinds as ``(touch, client)`` pairs, most overdue first."""
    due: list[tuple[TouchDue, Client]] = []
    for client in cadence:
        kind = DueKind.PERSONAL if client.is_angel else DueKind.CHECK_IN
        due.append((TouchDue(client.pk, kind, client.next_touch_on, (today - client.next_touch_on).days), client))
    first_of_month = today.replace(day=1)
    due += [(TouchDue(client.pk, DueKind.YEARLY_CARD, first_of_month, 0), client) for client in cards]
    for client in anniversaries:
        since = client.client_since or client.created_at.astimezone(zone).date()
        due.append((TouchDue(client.pk, DueKind.ANNIVERSARY, anniversary_on(since, today.year), 0), client))
    due.sort(key=lambda pair: due_order(pair[0]))
    return due


def due_clients(rows: TouchRows) -> QuerySet[Client]:
    """The distinct clients due a touch of any kind: count them, a client due twice is one client.

    The kinds' conditions joined by OR in one scan of the studio's clients, which a count can stop
    early, where one subquery per kind would each read all of its rows first.
    """
    return reduce(or_, (kind_rows.order_by() for kind_rows in rows.all()))


@dataclass(frozen=True)
class ClientTouches:
    """One client due one or more touches (a check-in and the yearly card), most overdue first."""

    client: Client
    touches: list[TouchDue]

    @property
    def days_overdue(self) -> int:
        return self.touches[0].days_overdue


def touches_by_client(pairs: list[tuple[TouchDue, Client]], *, limit: int | None = None) -> list[ClientTouches]:
    """``touchpoints_due``'s pairs folded to one line per client, in the order of each client's first."""
    by_client: dict[int, ClientTouches] = {}
    for touch, client in pairs:
        if client.pk in by_client:
            by_client[client.pk].touches.append(touch)
        else:
            by_client[client.pk] = ClientTouches(client, [touch])
    lines = list(by_client.values())
    return lines if limit is None else lines[:limit]


def clients_due(*, studio: Studio, today: date, limit: int | None = None) -> list[ClientTouches]:
    """Who to get in touch with, one line per client, most overdue first (the Stay in touch list, Today).

    A client is due at most one touch of each kind, so ``limit`` times the kinds are enough pairs
    to fill ``limit`` lines.
    """
    pairs_limit = None if limit is None else limit * len(DueKind)
    return touches_by_client(touchpoints_due(studio=studio, today=today, limit=pairs_limit), limit=limit)


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
