from datetime import date

import pytest
from django.urls import reverse

from billing import services
from billing.models import BillingProfile, Invoice
from billing.services import LineSpec
from clients.models import Payment
from projects.models import ChangeRequest, Installment
from tests.factories import ClientFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(studio):
    return ClientFactory(studio=studio, name="Acme Ltd")


def make_invoice(client, now, *, issue=True, lines=None):
    invoice = services.invoice_create(
        client=client, kind="manual", now=now,
        lines=lines or [LineSpec("Design <b>work</b>", 2, 50_000, 1_900)],
    )  # fmt: skip
    return services.invoice_issue(invoice=invoice, now=now) if issue else invoice


def formset_data(*lines, **fields):
    data = {"lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", **fields}  # fmt: skip
    for index, (description, quantity, price, tax) in enumerate(lines):
        data |= {f"lines-{index}-description": description, f"lines-{index}-quantity": quantity,
                 f"lines-{index}-unit_price": price, f"lines-{index}-tax_rate": tax}  # fmt: skip
    return data


def test_the_nav_links_to_invoices(owner_client):
    page = owner_client.get(reverse("today"))
    assert reverse("billing:index") in page.content.decode()


def test_list_filters_and_counts_queries_constantly(owner_client, acme, now, django_assert_max_num_queries):
    issued = make_invoice(acme, now)
    draft = make_invoice(acme, now, issue=False)
    for _ in range(5):
        make_invoice(ClientFactory(studio=acme.studio), now)
    with django_assert_max_num_queries(8):
        page = owner_client.get(reverse("billing:index"))
    html = page.content.decode()
    assert issued.number in html
    assert "Design &lt;b&gt;" not in html  # lines are not on the list
    with django_assert_max_num_queries(8):
        drafts = owner_client.get(reverse("billing:index"), {"status": "draft"}).content.decode()
    assert reverse("billing:detail", args=[draft.pk]) in drafts
    assert issued.number not in drafts
    assert "2026-0001" not in owner_client.get(reverse("billing:index"), {"overdue": "1"}).content.decode()


def test_overdue_filter(owner_client, acme, now):
    invoice = make_invoice(acme, now)
    Invoice.objects.filter(pk=invoice.pk).update(due_on=date(2026, 3, 1))
    html = owner_client.get(reverse("billing:index"), {"overdue": "1"}).content.decode()
    assert invoice.number in html
    assert "Overdue" in html


def test_detail_escapes_and_counts_queries(owner_client, acme, now, django_assert_max_num_queries):
    invoice = make_invoice(acme, now)
    services.invoice_record_payment(invoice=invoice, amount_minor=100, paid_on=now.date(), method="bank", now=now)
    with django_assert_max_num_queries(10):
        page = owner_client.get(reverse("billing:detail", args=[invoice.pk]))
    html = page.content.decode()
    assert "Design &lt;b&gt;work&lt;/b&gt;" in html
    assert "Record a payment" in html
    assert "19 %" in html


def test_another_studios_invoice_is_404(charlie_client, acme, now):
    invoice = make_invoice(acme, now)
    for name in ("detail", "edit"):
        assert charlie_client.get(reverse(f"billing:{name}", args=[invoice.pk])).status_code == 404
    for name in ("issue", "cancel", "pay", "delete"):
        assert charlie_client.post(reverse(f"billing:{name}", args=[invoice.pk])).status_code == 404
    assert invoice.number not in charlie_client.get(reverse("billing:index")).content.decode()


