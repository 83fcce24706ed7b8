from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client
from django.urls import reverse

from crm.celery import HeartbeatScheduler, app
from kernel.heartbeat import heartbeat_record, scheduler_problems
from kernel.models import Heartbeat
from kernel.tasks import heartbeat

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_with_no_heartbeat_both_beat_and_worker_are_reported(db):
    problems = scheduler_problems(now=NOON)
    assert [problem.source for problem in problems] == ["beat", "worker"]
    assert all(problem.last_seen_at is None for problem in problems)


def test_a_recent_heartbeat_is_fine_and_a_stale_one_is_reported(db, settings):
    settings.HEARTBEAT_STALE_AFTER_SECONDS = 300
    heartbeat_record(source="beat", now=NOON - timedelta(seconds=299))
    heartbeat_record(source="worker", now=NOON - timedelta(seconds=301))

    problems = scheduler_problems(now=NOON)

    assert [(problem.source, problem.last_seen_at) for problem in problems] == [
        ("worker", NOON - timedelta(seconds=301))
    ]


@time_machine.travel(NOON, tick=False)
def test_every_page_warns_when_the_scheduler_is_silent(owner_client: Client):
    heartbeat_record(source="worker", now=NOON)
    heartbeat_record(source="beat", now=NOON - timedelta(hours=3))

    page = owner_client.get(reverse("today")).content.decode()

    assert "Scheduled emails are not going out." in page
    assert "The scheduler (celery beat) has not run for 3\xa0hours." in page
    assert "worker (celery worker) has" not in page


@time_machine.travel(NOON, tick=False)
def test_no_warning_while_both_are_alive(owner_client: Client):
    heartbeat_record(source="beat", now=NOON)
    heartbeat_record(source="worker", now=NOON)

    assert "Scheduled emails are not going out." not in owner_client.get(reverse("today")).content.decode()


def test_the_heartbeat_task_records_the_worker(db):
    heartbeat.apply()
    assert Heartbeat.objects.filter(source="worker").exists()


def test_beats_scheduler_records_a_heartbeat_when_it_ticks(db, tmp_path):
    scheduler = HeartbeatScheduler(app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.setup_schedule()
    scheduler.apply_async = lambda *args, **kwargs: None  # ticking must not publish to a broker here
    try:
        delay = scheduler.tick()
    finally:
        scheduler.close()

    assert Heartbeat.objects.filter(source="beat").exists()
    assert delay <= 30


def test_the_beat_schedule_sends_only_tasks_that_exist():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks


def test_a_worker_says_it_is_alive_as_soon_as_it_starts(db):
    from celery import signals

    signals.worker_ready.send(sender=None)

    assert Heartbeat.objects.get(source="worker").detail == "started"
