from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from billing import services
from billing.models import Invoice, InvoicePayment, Proposal, ProposalItem
from billing.services import InvoiceError, InvoiceNotEditable, InvoiceNotPayable, LineSpec
from clients.models import Payment
from projects.models import ChangeRequest, Installment, Project
from tests.factories import ClientFactory, ProjectFactory

LINES = [
    LineSpec(description="Design", quantity=2, unit_price_minor=50_000, tax_rate_bp=1_900),
    LineSpec(description="Hosting (exempt)", quantity=1, unit_price_minor=1_000, tax_rate_bp=0),
]


@pytest.fixture
def client_(studio):
    return ClientFactory(studio=studio, name="Acme Ltd")


@pytest.fixture
def project(client_):
    return ProjectFactory(client=client_, title="Website", currency="EUR")


def draft(client_, now, **options):
    return services.invoice_create(client=client_, kind=Invoice.Kind.MANUAL, lines=LINES, now=now, **options)


def test_a_draft_has_its_lines_and_totals(client_, project, now):
    invoice = draft(client_, now, project=project, buyer={"address": "1 Road", "vat_id": "GB1", "junk": "x"})
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number == ""
    assert [line.description for line in invoice.lines.all()] == ["Design", "Hosting (exempt)"]
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (101_000, 19_000, 120_000)
    assert invoice.buyer == {"address": "1 Road", "vat_id": "GB1", "inn": "", "kpp": ""}
    assert invoice.studio_id == client_.studio_id


def test_a_project_of_another_client_is_refused(client_, studio, now):
    other = ProjectFactory(client=ClientFactory(studio=studio))
    with pytest.raises(InvoiceError):
        draft(client_, now, project=other)


def test_lines_are_checked(client_, now):
    with pytest.raises(InvoiceError):
        services.invoice_create(
            client=client_, kind="manual", lines=[LineSpec("  ", 1, 100)], now=now
        )  # fmt: skip
    with pytest.raises(InvoiceError):
        services.invoice_create(client=client_, kind="manual", lines=[LineSpec("x", 0, 100)], now=now)


def test_issue_numbers_and_freezes(client_, project, profile, now):
    invoice = services.invoice_issue(invoice=draft(client_, now, project=project), now=now)
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.number == "2026-0001"
    assert invoice.issue_date == date(2026, 3, 10)
    assert invoice.due_on == date(2026, 3, 24)
    assert invoice.issued_at == now
    assert invoice.seller["name"] == "Northlight GmbH"
    assert invoice.seller["studio_name"] == "Northlight"
    assert invoice.seller["iban"] == "DE89370400440532013000"
    assert invoice.buyer["name"] == "Acme Ltd"
    assert invoice.total_minor == 120_000
    assert invoice.tax_exemption_text == profile.tax_exemption_text
    assert "DE89370400440532013000" in invoice.payment_instructions
    assert "2026-0001" in invoice.payment_instructions
    second = services.invoice_issue(invoice=draft(client_, now), now=now)
    assert second.number == "2026-0002"
    # Frozen: later changes to the profile and the client don't touch it.
    profile.legal_name = "Renamed"
    profile.save()
    client_.name = "Acme Renamed"
    client_.save()
    invoice.refresh_from_db()
    assert invoice.seller["name"] == "Northlight GmbH"
    assert invoice.buyer["name"] == "Acme Ltd"


def test_issue_date_is_the_studios_local_date(client_, profile):
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Berlin
    invoice = services.invoice_issue(invoice=draft(client_, late), now=late)
    assert invoice.issue_date == date(2027, 1, 1)
    assert invoice.number == "2027-0001"


def test_no_exemption_text_when_every_line_is_taxed(client_, profile, now):
    invoice = services.invoice_create(client=client_, kind="manual", lines=LINES[:1], now=now)
    assert services.invoice_issue(invoice=invoice, now=now).tax_exemption_text == ""


def test_without_a_profile_the_studio_name_is_the_seller(client_, now):
    invoice = services.invoice_issue(invoice=draft(client_, now), now=now)
    assert invoice.seller["name"] == "Northlight"
    assert invoice.payment_instructions == ""
    assert invoice.due_on == date(2026, 3, 24)  # default terms: 14 days


def test_rub_invoice_gets_russian_bank_instructions(client_, profile, now):
    profile.ru_bank_name, profile.ru_bic, profile.ru_account = "Bank", "044525225", "40702810938000000001"
    profile.inn = "7707083893"
    profile.save()
    invoice = services.invoice_issue(invoice=draft(client_, now, currency="rub"), now=now)
    assert invoice.currency == "RUB"
    assert "40702810938000000001" in invoice.payment_instructions
    assert "7707083893" in invoice.payment_instructions
    assert "IBAN" not in invoice.payment_instructions


