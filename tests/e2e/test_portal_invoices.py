"""A client reads an invoice on a phone: the list, the QR code, the transfer details and "Pay now" fit 390 px."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing import services, stripe_pay
from billing.models import BillingProfile
from billing.services import LineSpec
from desk.demo import demo_seed
from projects.models import Project
from tests.billing.stripe_helpers import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.e2e.test_phone import PHONE, assert_fits, assert_on_screen


def test_an_invoice_with_its_qr_code_and_pay_now_fits_a_phone(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path
):
    studio = demo_seed()
    now = timezone.now()
    BillingProfile.objects.filter(studio=studio).delete()
    BillingProfile.objects.create(
        studio=studio, legal_name="Northlight Studio GmbH", iban="DE89370400440532013000", bic="COBADEFFXXX"
    )
    stripe_pay.stripe_keys_update(
        studio=studio, publishable=PUBLISHABLE_KEY, secret=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, now=now
    )
    project = Project.objects.get(studio=studio, title="Portfolio relaunch")
    draft = services.invoice_create(
        client=project.client, kind="manual", project=project, currency="EUR", now=now,
        lines=[LineSpec("Design of the new portfolio pages, with a rather long description to wrap", 3, 45_000, 1_900)],
    )  # fmt: skip
    invoice = services.invoice_issue(invoice=draft, now=now)

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + studio.demo_portal_url.removeprefix(settings.SITE_URL))
    page.get_by_role("button", name="Open my projects").click()
    page.get_by_test_id("portal-tabs").get_by_role("link", name="Invoices", exact=True).click()
    assert_fits(page)
    page.get_by_role("link", name=f"Invoice {invoice.number}").click()
    expect(page.get_by_test_id("qr")).to_be_visible()
    assert_fits(page)
    assert_on_screen(page.get_by_test_id("pay-now"))
    assert_on_screen(page.get_by_test_id("qr"))
    page.screenshot(path=screenshot_dir / "phone-portal-invoice.png", full_page=True)
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
