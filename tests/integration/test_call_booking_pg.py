"""On PostgreSQL, two clients booking the same call slot at once: exactly one gets it (R8).

Runs when DATABASE_URL points to PostgreSQL (CI sets it). Each client is a thread with its own
database connection, as two web processes would have; a barrier starts them together.
"""

import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from clients.models import Contact
from comms.models import OutboxEmail
from kernel.models import Studio
from projects.calls import SlotTaken, book_call
from projects.models import Call
from tests.factories import ContactFactory, MembershipFactory, StudioFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="DATABASE_URL does not point to PostgreSQL: the studio row lock (SELECT … FOR UPDATE) is not exercised",
    ),
]

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 10, 5, 8, 0, tzinfo=BERLIN)  # Monday, before opening
SLOT = datetime(2026, 10, 5, 14, 0, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # Committed outbox rows would kick a delivery task: no task may reach a real broker (CI sets REDIS_URL).
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)


def in_threads(*work: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread (and database connection); return a result or the exception raised."""
    results: list[object] = [None] * len(work)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            results[index] = job()
        except BaseException as error:  # examined in the test thread
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def racing_bookings(studio: Studio, contacts: list[Contact], starts: list[datetime]) -> list[object]:
    barrier = threading.Barrier(len(contacts))

    def booking(contact: Contact, start: datetime) -> Callable[[], object]:
        def attempt() -> object:
            barrier.wait(timeout=60)
            return book_call(
                studio=studio,
                client=contact.client,
                contact=contact,
                starts_at=start,
                duration_minutes=15,
                topic=f"Question from {contact.name}",
                now=NOW,
            )

        return attempt

    return in_threads(*(booking(contact, start) for contact, start in zip(contacts, starts, strict=True)))


@pytest.fixture
def studio() -> Studio:
    studio = StudioFactory(timezone="Europe/Berlin")
    MembershipFactory(studio=studio)
    return studio


@pytest.mark.django_db(transaction=True)
def test_two_clients_booking_the_same_slot_at_once_one_gets_it(studio):
    contacts = [ContactFactory(client__studio=studio, name=name) for name in ("Anna", "Boris")]

    results = racing_bookings(studio, contacts, [SLOT, SLOT])

    booked = [result for result in results if isinstance(result, Call)]
    refused = [result for result in results if isinstance(result, SlotTaken)]
    assert len(booked) == 1, results
    assert len(refused) == 1, results
    call = Call.objects.get()
    assert call.pk == booked[0].pk
    assert call.starts_at == SLOT
    # Only the winner's invitations were queued: the loser's transaction left nothing behind.
    assert set(OutboxEmail.objects.values_list("idempotency_key", flat=True)) == {
        f"call:{call.pk}:0:client:booked",
        f"call:{call.pk}:0:studio:booked",
    }


@pytest.mark.django_db(transaction=True)
def test_overlapping_slots_inside_the_buffer_are_not_both_booked(studio):
    contacts = [ContactFactory(client__studio=studio, name=name) for name in ("Anna", "Boris")]

    results = racing_bookings(studio, contacts, [SLOT, SLOT + timedelta(minutes=15)])

    assert sum(isinstance(result, Call) for result in results) == 1, results
    assert sum(isinstance(result, SlotTaken) for result in results) == 1, results
    assert Call.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_daily_limit_holds_under_concurrent_bookings(studio):
    Studio.objects.filter(pk=studio.pk).update(call_max_per_day=1)
    studio.refresh_from_db()
    contacts = [ContactFactory(client__studio=studio, name=name) for name in ("Anna", "Boris", "Chen")]

    results = racing_bookings(studio, contacts, [SLOT, SLOT + timedelta(hours=1), SLOT + timedelta(hours=2)])

    assert sum(isinstance(result, Call) for result in results) == 1, results
    assert sum(isinstance(result, SlotTaken) for result in results) == 2, results
    assert Call.objects.count() == 1
