"""Getting paid, end to end in a real browser: the client opens the proposal, ticks an add-on and accepts;
the deposit invoice is paid by card (a signed Stripe webhook built here, no network); the project
starts, and the portal and the freelancer's pages say the same."""

import time
from datetime import date
from pathlib import Path

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing import proposals, stripe_pay
from billing.models import BillingProfile, Invoice
from billing.proposals import ItemSpec
from clients.models import Payment
from projects.models import Project
from projects.portal_access import issue_link
from tests.billing.stripe_helpers import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, session_completed, sign
from tests.e2e.test_smoke import sign_in
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, ProjectFactory


class FakeCheckout:
    """Stands in for ``stripe.checkout.Session.create``: remembers the call, answers with a page of ours."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.calls: list[dict] = []

    def __call__(self, **params) -> dict:
        self.calls.append(params)
        return {"id": "cs_test_e2e", "url": self.url}


def test_proposal_accepted_deposit_paid_by_card_and_the_project_starts(
    page: Page, live_server, console_errors: list[str], screenshot_dir: Path, monkeypatch
) -> None:
    membership = MembershipFactory(user__email="mira@studio.example", studio__timezone="Europe/Berlin")
    studio = membership.studio
    studio.start_work_on_deposit = True
    studio.save(update_fields=["start_work_on_deposit"])
    BillingProfile.objects.create(
        studio=studio, legal_name="Northlight Studio GmbH", iban="DE89370400440532013000", bic="COBADEFFXXX"
    )
    now = timezone.now()
    stripe_pay.stripe_keys_update(
        studio=studio, publishable=PUBLISHABLE_KEY, secret=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, now=now
    )
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    ann = ContactFactory(client=bakery, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    project = ProjectFactory(
        client=bakery, title="Bakery website", status="quoted", quote_high_minor=300_000, currency="EUR"
    )
    proposal = proposals.proposal_create(project=project, now=now)
    proposals.proposal_update(
        proposal=proposal, title="Bakery website", intro="Five pages and an online menu.",
        valid_until=date(2999, 1, 1), deposit_percent=50, markup_percent=0,
        agreement_text="{client} pays {studio} {total}, of which {deposit} before work starts.",
        items=[
            ItemSpec(title="Design and build", quantity=1, unit_price_minor=300_000, kind="package"),
            ItemSpec(title="Online ordering", quantity=1, unit_price_minor=80_000, optional=True, selected=False),
        ],
    )  # fmt: skip
    proposals.proposal_send(proposal=proposal, now=now)
    _link, token = issue_link(ann, landing=reverse("portal:proposal", kwargs={"pk": proposal.pk}))

    # The client, on a phone, from the link in the proposal email.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("portal:enter", kwargs={"token": token}))
    page.get_by_role("button", name="Open my projects").click()
    total = page.get_by_test_id("total")
    expect(total).to_have_text("€3,000.00")
    page.get_by_label("Online ordering").check()
    expect(total).to_have_text("€3,800.00")
    page.get_by_label("Your full name").fill("Ann Baker")
    page.get_by_label("I agree").check()
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("proposal-accepted")).to_be_visible()

    deposit = Invoice.objects.get(proposal=proposal, kind=Invoice.Kind.DEPOSIT)
    assert (deposit.status, deposit.total_minor) == (Invoice.Status.ISSUED, 190_000)
    invoice_page = reverse("portal:invoice", kwargs={"pk": deposit.pk})
    checkout = FakeCheckout(live_server.url + invoice_page + "?paid=1")
    monkeypatch.setattr("stripe.checkout.Session.create", checkout)

    page.get_by_test_id("portal-tabs").get_by_role("link", name="Invoices", exact=True).click()
    page.get_by_role("link", name=f"Invoice {deposit.number}").click()
    expect(page.get_by_test_id("qr")).to_be_visible()
    page.get_by_test_id("pay-now").click()
    page.wait_for_url(f"**{invoice_page}?paid=1")
    [params] = checkout.calls
    assert params["metadata"]["invoice_id"] == str(deposit.pk)

    # Stripe tells Rapport the session is paid.
    payload = session_completed(deposit, event_id="evt_e2e", created=int(time.time()))
    delivered = Client().post(
        reverse("stripe_webhook", kwargs={"key": studio.slug}), data=payload, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, timestamp=int(time.time())),
    )  # fmt: skip
    assert delivered.status_code == 200
    deposit.refresh_from_db()
    assert deposit.status == Invoice.Status.PAID
    assert Payment.objects.get(client=bakery).amount_minor == 190_000
    assert Project.objects.get(pk=project.pk).status == Project.Status.IN_PROGRESS

    page.reload()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Paid")
    page.get_by_test_id("portal-tabs").get_by_role("link", name="Projects").click()
    expect(page.get_by_text("In progress").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "getting-paid-portal.png"), full_page=True)

    # The freelancer sees the same facts.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "mira@studio.example")
    expect(page.get_by_test_id("client-activity")).to_contain_text("accepted a proposal")
    page.goto(live_server.url + reverse("billing:detail", kwargs={"pk": deposit.pk}))
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Paid")
    page.goto(live_server.url + reverse("projects:detail", kwargs={"pk": project.pk}))
    expect(page.get_by_text("In progress").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "getting-paid-project.png"), full_page=True)
    assert console_errors == [], "console errors (CSP violations included):\n" + "\n".join(console_errors)