def test_an_issued_invoice_is_never_edited(client_, now):
    invoice = services.invoice_issue(invoice=draft(client_, now), now=now)
    with pytest.raises(InvoiceNotEditable):
        services.invoice_update_draft(invoice=invoice, lines=LINES, now=now)
    with pytest.raises(InvoiceNotEditable):
        services.invoice_issue(invoice=invoice, now=now)
    with pytest.raises(InvoiceNotEditable):
        services.invoice_delete_draft(invoice=invoice)


def test_a_draft_is_edited_and_an_empty_one_not_issued(client_, now):
    invoice = draft(client_, now)
    updated = services.invoice_update_draft(
        invoice=invoice, lines=[LineSpec("Only", 3, 1_000, 0)], now=now, notes="Thanks", due_on=date(2026, 4, 30)
    )
    assert [(line.description, line.quantity) for line in updated.lines.all()] == [("Only", 3)]
    assert (updated.total_minor, updated.notes) == (3_000, "Thanks")
    assert services.invoice_issue(invoice=updated, now=now).due_on == date(2026, 4, 30)
    empty = draft(client_, now)
    empty.lines.all().delete()
    with pytest.raises(InvoiceError):
        services.invoice_issue(invoice=empty, now=now)


def test_cancel_issues_a_credit_note(client_, project, profile, now):
    invoice = services.invoice_issue(invoice=draft(client_, now, project=project), now=now)
    credit = services.invoice_cancel(invoice=invoice, now=now)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert credit.kind == Invoice.Kind.CREDIT_NOTE
    assert credit.status == Invoice.Status.ISSUED
    assert credit.credit_for == invoice
    assert credit.number == "2026-0002"
    assert (credit.subtotal_minor, credit.tax_minor, credit.total_minor) == (-101_000, -19_000, -120_000)
    assert [line.unit_price_minor for line in credit.lines.all()] == [-50_000, -1_000]
    assert credit.payment_instructions == ""
    with pytest.raises(InvoiceError):
        services.invoice_cancel(invoice=invoice, now=now)
    with pytest.raises(InvoiceError):
        services.invoice_cancel(invoice=credit, now=now)
    with pytest.raises(InvoiceNotPayable):
        services.invoice_record_payment(
            invoice=credit, amount_minor=1, paid_on=date(2026, 3, 10), method="bank", now=now
        )


def test_cancelling_a_draft_makes_no_credit_note(client_, now):
    cancelled = services.invoice_cancel(invoice=draft(client_, now), now=now)
    assert cancelled.status == Invoice.Status.CANCELLED
    assert cancelled.number == ""
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()


def test_a_paid_or_part_paid_invoice_is_not_cancelled(client_, now):
    invoice = services.invoice_issue(invoice=draft(client_, now), now=now)
    services.invoice_record_payment(invoice=invoice, amount_minor=100, paid_on=now.date(), method="bank", now=now)
    with pytest.raises(InvoiceError, match="paid"):
        services.invoice_cancel(invoice=invoice, now=now)


def test_payments_are_recorded_until_paid(client_, project, now):
    invoice = services.invoice_issue(invoice=draft(client_, now, project=project), now=now)
    first = services.invoice_record_payment(
        invoice=invoice, amount_minor=20_000, paid_on=date(2026, 3, 11), method="bank", now=now
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.paid_at) == (Invoice.Status.ISSUED, 20_000, None)
    assert first.payment.project == project
    assert first.payment.client == client_
    assert first.payment.currency == "EUR"
    assert first.payment.amount_minor == 20_000
    assert first.source == InvoicePayment.Source.MANUAL
    with pytest.raises(InvoiceNotPayable, match="balance"):
        services.invoice_record_payment(
            invoice=invoice, amount_minor=100_001, paid_on=now.date(), method="bank", now=now
        )
    later = now + timedelta(days=2)
    services.invoice_record_payment(
        invoice=invoice, amount_minor=100_000, paid_on=later.date(), method="card", now=later
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.paid_at) == (Invoice.Status.PAID, 120_000, later)
    assert Payment.objects.filter(client=client_).count() == 2
    with pytest.raises(InvoiceNotPayable, match="already paid"):
        services.invoice_record_payment(invoice=invoice, amount_minor=1, paid_on=now.date(), method="bank", now=now)


def test_drafts_and_cancelled_invoices_are_not_payable(client_, now):
    invoice = draft(client_, now)
    with pytest.raises(InvoiceNotPayable, match="draft") as refused:
        services.invoice_record_payment(invoice=invoice, amount_minor=1, paid_on=now.date(), method="bank", now=now)
    assert isinstance(refused.value, ValueError)
    issued = services.invoice_issue(invoice=invoice, now=now)
    services.invoice_cancel(invoice=issued, now=now)
    with pytest.raises(InvoiceNotPayable, match="cancelled"):
        services.invoice_record_payment(invoice=issued, amount_minor=1, paid_on=now.date(), method="bank", now=now)
    assert not Payment.objects.exists()


