"""Two beat processes at once (a misconfigured deployment, or a beat restarted mid-tick): no duplicates.

Each "beat" is a thread with its own PostgreSQL connection running every sweep for the same instant;
the unique (studio, idempotency key) constraint and enqueue's race handling leave one row per key.
"""

import os
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from comms.models import OutboxEmail
from kernel.sweeps import run_sweeps
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, MilestoneFactory, ProjectFactory
from tests.integration.test_outbox_postgres import in_threads

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="DATABASE_URL does not point to PostgreSQL: concurrent sweeps need real concurrent transactions",
    ),
]

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)


@pytest.mark.django_db(transaction=True)
def test_two_beats_sweeping_the_same_instant_write_each_row_once():
    membership = MembershipFactory(user__email="owner@studio.example", studio__timezone="Europe/Berlin")
    studio = membership.studio
    for number in range(5):
        client = ClientFactory(studio=studio, name=f"Client {number}")
        ContactFactory(client=client, email=f"c{number}@client.example", is_primary=True)
        project = ProjectFactory(
            client=client, active_from=date(2026, 1, 1), deadline_on=TUESDAY_MORNING.date() + timedelta(days=3)
        )
        MilestoneFactory(project=project, due_on=TUESDAY_MORNING.date() + timedelta(days=1))

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        first, second = in_threads(lambda: run_sweeps(TUESDAY_MORNING), lambda: run_sweeps(TUESDAY_MORNING))

    assert not [name for name, result in {**first, **second}.items() if isinstance(result, str)], (first, second)
    keys = Counter(OutboxEmail.objects.filter(studio=studio).values_list("idempotency_key", flat=True))
    assert len(keys) >= 10  # five project deadlines and five milestones, three days and one day ahead
    assert set(keys.values()) == {1}
