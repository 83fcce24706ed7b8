from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from projects.models import Installment, MaintenancePlan, Project
from projects.services import ProjectError, agreement_accept, installment_add
from tests.factories import ClientFactory, MilestoneFactory, ProjectFactory

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def site(studio) -> Project:
    return ProjectFactory(
        client=ClientFactory(studio=studio),
        price_minor=400_000,
        deposit_percent=50,
        start_on=date(2026, 11, 1),
        deadline_on=date(2026, 12, 18),
    )


def test_accepting_the_agreement_keeps_who_when_and_from_where(site):
    agreement_accept(project=site, name=" Olga Baker ", email="olga@acme.example", ip="203.0.113.9", now=NOW)

    site.refresh_from_db()
    assert (site.agreement_accepted_name, site.agreement_accepted_email) == ("Olga Baker", "olga@acme.example")
    assert (site.agreement_accepted_at, site.agreement_accepted_ip) == (NOW, "203.0.113.9")


def test_a_second_acceptance_never_overwrites_the_first(site):
    agreement_accept(project=site, name="Olga", email="olga@acme.example", ip=None, now=NOW)

    with pytest.raises(ProjectError, match="already accepted by Olga on Friday 20 November 2026"):
        agreement_accept(project=site, name="Mallory", email="m@evil.example", ip=None, now=NOW)
    site.refresh_from_db()
    assert site.agreement_accepted_name == "Olga"


def test_accepting_needs_a_name(site):
    with pytest.raises(ProjectError, match="Type your name"):
        agreement_accept(project=site, name="  ", email="olga@acme.example", ip=None, now=NOW)


def test_installments_follow_a_date_or_a_milestone_and_never_exceed_the_price(site):
    launch = MilestoneFactory(project=site, title="Launch", order=1)
    installment_add(project=site, amount_minor=100_000, due_on=date(2026, 12, 1))
    installment_add(project=site, amount_minor=100_000, after_milestone=launch, days_after_milestone=7)

    with pytest.raises(ProjectError, match="at most €0.00 is left"):
        installment_add(project=site, amount_minor=1, due_on=date(2026, 12, 20))
    assert Installment.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount_minor": 0, "due_on": date(2026, 12, 1)}, "above zero"),
        ({"amount_minor": 100}, "either a due date or the milestone"),
    ],
)
def test_bad_installments_are_refused(site, kwargs, message):
    with pytest.raises(ProjectError, match=message):
        installment_add(project=site, **kwargs)


def test_an_installment_cannot_follow_another_projects_milestone(site, studio):
    foreign = MilestoneFactory(project=ProjectFactory(client=site.client))
    with pytest.raises(ProjectError, match="another project"):
        installment_add(project=site, amount_minor=100, after_milestone=foreign)


def test_installments_are_scheduled_from_the_project_page(owner_client: Browser, site):
    response = owner_client.post(
        reverse("projects:installment_add", args=[site.pk]),
        {"amount": "2500", "due_on": "2026-12-01", "days_after_milestone": "0"},
        follow=True,
    )
    assert "at most €2,000.00 is left" in response.content.decode()
    owner_client.post(
        reverse("projects:installment_add", args=[site.pk]),
        {"amount": "1500", "due_on": "2026-12-01", "days_after_milestone": "0"},
    )
    assert Installment.objects.get().amount_minor == 150_000


def test_a_maintenance_plan_is_recorded_for_the_projects_client(owner_client: Browser, site):
    refused = owner_client.post(
        reverse("projects:maintenance_add", args=[site.pk]),
        {
            "monthly_price": "120",
            "currency": "EUR",
            "included": "Updates",
            "start_on": "2027-01-01",
            "end_on": "2026-12-01",
        },
    )
    assert "ends before it starts" in refused.content.decode()

    owner_client.post(
        reverse("projects:maintenance_add", args=[site.pk]),
        {"monthly_price": "120", "currency": "eur", "included": "Updates, backups", "start_on": "2027-01-01"},
    )
    plan = MaintenancePlan.objects.get()
    assert (plan.client, plan.monthly_price_minor, plan.currency) == (site.client, 12_000, "EUR")
    assert "€120.00" in owner_client.get(reverse("projects:detail", args=[site.pk])).content.decode()


@pytest.mark.parametrize("name", ["projects:installment_add", "projects:maintenance_add"])
def test_another_studio_gets_404_on_money_urls(charlie_client: Browser, site, name):
    assert charlie_client.post(reverse(name, args=[site.pk]), {"amount": "1", "monthly_price": "1"}).status_code == 404
