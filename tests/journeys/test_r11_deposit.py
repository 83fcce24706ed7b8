"""R11: a project awaiting its deposit can't start; the client sees what to pay and how in the portal
and is reminded until the deposit is recorded; the freelancer may start anyway, with a reason.
"""

from datetime import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from comms.models import OutboxEmail
from projects.models import Project
from tests.factories import ProjectFactory
from tests.journeys.crossings import (
    BERLIN,
    ann_at_the_bakery,
    in_russian,
    open_portal,
    studio_schedules_start,
    sweeps_run,
    worker_runs,
)

ASKED = datetime(2026, 11, 10, 10, 0, tzinfo=BERLIN)  # a Tuesday
DAY_3 = datetime(2026, 11, 13, 10, 0, tzinfo=BERLIN)
DAY_7 = datetime(2026, 11, 17, 10, 0, tzinfo=BERLIN)
PAID = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)
DAY_14 = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
BANK = "Bank transfer to Northlight, IBAN DE89 3704 0044 0532 0130 00"


@pytest.fixture
def ann(studio):
    studio.payment_options = BANK
    studio.save(update_fields=["payment_options"])
    return ann_at_the_bakery(studio)


@pytest.fixture
def website(ann):
    return ProjectFactory(
        client=ann.client, title="Bakery website", status=Project.Status.QUOTED, price_minor=480_000, deposit_percent=50
    )


def set_status(owner_client, project: Project, status: str, reason: str = "") -> str:
    response = owner_client.post(
        reverse("projects:set_status", kwargs={"pk": project.pk}),
        {"status": status, "override_reason": reason},
        follow=True,
    )
    project.refresh_from_db()
    return response.content.decode()


def reminders_to_ann() -> list:
    return [email for email in mail.outbox if email.to == ["ann@bakery.example"] and "deposit" in email.subject]


def test_the_deposit_is_asked_for_reminded_and_blocks_the_start_until_paid(owner_client, ann, website):
    studio_schedules_start(ann.studio, ASKED)
    with time_machine.travel(ASKED, tick=False):
        set_status(owner_client, website, "awaiting_deposit")
        assert website.status == "awaiting_deposit"
        refused = set_status(owner_client, website, "in_progress")
        assert website.status == "awaiting_deposit"
        assert "been received" in refused

        portal = open_portal(owner_client, ann)
        payments = portal.get(reverse("portal:payments", kwargs={"pk": website.pk})).content.decode()
    assert "2,400.00" in payments
    assert "Requested on 10 November 2026." in payments
    assert BANK in payments

    for moment, expected in ((DAY_3, 1), (DAY_7, 2)):
        with time_machine.travel(moment, tick=False):
            sweeps_run(moment, "deposits")
            sweeps_run(moment, "deposits")
            worker_runs()
        assert len(reminders_to_ann()) == expected
    reminder = reminders_to_ann()[0]
    assert reminder.subject == "Bakery website: the deposit of €2,400.00 is still open"
    assert BANK in reminder.body

    with time_machine.travel(PAID, tick=False):
        recorded = owner_client.post(
            reverse("clients:payment_add", kwargs={"pk": ann.client.pk}),
            {"amount": "2400.00", "currency": "EUR", "paid_on": "2026-11-18", "method": "bank",
             "project": str(website.pk), "note": ""},
        )  # fmt: skip
        assert recorded.status_code == 302
        payments = portal.get(reverse("portal:payments", kwargs={"pk": website.pk})).content.decode()
    assert "Received. Thank you!" in payments

    with time_machine.travel(DAY_14, tick=False):
        sweeps_run(DAY_14, "deposits")
        worker_runs()
    assert len(reminders_to_ann()) == 2, "no reminder once the deposit is in"
    assert OutboxEmail.objects.filter(kind="deposit-reminder").count() == 2


def test_work_starts_without_the_deposit_only_with_a_reason_which_stops_the_reminders(owner_client, ann, website):
    studio_schedules_start(ann.studio, ASKED)
    with time_machine.travel(ASKED, tick=False):
        set_status(owner_client, website, "awaiting_deposit")
    with time_machine.travel(DAY_3, tick=False):
        set_status(owner_client, website, "in_progress", reason="  ")
        assert website.status == "awaiting_deposit", "a blank reason is no reason"
        set_status(owner_client, website, "in_progress", reason="Long-standing client, pays on invoice")
        assert website.status == "in_progress"
        detail = owner_client.get(reverse("projects:detail", kwargs={"pk": website.pk})).content.decode()
    assert "Started without the full deposit by" in detail
    assert "Long-standing client, pays on invoice" in detail

    with time_machine.travel(DAY_7, tick=False):
        sweeps_run(DAY_7, "deposits")
        worker_runs()
    assert reminders_to_ann() == [], "a project under way is not chased for its deposit"


def test_the_refusal_to_start_without_the_deposit_is_in_the_freelancers_language(owner_client, ann, website):
    in_russian(owner_client)
    with time_machine.travel(ASKED, tick=False):
        set_status(owner_client, website, "awaiting_deposit")
        refused = set_status(owner_client, website, "in_progress")
    assert website.status == "awaiting_deposit"
    assert "hasn" not in refused
    assert "Record the payment" not in refused
