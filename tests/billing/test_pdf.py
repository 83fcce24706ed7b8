"""billing.pdf: the invoice and the signed agreement as PDF files, read back with pypdf."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from billing.models import Agreement, Invoice, InvoiceLine
from billing.pdf import agreement_pdf, invoice_pdf
from billing.totals import invoice_totals
from tests.factories import ClientFactory, MembershipFactory, ProjectFactory

try:
    from billing import payment_qr, qr
except ImportError:  # pragma: no cover - billing.qr comes from its own branch
    qr = payment_qr = None

needs_qr = pytest.mark.skipif(qr is None, reason="billing.qr lands separately")

ISSUED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
EUR_SELLER = {
    "name": "Northlight Design GmbH",
    "address": "Hauptstraße 1\n10115 Berlin",
    "vat_id": "DE123456789",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
}
RUB_SELLER = {
    "name": "ИП Соколова Анна Сергеевна",
    "address": "Москва, ул. Тверская, 1",
    "inn": "7707083893",
    "kpp": "773601001",
    "ru_bank_name": "ПАО Сбербанк",
    "ru_bic": "044525225",
    "ru_account": "40702810138250123017",
    "ru_corresp_account": "30101810400000000225",
}


def make_invoice(
    studio,
    *,
    currency="EUR",
    seller=None,
    language="en",
    client_name="Acme",
    lines=3,
    number="2026-0042",
    status=Invoice.Status.ISSUED,
    **fields,
):
    client = ClientFactory(studio=studio, name=client_name, language=language)
    invoice = Invoice.objects.create(
        studio=studio,
        client=client,
        status=status,
        number=number,
        currency=currency,
        issued_at=ISSUED_AT,
        issue_date=date(2026, 11, 20),
        due_on=date(2026, 12, 4),
        seller=seller if seller is not None else EUR_SELLER,
        buyer={"name": client_name, "address": "1 Road", "vat_id": "", "inn": "", "kpp": ""},
        payment_instructions="IBAN: DE89370400440532013000\nReference: invoice 2026-0042",
        **fields,
    )
    for index in range(lines):
        InvoiceLine.objects.create(
            invoice=invoice,
            description=f"Design work <b>&</b> part {index + 1}",
            quantity=index + 1,
            unit_price_minor=10_000,
            tax_rate_bp=1900 if index % 2 == 0 else 0,
            order=index,
        )
    by_rate = invoice_totals(invoice.lines.all()).by_rate
    invoice.subtotal_minor = sum(net for net, _tax in by_rate.values())
    invoice.tax_minor = sum(tax for _net, tax in by_rate.values())
    invoice.total_minor = invoice.subtotal_minor + invoice.tax_minor
    invoice.save()
    return invoice


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_invoice_pdf_has_the_number_parties_lines_taxes_and_totals(studio):
    invoice = make_invoice(studio, tax_exemption_text="Reverse charge: VAT is due by the recipient.")

    pdf = invoice_pdf(invoice)

    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert "Invoice 2026-0042" in text
    assert "Northlight Design GmbH" in text
    assert "VAT number: DE123456789" in text
    assert "Design work <b>&</b> part 3" in text  # user text printed as typed, never read as markup
    assert "19 %" in text
    assert "Reverse charge" in text
    assert "€600.00" in text  # 100 + 200 + 300 net
    assert "€676.00" in text  # + 19 % of the 400 taxed
    assert "20 November 2026" in text
    assert "4 December 2026" in text


def test_the_same_invoice_prints_the_same_bytes(studio):
    invoice = make_invoice(studio)

    assert invoice_pdf(invoice) == invoice_pdf(invoice)


def test_a_russian_clients_invoice_speaks_russian_and_prints_cyrillic(studio):
    invoice = make_invoice(studio, currency="RUB", seller=RUB_SELLER, language="ru", client_name="ООО «Ромашка»")

    pdf = invoice_pdf(invoice)

    text = text_of(pdf)
    assert "ИП Соколова Анна Сергеевна" in text
    assert "ООО «Ромашка»" in text
    assert "ИНН: 7707083893" in text
    assert "КПП: 773601001" in text
    assert "Счёт 2026-0042" in text
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {str(font["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in font for font in fonts)


def test_a_credit_note_says_so_and_asks_for_no_payment(studio):
    original = make_invoice(studio)
    credit = make_invoice(studio, kind=Invoice.Kind.CREDIT_NOTE, credit_for=original, lines=1, number="2026-0043")

    text = text_of(invoice_pdf(credit))

    assert "Credit note 2026-0043" in text
    assert "Cancels invoice" in text
    assert "2026-0042" in text
    assert "How to pay" not in text


@needs_qr
def test_a_euro_invoice_carries_the_sepa_qr_code_for_the_open_balance(studio):
    invoice = make_invoice(studio, paid_minor=7_000)

    payload = payment_qr.invoice_qr_payload(invoice)

    assert payload.splitlines()[:7] == [
        "BCD", "002", "1", "SCT", "COBADEFFXXX", "Northlight Design GmbH", "DE89370400440532013000"
    ]  # fmt: skip
    assert "\nEUR606\n" in payload  # 676.00 total, 70.00 paid
    pdf = invoice_pdf(invoice)
    assert b"/Subtype /Image" in pdf
    text = text_of(pdf)
    assert "Scan to pay" in text
    assert "Paid\n€70.00" in text.replace(" ", "")
    assert "Balancedue\n€606.00" in text.replace(" ", "")


@needs_qr
def test_a_rouble_invoice_carries_the_gost_qr_code(studio):
    invoice = make_invoice(studio, currency="RUB", seller=RUB_SELLER, language="ru")

    payload = payment_qr.invoice_qr_payload(invoice)

    assert payload.startswith("ST00012|Name=ИП Соколова Анна Сергеевна|PersonalAcc=40702810138250123017|")
    assert f"|Sum={invoice.total_minor}|" in payload
    assert b"/Subtype /Image" in invoice_pdf(invoice)


@needs_qr
@pytest.mark.parametrize(
    ("currency", "seller", "fields"),
    [
        ("USD", EUR_SELLER, {}),
        ("EUR", {**EUR_SELLER, "iban": "DE00370400440532013000"}, {}),  # fails the IBAN check
        ("EUR", {**EUR_SELLER, "iban": ""}, {}),
        ("RUB", {**RUB_SELLER, "ru_account": "40702810138250123018"}, {}),  # fails the control key
        ("EUR", EUR_SELLER, {"paid_minor": 67_600}),
    ],
)
def test_no_qr_code_without_valid_bank_details_for_the_currency_or_an_open_balance(studio, currency, seller, fields):
    invoice = make_invoice(studio, currency=currency, seller=seller, **fields)

    assert payment_qr.invoice_qr_payload(invoice) is None
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" not in pdf
    assert ("How to pay" in text_of(pdf)) is (invoice.balance_minor > 0)  # the instructions, in words


def test_the_agreement_pdf_prints_the_exact_text_and_the_audit_trail(studio):
    owner = MembershipFactory(studio=studio, user__email="anna@northlight.example").user
    project = ProjectFactory(studio=studio, client=ClientFactory(studio=studio, language="en"), title="New site")
    text = "1. Scope\n\nThe studio designs <five> pages & a logo.\n    2.1 Indented clause"
    agreement = Agreement.objects.create(
        studio=studio,
        project=project,
        version=2,
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        signed_name="Jane Client",
        signed_email="jane@client.example",
        signed_at=datetime(2026, 11, 20, 22, 30, tzinfo=UTC),
        signed_ip="203.0.113.7",
        signed_user_agent="Mozilla/5.0 (Test)",
        countersigned_by=owner,
        countersigned_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    )

    pdf = agreement_pdf(agreement)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    first, audit = (page.extract_text() for page in reader.pages)
    assert "The studio designs <five> pages & a logo." in first
    assert "Jane Client" in audit
    assert "203.0.113.7" in audit
    assert "Mozilla/5.0 (Test)" in audit
    assert "2026-11-20 22:30:00 UTC" in audit
    assert "2026-11-20 23:30:00 CET" in audit  # the studio's zone (Europe/Berlin)
    assert agreement.text_sha256 in audit.replace("\n", "")
    assert "matches" in audit
    assert "NOT" not in audit
    assert str(owner) in audit


def test_an_agreement_whose_text_changed_says_the_hash_does_not_match(studio):
    project = ProjectFactory(studio=studio, client=ClientFactory(studio=studio, language="ru"), title="Сайт")
    agreement = Agreement.objects.create(
        studio=studio, project=project, text="Договор: изменённый текст", text_sha256="0" * 64
    )

    audit = text_of(agreement_pdf(agreement))

    assert "Договор: изменённый текст" in audit
    assert "НЕ совпадает" in " ".join(audit.split())
