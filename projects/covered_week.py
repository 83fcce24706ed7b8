"""The stored Friday cover: ``Client.covered_week``, the rule's "has this client heard from us this week".

Today counts and lists the projects due a Friday update (R2) by comparing each client's
``covered_week`` with the current week's key instead of running ``projects.friday.updates_due``
over the week's mail. The pure rule stays the authority; this module only stores its answer:

- every message the app records (``comms.signals.message_recorded``, sent by ``comms.conversation.
  record_message``) reaches ``note_outbound``, which raises the week of the clients outbound email reached;
- the other inputs of the rule change with a signal too (``clients.signals.contacts_changed``,
  ``kernel.signals.studio_calendar_changed`` for the time zone), whose receivers here call
  ``refresh_covered_weeks``, which recomputes the current week exactly;
- the Friday reminder sweep refreshes the whole studio, which heals anything missed.

Readers only ask whether ``covered_week`` equals the current key, so older weeks may stay stale.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from clients.models import Client, Contact
from comms.models import Message
from kernel.models import Studio
from projects.friday import WeekBounds, covered_addresses, normalize_email, week_bounds
from projects.friday_query import contact_emails_by_client, week_outbound
from projects.models import Project

# Ids per UPDATE (well under every backend's limit of parameters).
UPDATE_BATCH = 500
# Up to this many contact addresses, a refresh reads only the week's mail that may name one of them.
NARROW_UP_TO = 20


def active_on_friday(projects: QuerySet[Project], bounds: WeekBounds) -> QuerySet[Project]:
    """The candidates among ``projects``, as ``projects.friday_query.friday_candidates`` filters them."""
    return projects.filter(active_from__isnull=False, active_from__lte=bounds.friday).filter(
        Q(active_until__isnull=True) | Q(active_until__gte=bounds.friday)
    )


def due_rows(studio: Studio, bounds: WeekBounds) -> QuerySet[Project]:
    """The studio's projects due a Friday update in the week of ``bounds``, as stored.

    The candidates (active on the week's Friday) whose client's ``covered_week`` is not the week's
    key. Scoped by the client's studio (a project's client is always of its studio), so the planner,
    statistics or not, walks the studio's clients by name (the order Today lists them in) and
    reaches their projects through the client index: a few rows read whatever the studio's size.
    """
    return active_on_friday(Project.objects.filter(client__studio=studio), bounds).exclude(
        client__covered_week=bounds.key
    )


def json_spellings(address: str) -> set[str]:
    """How ``address`` may appear in a JSON list's text: as is, and escaped as SQLite stores it."""
    return {address, json.dumps(address)[1:-1]}


def _contact_addresses(email: str, other_emails: object) -> Iterator[str]:
    yield email
    if isinstance(other_emails, list):
        yield from (other for other in other_emails if isinstance(other, str))


def clients_reached(studio: Studio, addresses: Collection[str]) -> set[int]:
    """The studio's clients one of whose contacts uses one of the normalized ``addresses``: one query.

    SQL only narrows the contacts down (main address, or other addresses whose text holds one);
    the rule's own normalization decides.
    """
    if not addresses:
        return set()
    others = reduce(
        or_, (Q(other_emails__icontains=spelling) for address in addresses for spelling in json_spellings(address))
    )
    contacts = (
        Contact.objects.for_studio(studio)
        .annotate(email_lower=Lower("email"))
        .filter(Q(email_lower__in=list(addresses)) | others)
        .values_list("client_id", "email", "other_emails")
    )
    return {
        client_id
        for client_id, email, other_emails in contacts
        if any(normalize_email(address) in addresses for address in _contact_addresses(email, other_emails))
    }


def note_outbound(message: Message) -> int:
    """Raise ``covered_week`` of the clients an outbound email reached to the week it covers.

    Called for every recorded message; only sent email counts (the outbox logs a ``Message`` once
    mail has left). Mail sent on a local Saturday or Sunday covers no week. A client already at
    that week or a later one is left alone (``YYYY-Www`` keys compare as strings). Two queries at
    most. Returns the number of clients raised.
    """
    if message.direction != Message.Direction.OUTBOUND or message.channel != Message.Channel.EMAIL:
        return 0
    studio = message.studio
    bounds = week_bounds(message.sent_at, studio.zoneinfo)
    reached = covered_addresses(bounds, [(message.sent_at, [*message.to, *message.cc, *message.bcc])])
    client_ids = clients_reached(studio, reached)
    if not client_ids:
        return 0
    return (
        Client.objects.for_studio(studio)
        .filter(pk__in=client_ids, covered_week__lt=bounds.key)
        .update(covered_week=bounds.key)
    )


