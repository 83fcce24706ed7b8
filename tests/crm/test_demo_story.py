"""The demo tells one consistent story: what a project's status says has happened, has happened."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from clients.models import Client, Payment
from comms.models import OutboxEmail
from desk.demo import DEMO_STUDIO_SLUG
from kernel.models import Studio
from projects.demo import STARTED
from projects.models import Milestone, Project
from projects.services import deposit_received_minor

THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def demo(db, settings) -> Studio:
    settings.DEBUG = True
    with time_machine.travel(THURSDAY_NOON, tick=False):
        call_command("seed_demo")
        call_command("seed_demo")  # a second run keeps the story (and adds no second deposit)
    return Studio.objects.get(slug=DEMO_STUDIO_SLUG)


def test_every_project_past_its_deposit_has_received_it(demo: Studio):
    started = Project.objects.filter(studio=demo, status__in=STARTED)
    assert started.filter(status=Project.Status.IN_PROGRESS).count() == 2
    for project in started:
        assert project.deposit_due_minor > 0, project.title
        assert deposit_received_minor(project) == project.deposit_due_minor, project.title
        paid_on = Payment.objects.get(project=project).paid_on
        assert paid_on < project.start_on, project.title
        assert project.agreement_accepted_at.date() < paid_on, project.title


def test_a_project_awaiting_its_deposit_has_not_received_it(demo: Studio):
    waiting = Project.objects.get(studio=demo, status=Project.Status.AWAITING_DEPOSIT)
    assert deposit_received_minor(waiting) == 0
    assert waiting.deposit_requested_at is not None


def test_clients_statuses_match_their_projects(demo: Studio):
    working = Client.objects.filter(studio=demo, projects__status__in=Project.ACTIVE_STATUSES).distinct()
    assert working.exists()
    assert set(working.values_list("status", flat=True)) == {Client.Status.ACTIVE}


def test_nothing_in_the_demo_happened_in_the_future(demo: Studio):
    today = THURSDAY_NOON.date()
    assert not Payment.objects.filter(studio=demo, paid_on__gt=today).exists()
    assert not Milestone.objects.filter(project__studio=demo, done_at__gt=THURSDAY_NOON).exists()
    assert not Project.objects.filter(studio=demo, agreement_accepted_at__gt=THURSDAY_NOON).exists()


def test_the_check_in_about_a_launched_shop_goes_to_a_client_whose_shop_launched(demo: Studio):
    check_in = OutboxEmail.objects.get(studio=demo, idempotency_key="demo-check-in-little-fox")
    assert "launch" in check_in.text
    assert Project.objects.filter(
        client=check_in.client, status=Project.Status.COMPLETED, deadline_on__lt=THURSDAY_NOON.date()
    ).exists()
