"""The portal's invoices: the client's own issued ones, their PDF, QR code, receipts and "Pay now"."""

from datetime import date
from unittest import mock

import pytest
import stripe
from django.test import Client as Browser
from django.urls import reverse

from billing import services, stripe_pay
from billing.models import BillingProfile
from billing.services import LineSpec
from projects.models import PortalActivity, Project
from tests.billing.stripe_helpers import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.factories import ClientFactory, ContactFactory, ProjectFactory
from tests.projects.test_portal_pages import log_into_portal

CREATE = "stripe.checkout.Session.create"


@pytest.fixture
def customer(studio):
    return ClientFactory(studio=studio, name="Bakery Blum")


@pytest.fixture
def project(customer):
    return ProjectFactory(
        client=customer, title="New bakery website", status=Project.Status.IN_PROGRESS, currency="EUR"
    )


@pytest.fixture
def visitor(customer, now):
    return log_into_portal(
        Browser(), ContactFactory(client=customer, name="Anna", email="anna@blum.example", is_primary=True)
    )


def issued(client, now, *, project=None, amount=120_000, currency="EUR", issue=True):
    invoice = services.invoice_create(
        client=client, kind="manual", lines=[LineSpec("Design work", 2, amount // 2, 0)], now=now, project=project,
        currency=currency,
    )  # fmt: skip
    return services.invoice_issue(invoice=invoice, now=now) if issue else invoice


@pytest.fixture
def invoice(customer, project, profile, now):
    return issued(customer, now, project=project)


def with_stripe(studio, now):
    stripe_pay.stripe_keys_update(
        studio=studio, publishable=PUBLISHABLE_KEY, secret=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, now=now
    )


def test_the_list_shows_issued_invoices_of_the_client_never_drafts(visitor, customer, project, invoice, studio, now):
    draft = issued(customer, now, project=project, issue=False)
    maintenance = issued(customer, now)  # no project: client-level
    hidden = issued(customer, now, project=ProjectFactory(client=customer, status=Project.Status.LEAD))
    neighbour = issued(ClientFactory(studio=studio), now)

    html = visitor.get(reverse("portal:invoices")).content.decode()

    assert invoice.number in html
    assert maintenance.number in html
    assert reverse("portal:invoice", kwargs={"pk": invoice.pk}) in html
    assert reverse("portal:invoice", kwargs={"pk": draft.pk}) not in html
    assert hidden.number not in html
    assert reverse("portal:invoice", kwargs={"pk": neighbour.pk}) not in html


def test_the_detail_shows_lines_totals_due_date_qr_and_transfer_details(visitor, invoice):
    response = visitor.get(reverse("portal:invoice", kwargs={"pk": invoice.pk}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Design work" in html
    assert "1,200.00" in html or "1 200,00" in html or "1.200,00" in html
    assert invoice.due_on.strftime("%Y") in html
    assert '<svg width="' in html
    assert 'data-testid="qr"' in html
    assert "DE89370400440532013000" in html
    assert 'data-testid="pay-now"' not in html  # no Stripe keys


def test_a_rouble_invoice_gets_a_gost_code_and_other_currencies_none(visitor, customer, studio, now):
    BillingProfile.objects.create(
        studio=studio, legal_name="ООО Ромашка", inn="7707083893", kpp="773601001", ru_bank_name="ПАО Сбербанк",
        ru_bic="044525225", ru_account="40702810938000000001", ru_corresp_account="30101810400000000225",
    )  # fmt: skip
    rub = issued(customer, now, currency="RUB")
    usd = issued(customer, now, currency="USD")

    rub_html = visitor.get(reverse("portal:invoice", kwargs={"pk": rub.pk})).content.decode()
    usd_html = visitor.get(reverse("portal:invoice", kwargs={"pk": usd.pk})).content.decode()

    assert 'data-testid="qr"' in rub_html
    assert "40702810938000000001" in rub_html
    assert 'data-testid="qr"' not in usd_html


def test_the_pdf_downloads_as_an_attachment(visitor, invoice):
    response = visitor.get(reverse("portal:invoice_pdf", kwargs={"pk": invoice.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("name", ["invoice", "invoice_pdf", "invoice_pay"])
def test_another_clients_or_studios_invoice_or_a_draft_is_a_404(
    visitor, customer, project, studio, other_studio, profile, now, name
):
    neighbour = issued(ClientFactory(studio=studio), now)
    stranger = issued(ClientFactory(studio=other_studio), now)
    draft = issued(customer, now, project=project, issue=False)
    with_stripe(studio, now)

    for other in (neighbour, stranger, draft):
        url = reverse(f"portal:{name}", kwargs={"pk": other.pk})
        with mock.patch(CREATE) as create:
            answer = visitor.post(url) if name == "invoice_pay" else visitor.get(url)
        assert answer.status_code == 404, (name, other)
        create.assert_not_called()


def test_strangers_go_to_the_expired_page(invoice):
    for name in ("invoices",):
        assert Browser().get(reverse(f"portal:{name}")).url == reverse("portal:expired")
    assert Browser().get(reverse("portal:invoice", kwargs={"pk": invoice.pk})).url == reverse("portal:expired")


def test_receipts_show_payments_with_dates(visitor, invoice, now):
    services.invoice_record_payment(
        invoice=invoice, amount_minor=20_000, paid_on=date(2026, 3, 9), method="bank", now=now
    )
    services.invoice_record_payment(
        invoice=invoice, amount_minor=100_000, paid_on=date(2026, 3, 10), method="bank", now=now
    )

    html = visitor.get(reverse("portal:invoice", kwargs={"pk": invoice.pk})).content.decode()

    assert 'data-testid="receipts"' in html
    assert "9 March 2026" in html
    assert "10 March 2026" in html
    assert 'data-testid="qr"' not in html  # nothing left to pay


def test_pay_now_opens_a_checkout_session_for_the_balance(visitor, invoice, studio, now):
    with_stripe(studio, now)
    html = visitor.get(reverse("portal:invoice", kwargs={"pk": invoice.pk})).content.decode()
    assert 'data-testid="pay-now"' in html

    with mock.patch(
        CREATE, return_value={"id": "cs_test_9", "url": "https://checkout.stripe.com/c/pay/cs_test_9"}
    ) as create:
        response = visitor.post(reverse("portal:invoice_pay", kwargs={"pk": invoice.pk}))

    assert response.status_code == 302
    assert response.url == "https://checkout.stripe.com/c/pay/cs_test_9"
    params = create.call_args.kwargs
    assert params["api_key"] == SECRET_KEY
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == 120_000
    assert params["line_items"][0]["price_data"]["currency"] == "eur"
    assert params["metadata"] == {"invoice_id": str(invoice.pk), "studio_id": str(studio.pk)}
    assert params["client_reference_id"] == str(invoice.pk)
    page = reverse("portal:invoice", kwargs={"pk": invoice.pk})
    assert params["success_url"].endswith(page + "?paid=1")
    assert params["cancel_url"].endswith(page)
    invoice.refresh_from_db()
    assert invoice.stripe_session_id == "cs_test_9"


def test_a_part_paid_invoice_is_charged_its_balance(visitor, invoice, studio, now):
    with_stripe(studio, now)
    services.invoice_record_payment(invoice=invoice, amount_minor=20_000, paid_on=now.date(), method="bank", now=now)

    with mock.patch(CREATE, return_value={"id": "cs_1", "url": "https://checkout.stripe.com/x"}) as create:
        visitor.post(reverse("portal:invoice_pay", kwargs={"pk": invoice.pk}))

    assert create.call_args.kwargs["line_items"][0]["price_data"]["unit_amount"] == 100_000


@pytest.mark.parametrize("state", ["paid", "cancelled"])
def test_paying_a_paid_or_cancelled_invoice_is_refused_and_the_freelancer_told(visitor, invoice, studio, now, state):
    with_stripe(studio, now)
    if state == "paid":
        services.invoice_record_payment(
            invoice=invoice, amount_minor=120_000, paid_on=now.date(), method="bank", now=now
        )  # fmt: skip
    else:
        services.invoice_cancel(invoice=invoice, now=now)

    with mock.patch(CREATE) as create:
        response = visitor.post(reverse("portal:invoice_pay", kwargs={"pk": invoice.pk}), follow=True)

    create.assert_not_called()
    html = response.content.decode()
    assert ("already paid" in html) if state == "paid" else ("cancelled" in html)
    activity = PortalActivity.objects.get(kind=PortalActivity.Kind.PAY_REFUSED)
    assert invoice.number in activity.summary
    assert activity.url == reverse("billing:detail", kwargs={"pk": invoice.pk})


def test_without_stripe_keys_pay_now_is_refused_politely(visitor, invoice):
    with mock.patch(CREATE) as create:
        response = visitor.post(reverse("portal:invoice_pay", kwargs={"pk": invoice.pk}), follow=True)

    create.assert_not_called()
    assert "bank transfer" in response.content.decode()


def test_a_stripe_error_is_told_in_words(visitor, invoice, studio, now):
    with_stripe(studio, now)

    with mock.patch(CREATE, side_effect=stripe.APIConnectionError("down")):
        response = visitor.post(reverse("portal:invoice_pay", kwargs={"pk": invoice.pk}), follow=True)

    assert "try again later" in response.content.decode()


def test_pay_takes_only_post(visitor, invoice):
    assert visitor.get(reverse("portal:invoice_pay", kwargs={"pk": invoice.pk})).status_code == 405


def test_the_payments_page_links_the_projects_invoices(visitor, project, invoice):
    html = visitor.get(reverse("portal:payments", kwargs={"pk": project.pk})).content.decode()

    assert reverse("portal:invoice", kwargs={"pk": invoice.pk}) in html
    assert reverse("portal:invoices") in html


def test_a_russian_client_reads_the_invoice_in_russian(visitor, customer, invoice):
    customer.language = "ru"
    customer.save()

    html = visitor.get(reverse("portal:invoice", kwargs={"pk": invoice.pk})).content.decode()

    assert f"Счёт {invoice.number}" in html
    assert "Осталось оплатить" in html


@pytest.mark.parametrize("size", [1, 8])
def test_invoice_pages_take_a_fixed_number_of_queries(
    visitor, customer, project, profile, invoice, now, django_assert_max_num_queries, size
):
    for _ in range(size):
        extra = issued(customer, now, project=project)
        services.invoice_record_payment(invoice=extra, amount_minor=1_000, paid_on=now.date(), method="bank", now=now)
    visitor.get(reverse("portal:invoices"))

    with django_assert_max_num_queries(3):
        visitor.get(reverse("portal:invoices"))
    with django_assert_max_num_queries(6):
        visitor.get(reverse("portal:invoice", kwargs={"pk": extra.pk}))
