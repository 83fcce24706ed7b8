"""The demo studio's money: a valid IBAN, a paid, an open and an overdue invoice, once however often it runs."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse
from stdnum import iban

from billing.models import BillingProfile, Invoice
from desk.demo import DEMO_EMAIL, DEMO_STUDIO_SLUG
from desk.digest import overdue_invoice_rows
from kernel.models import Studio, User

THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def demo(db, settings) -> Studio:
    settings.DEBUG = True
    with time_machine.travel(THURSDAY_NOON, tick=False):
        call_command("seed_demo")
        call_command("seed_demo")
    return Studio.objects.get(slug=DEMO_STUDIO_SLUG)


def test_the_demo_has_billing_details_and_three_invoices_paid_open_and_overdue(demo):
    profile = BillingProfile.objects.get(studio=demo)
    assert iban.is_valid(profile.iban)
    invoices = Invoice.objects.filter(studio=demo)
    assert sorted(invoices.values_list("status", flat=True)) == ["issued", "issued", "paid"]
    today = THURSDAY_NOON.date()
    assert overdue_invoice_rows(demo, today=today).count() == 1
    assert not Invoice.objects.filter(studio=demo, project__status="awaiting_deposit").exists()


def test_the_money_pages_are_filled(demo):
    browser = Browser()
    browser.force_login(User.objects.get(email=DEMO_EMAIL))
    with time_machine.travel(THURSDAY_NOON, tick=False):
        assert browser.get(reverse("billing:index")).content.decode().count("/billing/") > 3
        assert 'data-testid="money-row"' in browser.get(reverse("money_report")).content.decode()
        assert "Overdue invoices" in browser.get(reverse("today")).content.decode()