def _week_outbound_naming(
    studio: Studio, bounds: WeekBounds, addresses: Iterable[str]
) -> list[tuple[datetime, list[str]]]:
    """``week_outbound`` narrowed to the mail whose recipients' text holds one of ``addresses``."""
    spellings = {spelling for address in addresses for spelling in json_spellings(normalize_email(address))}
    spellings.discard("")
    if not spellings:
        return []
    named = reduce(
        or_,
        (Q(to__icontains=spelling) | Q(cc__icontains=spelling) | Q(bcc__icontains=spelling) for spelling in spellings),
    )
    return week_outbound(studio, bounds, where=named)


def refresh_covered_weeks(
    studio: Studio,
    *,
    now: datetime,
    client_ids: Iterable[int] | None = None,
    outbound: list[tuple[datetime, list[str]]] | None = None,
) -> int:
    """Recompute the current week's cover of the given clients (default: all the studio's) from the rule.

    The current week is the studio's local week containing ``now``. Covered clients get its key;
    uncovered ones holding that key go back to ''; other weeks are left as they are, since readers
    only compare with the current key. For what changes the rule's inputs other than mail: contacts
    added, edited, deleted or moved, the studio's time zone; and the Friday sweep, as a reconcile,
    which passes the week's ``outbound`` mail it reads anyway (``week_outbound``). Returns the number
    of clients written.
    """
    bounds = week_bounds(now, studio.zoneinfo)
    clients = Client.objects.for_studio(studio)
    if client_ids is not None:
        wanted = set(client_ids)
        if not wanted:
            return 0
        if len(wanted) > UPDATE_BATCH:
            return refresh_covered_weeks(studio, now=now)  # as cheap as so many ids, and exact
        clients = clients.filter(pk__in=wanted)
    stored = dict(clients.values_list("pk", "covered_week"))
    if not stored:
        return 0
    emails = contact_emails_by_client(studio, set(stored) if client_ids is not None else clients.values("pk"))
    addresses = {address for client_emails in emails.values() for address in client_emails}
    if outbound is None and client_ids is not None and len(addresses) <= NARROW_UP_TO:
        outbound = _week_outbound_naming(studio, bounds, addresses)
    elif outbound is None:
        outbound = week_outbound(studio, bounds)
    covered = covered_addresses(bounds, outbound, now=now)
    covered_ids = {
        client_id
        for client_id, client_emails in emails.items()
        if any(normalize_email(email) in covered for email in client_emails)
    }
    to_cover = sorted(pk for pk in covered_ids & stored.keys() if stored[pk] != bounds.key)
    to_clear = sorted(pk for pk, week in stored.items() if week == bounds.key and pk not in covered_ids)
    written = 0
    for ids, rows, week in (
        (to_cover, Client.objects.all(), bounds.key),
        (to_clear, Client.objects.filter(covered_week=bounds.key), ""),
    ):
        for start in range(0, len(ids), UPDATE_BATCH):
            written += rows.filter(pk__in=ids[start : start + UPDATE_BATCH]).update(covered_week=week)
    return written


def on_message_recorded(sender: object, *, message: Message, **kwargs: object) -> None:
    """Receiver for ``comms.signals.message_recorded``: sent email covers the clients it reached."""
    note_outbound(message)


def on_contacts_changed(
    sender: object, *, studio: Studio, client_ids: Collection[int], now: datetime, **kwargs: object
) -> None:
    """Receiver for ``clients.signals.contacts_changed``: mail already sent this week to an address
    added to a client covers it, and a client whose address went away may no longer be covered."""
    refresh_covered_weeks(studio, now=now, client_ids=client_ids)


def on_studio_calendar_changed(
    sender: object, *, studio: Studio, changed: Collection[str], now: datetime, **kwargs: object
) -> None:
    """Receiver for ``kernel.signals.studio_calendar_changed``: a new time zone moves the week's bounds."""
    if "timezone" in changed:
        refresh_covered_weeks(studio, now=now)