def test_the_same_stripe_event_records_once(client_, now):
    invoice = services.invoice_issue(invoice=draft(client_, now), now=now)
    options = {"amount_minor": 120_000, "paid_on": now.date(), "method": "card", "now": now, "source": "stripe"}
    first = services.invoice_record_payment(invoice=invoice, stripe_event_id="evt_1", **options)
    again = services.invoice_record_payment(invoice=invoice, stripe_event_id="evt_1", **options)
    assert first.pk == again.pk
    assert Payment.objects.count() == 1


def test_paying_a_deposit_invoice_starts_the_work(client_, studio, now):
    studio.start_work_on_deposit = True
    studio.save()
    project = ProjectFactory(
        client=client_, status=Project.Status.AWAITING_DEPOSIT, price_minor=100_000, deposit_percent=50
    )
    invoice = services.invoice_create(
        client=client_, kind=Invoice.Kind.DEPOSIT, lines=[LineSpec("Deposit", 1, 50_000, 0)], now=now, project=project
    )
    invoice = services.invoice_issue(invoice=invoice, now=now)
    services.invoice_record_payment(invoice=invoice, amount_minor=50_000, paid_on=now.date(), method="bank", now=now)
    project.refresh_from_db()
    assert project.status == Project.Status.IN_PROGRESS


def accepted_proposal(project, **options):
    proposal = Proposal.objects.create(
        studio=project.studio, project=project, title="Redesign", status=Proposal.Status.ACCEPTED,
        accepted_total_minor=333_333, deposit_percent=30, currency="EUR", **options,
    )  # fmt: skip
    ProposalItem.objects.create(proposal=proposal, title="Design", unit_price_minor=333_333, tax_rate_bp=2_000)
    ProposalItem.objects.create(
        proposal=proposal, title="Extra", unit_price_minor=10, tax_rate_bp=700, optional=True, selected=False
    )
    return proposal


def test_deposit_invoice_for_an_accepted_proposal(project, profile, now):
    proposal = accepted_proposal(project)
    invoice = services.deposit_invoice_for_proposal(proposal=proposal, now=now)
    assert invoice.kind == Invoice.Kind.DEPOSIT
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.project == project
    assert invoice.proposal == proposal
    assert invoice.number == "2026-0001"
    line = invoice.lines.get()
    assert (line.unit_price_minor, line.tax_rate_bp) == (100_000, 2_000)  # 30 % of 3 333.33, rounded half up
    assert invoice.total_minor == 120_000
    assert services.deposit_invoice_for_proposal(proposal=proposal, now=now).pk == invoice.pk
    assert Invoice.objects.count() == 1


def test_no_deposit_invoice_before_acceptance(project, now):
    proposal = accepted_proposal(project)
    proposal.status = Proposal.Status.SENT
    proposal.save()
    with pytest.raises(InvoiceError):
        services.deposit_invoice_for_proposal(proposal=proposal, now=now)


def test_installment_and_change_request_invoices(project, profile, now):
    installment = Installment.objects.create(project=project, amount_minor=40_000, due_on=date(2026, 4, 1))
    change = ChangeRequest.objects.create(
        project=project, title="Dark mode", price_minor=15_000, status=ChangeRequest.Status.APPROVED
    )
    proposed = ChangeRequest.objects.create(project=project, title="Maybe", price_minor=1)
    assert services.uninvoiced_installments([project.pk]) == [installment]
    assert services.uninvoiced_changes([project.pk]) == [change]
    from_installment = services.invoice_from_installment(installment=installment, now=now)
    assert from_installment.status == Invoice.Status.DRAFT
    assert from_installment.kind == Invoice.Kind.INSTALLMENT
    assert from_installment.due_on == date(2026, 4, 1)
    assert from_installment.lines.get().tax_rate_bp == 1_900
    assert services.invoice_from_installment(installment=installment, now=now).pk == from_installment.pk
    from_change = services.invoice_from_change_request(change_request=change, now=now)
    assert from_change.kind == Invoice.Kind.CHANGE
    assert from_change.total_minor == 15_000 + 2_850
    with pytest.raises(InvoiceError):
        services.invoice_from_change_request(change_request=proposed, now=now)
    assert services.uninvoiced_installments([project.pk]) == []
    assert services.uninvoiced_changes([project.pk]) == []
    issued = services.invoice_issue(invoice=from_installment, now=now)
    services.invoice_record_payment(invoice=issued, amount_minor=issued.total_minor, paid_on=now.date(),
                                    method="bank", now=now)  # fmt: skip
    installment.refresh_from_db()
    assert installment.paid_at == now


def test_refusals_speak_russian(client_, now):
    invoice = draft(client_, now)
    with translation.override("ru"), pytest.raises(InvoiceNotPayable, match="черновик"):
        services.invoice_record_payment(invoice=invoice, amount_minor=1, paid_on=now.date(), method="bank", now=now)
