"""The stored cadence clock: ``Client.next_touch_on``, kept equal to ``clients.cadence.next_touch_on``.

Today and the sweeps read who is due a personal touch or a check-in through the (studio,
next_touch_on) index instead of running the rule over every client. The pure rule stays the
authority: this module only stores its answer. It depends on the client's tier, latest interaction,
when the client was created (as a local date) and on the studio's cadences
and time zone, so every write of one of those calls ``refresh_next_touch`` (the studio's settings
through ``kernel.signals.studio_calendar_changed``); the nightly tier recompute and the weekly
touchpoints sweep refresh the whole studio, which heals anything missed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, DateField, F, Value, When

from clients.cadence import Cadence, ClientClock, next_touch_on
from clients.models import Client
from clients.selectors import studio_cadence
from kernel.dates import local_date
from kernel.models import Studio

# Ids per SELECT when refreshing given clients (well under every backend's limit of parameters).
ID_CHUNK = 500
UPDATE_BATCH = 500
# The studio's settings the clock depends on: saving one of them refreshes every client.
CLOCK_SETTINGS = frozenset({"timezone", "angel_cadence_days", "regular_cadence_days"})
CLOCK_FIELDS = ("pk", "tier", "last_interaction_at", "client_since", "created_at", "next_touch_on")


def clock_of(
    *, client_id: int, tier: str, last_interaction_at: datetime | None, client_since: date | None,
    created_at: datetime | None, zone: ZoneInfo, card_sent_this_year: bool = False,
) -> ClientClock:  # fmt: skip
    """The rule's view of one client: its dates as local dates of the studio; the anniversary counts from
    ``client_since``, else from when the client was added."""
    added_on = local_date(created_at, zone) if created_at else None
    return ClientClock(
        client_id=client_id,
        is_angel=tier == Client.Tier.ANGEL,
        last_interaction_on=local_date(last_interaction_at, zone) if last_interaction_at else None,
        client_since=client_since or added_on,
        card_sent_this_year=card_sent_this_year,
        added_on=added_on,
    )


def expected_next_touch(row: dict, *, zone: ZoneInfo, cadence: Cadence) -> date | None:
    clock = clock_of(
        client_id=row["pk"],
        tier=row["tier"],
        last_interaction_at=row["last_interaction_at"],
        client_since=row["client_since"],
        created_at=row["created_at"],
        zone=zone,
    )
    return next_touch_on(clock, cadence)


def next_touch_after_interaction(studio: Studio, at: datetime) -> Case:
    """``next_touch_on`` once the latest interaction is ``at``, as SQL picking the rule's answer by tier.

    For the UPDATE that moves ``last_interaction_at``: both columns change in one statement, so no
    concurrent write can pair the new interaction with a stale clock. A client added after ``at``'s
    local day keeps its clock: it counts from the later day it was added.
    """
    zone, cadence = studio.zoneinfo, studio_cadence(studio)

    def answer(tier: str) -> date | None:
        clock = clock_of(client_id=0, tier=tier, last_interaction_at=at, client_since=None, created_at=None, zone=zone)
        return next_touch_on(clock, cadence)

    day_after = datetime.combine(at.astimezone(zone).date() + timedelta(days=1), time(), tzinfo=zone)
    return Case(
        When(created_at__gte=day_after, then=F("next_touch_on")),
        When(tier=Client.Tier.ANGEL, then=Value(answer(Client.Tier.ANGEL))),
        default=Value(answer(Client.Tier.REGULAR)),
        output_field=DateField(),
    )


def _rows(studio: Studio, client_ids: Collection[int] | None) -> Iterator[dict]:
    clients = Client.objects.filter(studio=studio).order_by()
    if client_ids is None:
        yield from clients.values(*CLOCK_FIELDS).iterator(chunk_size=2000)
        return
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), ID_CHUNK):
        yield from clients.filter(pk__in=ids[start : start + ID_CHUNK]).values(*CLOCK_FIELDS)


def refresh_next_touch(studio: Studio, client_ids: Collection[int] | None = None) -> int:
    """Store the rule's ``next_touch_on`` for the studio's clients (or only ``client_ids``).

    One SELECT of a few columns, then an UPDATE batch for the rows that changed only: a quiet
    refresh writes nothing. Returns how many rows changed.
    """
    if client_ids is not None and not client_ids:
        return 0
    zone, cadence = studio.zoneinfo, studio_cadence(studio)
    changed = [
        Client(pk=row["pk"], next_touch_on=wanted)
        for row in _rows(studio, client_ids)
        if (wanted := expected_next_touch(row, zone=zone, cadence=cadence)) != row["next_touch_on"]
    ]
    if changed:
        Client.objects.bulk_update(changed, ["next_touch_on"], batch_size=UPDATE_BATCH)
    return len(changed)


def on_studio_calendar_changed(sender: object, *, studio: Studio, changed: Collection[str], **kwargs: object) -> None:
    """Receiver for ``kernel.signals.studio_calendar_changed``: a new cadence or time zone moves every clock."""
    if CLOCK_SETTINGS.intersection(changed):
        refresh_next_touch(studio)