def test_new_draft_edit_issue_pay(owner_client, acme, now):
    project = ProjectFactory(client=acme)
    data = formset_data(("Design", "2", "500.00", "19"), ("", "", "", ""), client=acme.pk, project=project.pk,
                        currency="eur", buyer_address="1 Road", buyer_inn="")  # fmt: skip
    response = owner_client.post(reverse("billing:new"), data)
    invoice = Invoice.objects.get()
    assert response.url == reverse("billing:detail", args=[invoice.pk])
    assert (invoice.status, invoice.total_minor, invoice.currency) == ("draft", 119_000, "EUR")
    assert invoice.buyer["address"] == "1 Road"
    edit = owner_client.get(reverse("billing:edit", args=[invoice.pk])).content.decode()
    assert 'value="Design"' in edit
    data = formset_data(("Design", "1", "500.00", "0"), client=acme.pk, currency="EUR")
    owner_client.post(reverse("billing:edit", args=[invoice.pk]), data)
    invoice.refresh_from_db()
    assert invoice.total_minor == 50_000
    assert invoice.project is None
    # Lines shown on the edit page and posted back unchanged stay; a ticked one goes.
    data = formset_data(("Design", "1", "500.00", "0"), ("Extra", "1", "10.00", "0"), client=acme.pk, currency="EUR")
    owner_client.post(reverse("billing:edit", args=[invoice.pk]), data)
    data = formset_data(("Design", "1", "500.00", "0"), ("Extra", "1", "10.00", "0"), client=acme.pk, currency="EUR")
    data |= {"lines-INITIAL_FORMS": "2", "lines-1-DELETE": "on"}
    owner_client.post(reverse("billing:edit", args=[invoice.pk]), data)
    assert list(invoice.lines.values_list("description", flat=True)) == ["Design"]
    owner_client.post(reverse("billing:issue", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.number == "2026-0001"
    # An issued invoice's edit page sends back to it.
    assert owner_client.get(reverse("billing:edit", args=[invoice.pk])).url == reverse(
        "billing:detail", args=[invoice.pk]
    )
    owner_client.post(
        reverse("billing:pay", args=[invoice.pk]), {"amount": "500.00", "paid_on": "2026-03-10", "method": "bank"}
    )
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.get().amount_minor == 50_000
    page = owner_client.post(reverse("billing:cancel", args=[invoice.pk]), follow=True).content.decode()
    assert "A paid invoice cannot be cancelled" in page


def test_a_draft_needs_a_line_and_a_project_of_its_client(owner_client, acme, studio):
    other_project = ProjectFactory(client=ClientFactory(studio=studio))
    page = owner_client.post(reverse("billing:new"), formset_data(client=acme.pk, currency="EUR"))
    assert "Add at least one line." in page.content.decode()
    data = formset_data(("Design", "1", "1", "0"), client=acme.pk, currency="EUR", project=other_project.pk)
    page = owner_client.post(reverse("billing:new"), data)
    assert "This project belongs to another client." in page.content.decode()
    assert not Invoice.objects.exists()


def test_another_studios_client_cannot_be_billed(owner_client, other_studio):
    stranger = ClientFactory(studio=other_studio)
    page = owner_client.post(
        reverse("billing:new"), formset_data(("x", "1", "1", "0"), client=stranger.pk, currency="EUR")
    )
    assert page.status_code == 200
    assert not Invoice.objects.exists()


def test_cancel_makes_a_credit_note_and_delete_removes_a_draft(owner_client, acme, now):
    invoice = make_invoice(acme, now)
    response = owner_client.post(reverse("billing:cancel", args=[invoice.pk]))
    credit = Invoice.objects.get(kind="credit")
    assert response.url == reverse("billing:detail", args=[credit.pk])
    assert invoice.number in owner_client.get(response.url).content.decode()
    draft = make_invoice(acme, now, issue=False)
    owner_client.post(reverse("billing:delete", args=[draft.pk]))
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_a_cancelled_invoice_is_otmenen_in_russian(owner_client, acme, now):
    # The shared "cancelled" is the neuter "отменено" (an email, a call): an invoice, счёт, is "отменён".
    invoice = make_invoice(acme, now)
    owner_client.post(reverse("billing:cancel", args=[invoice.pk]))
    page = owner_client.get(reverse("billing:index"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Отменён</span>" in page
    assert ">отменён</option>" in page
    assert "тменено" not in page


def test_payment_refused_with_its_reason(owner_client, acme, now):
    draft = make_invoice(acme, now, issue=False)
    page = owner_client.post(
        reverse("billing:pay", args=[draft.pk]), {"amount": "1", "paid_on": "2026-03-10", "method": "bank"}, follow=True
    )
    assert "issue it before recording a payment" in page.content.decode()
    assert not Payment.objects.exists()


def test_new_invoice_from_installments_and_changes(
    owner_client, charlie_client, acme, now, django_assert_max_num_queries
):
    project = ProjectFactory(client=acme, title="Shop")
    installment = Installment.objects.create(project=project, amount_minor=40_000, due_on=date(2026, 4, 1))
    change = ChangeRequest.objects.create(project=project, title="Dark mode", price_minor=15_000, status="approved")
    with django_assert_max_num_queries(8):
        page = owner_client.get(reverse("billing:sources")).content.decode()
    assert "Dark mode" in page
    assert reverse("billing:from_source", args=["installment", installment.pk]) in page
    assert "Dark mode" not in charlie_client.get(reverse("billing:sources")).content.decode()
    assert charlie_client.post(reverse("billing:from_source", args=["installment", installment.pk])).status_code == 404
    assert charlie_client.post(reverse("billing:from_source", args=["change", change.pk])).status_code == 404
    owner_client.post(reverse("billing:from_source", args=["installment", installment.pk]))
    owner_client.post(reverse("billing:from_source", args=["change", change.pk]))
    assert set(Invoice.objects.values_list("kind", "status")) == {("installment", "draft"), ("change", "draft")}
    assert owner_client.post(reverse("billing:from_source", args=["other", 1])).status_code == 404


def test_billing_settings_save_and_check_the_fields(owner_client, studio):
    url = reverse("billing:settings")
    assert owner_client.get(url).status_code == 200
    valid = {
        "legal_name": "Northlight GmbH", "address": "Berlin", "vat_id": "", "inn": "7707083893", "kpp": "773601001",
        "iban": "de89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "ru_bank_name": "Sberbank",
        "ru_bic": "044525225", "ru_account": "40702810938000000001", "ru_corresp_account": "30101810400000000225",
        "number_pattern": "INV-{year}-{seq:03d}", "tax_rate": "19", "tax_exemption_text": "",
        "payment_terms_days": "30",
    }  # fmt: skip
    response = owner_client.post(url, valid)
    assert response.status_code == 302
    profile = BillingProfile.objects.get(studio=studio)
    assert (profile.iban, profile.tax_rate_bp, profile.number_pattern) == (
        "DE89370400440532013000", 1_900, "INV-{year}-{seq:03d}",
    )  # fmt: skip
    invalid = valid | {"iban": "DE00370400440532013000", "inn": "7707083890", "ru_account": "40702810038000000001",
                       "number_pattern": "{year}", "bic": "XX"}  # fmt: skip
    html = owner_client.post(url, invalid).content.decode()
    assert "IBAN: not a valid IBAN" in html
    assert "INN: 10 or 12 digits" in html
    assert "BIC: 8 or 11 characters" in html
    assert "control digit does not match the BIK" in html
    assert "The number pattern must contain {seq}." in html
    profile.refresh_from_db()
    assert profile.iban == "DE89370400440532013000"


def test_billing_settings_are_for_owners(studio, client):
    member = MembershipFactory(studio=studio, role="member").user
    client.force_login(member)
    assert client.get(reverse("billing:settings")).status_code == 404
    assert client.get(reverse("billing:index")).status_code == 200


def test_detail_keeps_the_amount_in_view_on_a_phone(owner_client, acme, now):
    # At 390 px the five columns pushed "Amount" out of the card; unit price and tax fold under the quantity.
    invoice = make_invoice(acme, now)
    html = owner_client.get(reverse("billing:detail", args=[invoice.pk])).content.decode()
    assert html.count('class="text-end d-none d-sm-table-cell"') == 2  # unit price and tax headers
    assert 'data-testid="line-price-narrow"' in html
    assert '<th colspan="4"' not in html  # totals line up with three columns too


def test_new_invoice_in_a_studio_without_clients_says_to_add_one_first(owner_client):
    html = owner_client.get(reverse("billing:new")).content.decode()
    assert 'data-testid="no-clients"' in html
    assert reverse("clients:create") in html


def test_new_invoice_with_clients_has_no_such_notice(owner_client, acme):
    assert 'data-testid="no-clients"' not in owner_client.get(reverse("billing:new")).content.decode()


def test_a_draft_warns_while_the_billing_details_are_empty(owner_client, acme, now):
    draft = make_invoice(acme, now, issue=False)
    html = owner_client.get(reverse("billing:detail", args=[draft.pk])).content.decode()
    assert 'data-testid="seller-missing"' in html
    assert reverse("billing:settings") in html


def test_no_such_warning_once_the_details_are_filled_or_the_invoice_is_issued(owner_client, acme, now, profile):
    draft = make_invoice(acme, now, issue=False)
    assert (
        'data-testid="seller-missing"'
        not in owner_client.get(reverse("billing:detail", args=[draft.pk])).content.decode()
    )
    profile.delete()
    issued = make_invoice(acme, now)
    assert (
        'data-testid="seller-missing"'
        not in owner_client.get(reverse("billing:detail", args=[issued.pk])).content.decode()
    )


def test_an_issued_euro_invoice_shows_its_bank_qr_code_to_the_studio_too(owner_client, acme, now, profile):
    invoice = make_invoice(acme, now)
    html = owner_client.get(reverse("billing:detail", args=[invoice.pk])).content.decode()
    assert 'data-testid="qr"' in html
    assert "<svg" in html
    draft = make_invoice(acme, now, issue=False)
    assert 'data-testid="qr"' not in owner_client.get(reverse("billing:detail", args=[draft.pk])).content.decode()
