"""The sweep framework: the studio schedule, the keys already used, one failing sweep."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing.services import billing_profile_update
from comms.notify import KEY_CHUNK, keys_already_used
from kernel import sweeps
from kernel.models import SweepSchedule
from kernel.services import studio_settings_save
from kernel.sweeps import due_studios, next_check_at, reschedule, run_sweeps
from projects.services import project_set_status
from tests.factories import OutboxEmailFactory, ProjectFactory, StudioFactory

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def studios_created_early():
    """Studios are created (and so first due) at this instant, before every time the tests look at."""
    with time_machine.travel(datetime(2026, 10, 1, 6, 0, tzinfo=BERLIN), tick=False):
        yield


def test_used_keys_are_found_pair_by_pair_across_chunks(studio, other_studio):
    for index in range(0, 2 * KEY_CHUNK + 10, 3):
        OutboxEmailFactory(studio=studio, idempotency_key=f"clock-warning:{index}")
    OutboxEmailFactory(studio=other_studio, idempotency_key="clock-warning:1")
    pairs = [(studio.pk, f"clock-warning:{index}") for index in range(2 * KEY_CHUNK + 10)]
    pairs.append((other_studio.pk, "clock-warning:0"))

    used = keys_already_used(pairs)

    assert used == {(studio.pk, f"clock-warning:{index}") for index in range(0, 2 * KEY_CHUNK + 10, 3)}
    assert keys_already_used([]) == set()


def test_a_new_studio_is_due_for_every_scheduled_job_at_once(db):
    studio = StudioFactory()
    assert set(SweepSchedule.objects.filter(studio=studio).values_list("job", flat=True)) == set(sweeps.SCHEDULED_JOBS)
    assert [moment.studio for moment in due_studios("daily-digest", datetime.now(tz=UTC))] == [studio]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 25, 7, 30, tzinfo=BERLIN), datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN)),
        (datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN), datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)),
        (datetime(2026, 11, 25, 23, 59, tzinfo=BERLIN), datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)),
        # The night the clocks go back: the next 08:00 is in winter time.
        (datetime(2026, 10, 24, 9, 0, tzinfo=BERLIN), datetime(2026, 10, 25, 8, 0, tzinfo=BERLIN)),
    ],
)
def test_the_next_check_is_the_jobs_next_local_hour(db, now, expected):
    studio = StudioFactory(timezone="Europe/Berlin", digest_hour=8)
    assert next_check_at(studio, "daily-digest", now) == expected


def test_rescheduled_studios_are_not_due_again_until_their_hour(db):
    studio = StudioFactory(timezone="Europe/Berlin", digest_hour=8)
    now = datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    reschedule("daily-digest", due_studios("daily-digest", now), now)

    assert due_studios("daily-digest", datetime(2026, 11, 26, 7, 59, tzinfo=BERLIN)) == []
    assert [moment.studio for moment in due_studios("daily-digest", datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN))] == [
        studio
    ]


def test_changing_the_studios_hours_makes_it_due_again_and_other_saves_do_not(db):
    studio = StudioFactory(timezone="Europe/Berlin", digest_hour=8)
    now = datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    reschedule("daily-digest", due_studios("daily-digest", now), now)

    studio.tiers_computed_on = now.date()
    studio.save(update_fields=["tiers_computed_on"])
    assert due_studios("daily-digest", now) == []

    studio.digest_hour = 10
    studio_settings_save(studio, changed={"digest_hour"}, now=datetime.now(tz=UTC))
    assert [moment.studio for moment in due_studios("daily-digest", datetime.now(tz=UTC))] == [studio]


def test_one_failing_sweep_is_reported_and_the_others_still_run(db, monkeypatch):
    def broken(now):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(sweeps.SWEEPS, "broken", broken)
    monkeypatch.setitem(sweeps.SWEEPS, "fine", lambda now: 3)

    results = run_sweeps(datetime.now(tz=UTC), names=["broken", "fine"])

    assert results == {"broken": "failed: RuntimeError: the database went away", "fine": 3}


@pytest.mark.parametrize(
    ("job", "now", "expected"),
    [
        # Due by the local date: the next local midnight.
        ("invoice-reminders", datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN), datetime(2026, 11, 26, 0, 0, tzinfo=BERLIN)),
        ("maintenance-invoices", datetime(2026, 11, 25, 0, 0, tzinfo=BERLIN), datetime(2026, 11, 26, tzinfo=BERLIN)),
        # Due by the local date, written in working hours (Mon–Fri 09:00–18:00): the next opening.
        ("deposits", datetime(2026, 11, 25, 7, 0, tzinfo=BERLIN), datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)),
        ("deposits", datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)),
        ("surveys", datetime(2026, 11, 27, 19, 0, tzinfo=BERLIN), datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)),
    ],
)
def test_jobs_due_by_the_local_date_are_checked_at_midnight_or_at_the_opening(db, job, now, expected):
    studio = StudioFactory(timezone="Europe/Berlin")
    assert next_check_at(studio, job, now) == expected


def test_what_makes_a_studio_due_before_its_next_check(db):
    studio = StudioFactory(timezone="Europe/Berlin")
    now = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
    for job in ("invoice-reminders", "surveys"):
        reschedule(job, due_studios(job, now), now)
        assert due_studios(job, now) == []

    billing_profile_update(studio=studio, values={"reminder_days": [-3, 0]}, now=now)
    assert [moment.studio for moment in due_studios("invoice-reminders", now)] == [studio]

    project = ProjectFactory(client__studio=studio, status="launched")
    project_set_status(project=project, target="completed", by=None, now=now)
    assert [moment.studio for moment in due_studios("surveys", now)] == [studio]
