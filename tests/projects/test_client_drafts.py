"""Client drafts in Compose (comms.drafts, projects.client_drafts), call proposals and the deposit's start of work."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from comms import drafts
from comms.models import OutboxEmail
from kernel.models import Studio
from projects.client_drafts import project_drafts
from projects.models import DeadlineChange, PortalLink, Project, StatusUpdate
from projects.services import ProjectError, deadline_change, project_start_work
from tests.crm.test_signup_and_settings import settings_post
from tests.factories import (
    ClientFactory,
    ContactFactory,
    MessageFactory,
    OutboxEmailFactory,
    PaymentFactory,
    ProjectFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
Status = Project.Status


@pytest.fixture(autouse=True)
def wednesday():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


@pytest.fixture
def acme(studio):
    client = ClientFactory(studio=studio, name="Acme Bakery")
    ContactFactory(client=client, name="Ann Baker", email="ann@acme.example", is_primary=True)
    return client


@pytest.fixture
def site(acme) -> Project:
    return ProjectFactory(client=acme, title="Shop", deadline_on=date(2026, 12, 18), price_minor=100_000)


@pytest.fixture
def change(site) -> DeadlineChange:
    return deadline_change(project=site, new_date=date(2027, 1, 8), reason="Photos come late.", by=None)


def compose_url(reference: str) -> str:
    return f"{reverse('comms:compose')}?draft={reference}"


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Compose and drafts -----------------------------------------------------------------------------


def test_a_draft_of_another_studio_or_a_malformed_reference_is_a_404(owner_client, charlie_client, change):
    assert charlie_client.get(compose_url(f"deadline-notice:{change.pk}")).status_code == 404
    for bad in ("deadline-notice:x", "nothing:1", f"deadline-notice:{change.pk + 100}", "deadline-notice:0"):
        assert owner_client.get(compose_url(bad)).status_code == 404, bad
    assert owner_client.get(compose_url(f"deadline-notice:{change.pk}")).status_code == 200


def test_a_forged_draft_reference_sends_nothing(charlie_client, charlie, change):
    data = {"to": "x@example.com", "subject": "Hi", "body": "Hello", "language": "en", "token": "t1",
            "from_draft": f"deadline-notice:{change.pk}"}  # fmt: skip

    response = charlie_client.post(reverse("comms:compose"), data)

    assert response.status_code == 200
    assert "This draft no longer exists" in response.content.decode()
    assert not OutboxEmail.objects.exists()


def test_a_draft_keeps_its_client_and_project_whatever_the_form_posts(owner_client, studio, change, site, acme):
    other = ProjectFactory(client=ClientFactory(studio=studio))
    data = {"to": "ann@acme.example", "subject": "New date", "body": "Moved.", "language": "en", "token": "t2",
            "from_draft": f"deadline-notice:{change.pk}", "client": other.client_id, "project": other.pk}  # fmt: skip

    owner_client.post(reverse("comms:compose"), data)

    email = OutboxEmail.objects.get()
    assert (email.client, email.project) == (acme, site)
    assert email.idempotency_key == f"draft:deadline-notice:{change.pk}:t2"
    assert drafts.reference_of(email) == f"deadline-notice:{change.pk}"


def test_the_sent_email_wins_over_a_queued_or_undone_one(studio, site, change):
    reference = f"deadline-notice:{change.pk}"
    for status, token in (("sent", "a"), ("queued", "b"), ("cancelled", "c")):
        OutboxEmailFactory(studio=studio, project=site, status=status, idempotency_key=f"draft:{reference}:{token}")

    state = project_drafts(studio, site, [change])[reference]

    assert (state.state, state.email.idempotency_key) == ("sent", f"draft:{reference}:a")


def test_an_undone_draft_alone_counts_as_not_sent(studio, site, change):
    reference = f"deadline-notice:{change.pk}"
    OutboxEmailFactory(studio=studio, project=site, status="cancelled", idempotency_key=f"draft:{reference}:c")
    OutboxEmailFactory(studio=studio, project=site, status="failed", idempotency_key=f"draft:{reference}x:c")

    assert project_drafts(studio, site, [change])[reference].state == "unsent"


@pytest.mark.parametrize("moves", [1, 8])
def test_the_project_page_reads_the_drafts_states_in_the_same_queries_at_any_count(
    owner_client, site, moves, django_assert_num_queries
):
    for day in range(moves):
        deadline_change(project=site, new_date=date(2027, 1, 1) + timedelta(days=day), reason="Later.", by=None)
    Project.objects.filter(pk=site.pk).update(maintenance_offer_draft="Hi, care plan?")

    with django_assert_num_queries(17):
        response = owner_client.get(reverse("projects:detail", args=[site.pk]))

    assert response.content.decode().count('data-testid="client-draft"') == moves + 1


# --- call proposals ---------------------------------------------------------------------------------


def test_a_cleared_topic_falls_back_to_the_subject(owner_client, acme):
    message = MessageFactory(thread__client=acme, from_email="ann@acme.example", subject="AW: Opening hours")

    owner_client.post(reverse("calls:propose", args=[message.pk]), {"topic": "   "})

    email = OutboxEmail.objects.get()
    assert email.subject == "A short call about “Opening hours”?"
    assert "topic=Opening+hours" in PortalLink.objects.get().landing


# --- payments and the start of work -----------------------------------------------------------------


@pytest.fixture
def waiting(site) -> Project:
    Project.objects.filter(pk=site.pk).update(status=Status.AWAITING_DEPOSIT, deposit_percent=50)
    site.refresh_from_db()
    return site


def test_an_unsafe_next_falls_back_to_the_client_page(owner_client, acme, waiting):
    url = reverse("clients:payment_add", args=[acme.pk]) + "?next=https://evil.example/"
    data = {"amount": "10", "currency": "EUR", "paid_on": "2026-11-18", "method": "bank"}

    response = owner_client.post(url, data)

    assert response.url == reverse("clients:detail", args=[acme.pk])


def test_starting_on_a_reason_tells_the_client_nothing(waiting, owner):
    told = project_start_work(project=waiting, by=owner, now=timezone.now(), override_reason="Trusted client")

    waiting.refresh_from_db()
    assert (waiting.status, told) == (Status.IN_PROGRESS, None)
    assert not OutboxEmail.objects.exists()


def test_starting_without_the_deposit_or_a_reason_is_refused(waiting, owner):
    with pytest.raises(ProjectError):
        project_start_work(project=waiting, by=owner, now=timezone.now())
    assert not OutboxEmail.objects.exists()


def test_a_client_without_contacts_has_work_started_but_no_email(studio, owner):
    project = ProjectFactory(
        client=ClientFactory(studio=studio), status=Status.AWAITING_DEPOSIT, deposit_amount_minor=1
    )
    PaymentFactory(client=project.client, project=project, amount_minor=1, currency="EUR")

    assert project_start_work(project=project, by=owner, now=timezone.now()) is None
    project.refresh_from_db()
    assert project.status == Status.IN_PROGRESS


def test_the_work_started_email_waits_for_working_hours(waiting, owner):
    PaymentFactory(client=waiting.client, project=waiting, amount_minor=50_000, currency="EUR")
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=BERLIN)

    email = project_start_work(project=waiting, by=owner, now=saturday)

    assert email.send_after == datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


@pytest.mark.parametrize("setting", [False, True])
def test_only_the_studio_setting_lets_a_payment_start_work(studio, waiting, setting):
    Studio.objects.filter(pk=studio.pk).update(start_work_on_deposit=setting)
    from clients.services import payment_record

    payment_record(client=waiting.client, amount_minor=50_000, currency="EUR", paid_on=date(2026, 11, 18),
                   method="bank", project=waiting)  # fmt: skip

    waiting.refresh_from_db()
    assert (waiting.status == Status.IN_PROGRESS) is setting
    assert OutboxEmail.objects.filter(kind="work-started").exists() is setting


def test_a_payment_to_a_project_already_under_way_changes_nothing(studio, site):
    Studio.objects.filter(pk=studio.pk).update(start_work_on_deposit=True)
    from clients.services import payment_record

    payment_record(client=site.client, amount_minor=50_000, currency="EUR", paid_on=date(2026, 11, 18),
                   method="bank", project=site)  # fmt: skip

    assert not OutboxEmail.objects.exists()


def test_the_owner_turns_on_starting_work_on_the_deposit(owner_client, studio):
    page = owner_client.get(reverse("settings")).content.decode()
    assert 'name="start_work_on_deposit"' in page

    owner_client.post(reverse("settings"), settings_post(studio, start_work_on_deposit="on"))

    studio.refresh_from_db()
    assert studio.start_work_on_deposit


# --- "1 payment", not "1 payments" ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "Lifetime (1 payment)"),
        ("en", 2, "Lifetime (2 payments)"),
        ("ru", 1, "За всё время (1 платёж)"),
        ("ru", 3, "За всё время (3 платежа)"),
        ("ru", 5, "За всё время (5 платежей)"),
        ("ru", 21, "За всё время (21 платёж)"),
    ],
)
def test_the_client_page_counts_payments_in_proper_plurals(owner_client, acme, language, count, expected):
    for _n in range(count):
        PaymentFactory(client=acme, amount_minor=1_000, currency="EUR", paid_on=date(2026, 11, 1))

    html = owner_client.get(reverse("clients:detail", args=[acme.pk]), HTTP_ACCEPT_LANGUAGE=language)

    assert expected in html.content.decode()


def test_this_weeks_unsent_friday_update_links_to_its_page(owner_client, site):
    StatusUpdate.objects.create(project=site, week="2026-W47", summary="On track.")
    StatusUpdate.objects.create(project=site, week="2026-W46", summary="Old draft.")

    html = owner_client.get(reverse("projects:detail", args=[site.pk])).content.decode()

    assert html.count(f'href="{reverse("projects:update", args=[site.pk])}"') == 2  # the header button and this week
    assert "Finish the draft" in html


def test_a_start_that_fails_keeps_the_payment_and_the_project_waiting(studio, waiting, monkeypatch):
    from clients.models import Payment
    from clients.services import payment_record
    from projects import services

    def refused(**kwargs):
        raise ValueError("To: 'nobody' is not an email address.")

    monkeypatch.setattr(services, "work_started_notify", refused)
    Studio.objects.filter(pk=studio.pk).update(start_work_on_deposit=True)

    payment_record(client=waiting.client, amount_minor=50_000, currency="EUR", paid_on=date(2026, 11, 18),
                   method="bank", project=waiting)  # fmt: skip

    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_DEPOSIT
    assert waiting.active_from is None
    assert Payment.objects.filter(project=waiting).count() == 1


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        ("en", 1, "1 day after “Designs”"),
        ("en", 5, "5 days after “Designs”"),
        ("ru", 1, "через 1 день после «Designs»"),
        ("ru", 2, "через 2 дня после «Designs»"),
        ("ru", 5, "через 5 дней после «Designs»"),
    ],
)
def test_an_installment_after_a_milestone_counts_its_days_in_proper_plurals(
    owner_client, site, language, days, expected
):
    from projects.models import Installment, Milestone

    designs = Milestone.objects.create(project=site, title="Designs", due_on=date(2026, 12, 1))
    Installment.objects.create(project=site, amount_minor=10_000, after_milestone=designs, days_after_milestone=days)

    html = owner_client.get(reverse("projects:detail", args=[site.pk]), HTTP_ACCEPT_LANGUAGE=language)

    assert expected in html.content.decode()
