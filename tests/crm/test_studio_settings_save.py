"""Saving the studio's settings is a service: it resets the schedules and tells the apps what moved."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from comms.models import OutboxEmail
from desk.members import invitation_send
from kernel.invitations import invitation_create
from kernel.models import Studio, SweepSchedule
from kernel.services import studio_settings_save
from kernel.signals import studio_calendar_changed
from kernel.sweeps import SCHEDULED_JOBS
from tests.crm.test_signup_and_settings import SIGNUP, settings_post

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def calendar_changes():
    """Every ``studio_calendar_changed`` sent during the test, as its keyword arguments."""
    sent: list[dict] = []

    def receive(sender, **kwargs):
        sent.append(kwargs)

    studio_calendar_changed.connect(receive, dispatch_uid="tests.calendar_changes")
    yield sent
    studio_calendar_changed.disconnect(dispatch_uid="tests.calendar_changes")


def next_runs(studio: Studio) -> set[datetime]:
    return set(SweepSchedule.objects.filter(studio=studio).values_list("next_run_at", flat=True))


def test_the_settings_page_sends_the_studio_fields_it_changed(owner_client: Client, studio: Studio, calendar_changes):
    owner_client.post(reverse("settings"), settings_post(studio))
    calendar_changes.clear()

    with time_machine.travel(NOW, tick=False):
        response = owner_client.post(
            reverse("settings"), settings_post(studio, timezone="Asia/Tokyo", mon_open="08:00")
        )

    assert response.status_code == 302
    [sent] = calendar_changes
    assert sent["studio"] == studio
    assert sent["changed"] == frozenset({"timezone", "working_hours_json"})
    assert sent["now"] == NOW
    studio.refresh_from_db()
    assert studio.settings_saved_at == NOW
    assert next_runs(studio) == {NOW}


def test_settings_that_move_no_hour_leave_the_schedules_alone(studio: Studio, calendar_changes):
    before = next_runs(studio)
    studio.payment_options = "Bank transfer"

    studio_settings_save(studio, changed={"payment_options"}, now=NOW)

    assert next_runs(studio) == before
    assert [sent["changed"] for sent in calendar_changes] == [frozenset({"payment_options"})]
    studio.refresh_from_db()
    assert studio.payment_options == "Bank transfer"


def test_a_studio_made_at_signup_is_due_for_every_scheduled_job_at_once(client: Client, db):
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("signup"), SIGNUP)

    studio = Studio.objects.get(slug="weaver-design")
    assert dict(SweepSchedule.objects.filter(studio=studio).values_list("job", "next_run_at")) == dict.fromkeys(
        SCHEDULED_JOBS, NOW
    )


def test_the_invitation_rules_send_nothing_the_desk_sends_the_link(studio: Studio, owner):
    invitation, _token = invitation_create(studio=studio, email=" Zoe@Example.com ", invited_by=owner, now=NOW)

    assert invitation.email == "zoe@example.com"
    assert not OutboxEmail.objects.exists()

    invitation = invitation_send(studio=studio, email="zoe@example.com", invited_by=owner, now=NOW)

    row = OutboxEmail.objects.get()
    assert (row.kind, row.to, row.idempotency_key) == (
        "member-invite",
        ["zoe@example.com"],
        f"invitation:{invitation.pk}",
    )
