"""Invoices and signed agreements as PDF files (ReportLab), in the client's language.

``invoice_pdf`` prints what the invoice froze when it was issued (seller, buyer, lines, totals,
payment instructions) and the bank QR code (``billing.payment_qr``); ``agreement_pdf`` prints the
exact signed text, then a page with the audit trail of the signature. Both return the file's
bytes. Text goes through DejaVu Sans (vendored in ``static/fonts``), so Cyrillic and Greek print.

Every value from users is escaped before it reaches a ReportLab ``Paragraph``, which reads a
little markup of its own.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.models import Agreement, Invoice, InvoiceLine
from billing.payment_qr import invoice_qr_png
from billing.totals import invoice_totals, line_amount
from kernel.dates import day_date
from kernel.i18n import supported_language
from kernel.money import format_money

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
QR_SIZE = 36 * mm
MARGIN = 18 * mm

pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)

BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10.5, textColor=colors.HexColor("#495057"))
LABEL = ParagraphStyle("label", parent=SMALL, fontName=FONT_BOLD, textColor=colors.HexColor("#6c757d"))
TITLE = ParagraphStyle("title", parent=BODY, fontName=FONT_BOLD, fontSize=18, leading=23, spaceAfter=2 * mm)
HEADING = ParagraphStyle("heading", parent=BODY, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=4 * mm)
RIGHT = ParagraphStyle("right", parent=BODY, alignment=TA_RIGHT)
RIGHT_BOLD = ParagraphStyle("right_bold", parent=RIGHT, fontName=FONT_BOLD)
MONO_SMALL = ParagraphStyle("mono_small", parent=SMALL, fontSize=7.5, leading=10)


def invoice_language(invoice: Invoice) -> str:
    """The language an invoice speaks: its client's, when Rapport speaks it."""
    return supported_language(invoice.client.language)


# --- Invoice ---------------------------------------------------------------------------------------


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice (or credit note) as a PDF, in its client's language. Queries: the lines, the client."""
    with translation.override(invoice_language(invoice)):
        language = translation.get_language()
        lines = list(invoice.lines.all())
        story = _invoice_story(invoice, lines, language=language)
        title = _invoice_title(invoice)
        return _build(story, title=title, author=str((invoice.seller or {}).get("name") or ""), footer=title)


def _invoice_title(invoice: Invoice) -> str:
    number = invoice.number or pgettext("billing document", "draft")
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return pgettext("billing document", "Credit note %(number)s") % {"number": number}
    return pgettext("billing document", "Invoice %(number)s") % {"number": number}


def _invoice_story(invoice: Invoice, lines: list[InvoiceLine], *, language: str) -> list[Any]:
    def money(minor: int) -> str:
        return format_money(minor, invoice.currency, language=language)

    story: list[Any] = [Paragraph(_text(_invoice_title(invoice)), TITLE)]
    facts = []
    if invoice.issue_date:
        facts.append((pgettext("billing document", "Issue date"), day_date(invoice.issue_date, language=language)))
    if invoice.due_on and invoice.kind != Invoice.Kind.CREDIT_NOTE:
        facts.append((pgettext("billing document", "Due date"), day_date(invoice.due_on, language=language)))
    if invoice.credit_for_id and invoice.credit_for and invoice.credit_for.number:
        facts.append((pgettext("billing document", "Cancels invoice"), invoice.credit_for.number))
    if invoice.period:
        facts.append((pgettext("billing document", "Period"), invoice.period))
    if facts:
        story.append(
            _table(
                [[Paragraph(_text(label), LABEL), Paragraph(_text(value), BODY)] for label, value in facts],
                widths=[35 * mm, None],
            )
        )
    story.append(Spacer(1, 5 * mm))
    story.append(
        _table(
            [
                [
                    Paragraph(_text(pgettext("billing document", "From")), LABEL),
                    Paragraph(_text(pgettext("billing document", "Bill to")), LABEL),
                ],
                [_party(invoice.seller or {}), _party(invoice.buyer or {"name": invoice.client.name})],
            ],
            widths=[None, None],
        )
    )
    story.append(Spacer(1, 6 * mm))
    story.append(_lines_table(lines, money))
    story.append(Spacer(1, 3 * mm))
    story.append(_totals_table(invoice, lines, money))
    if invoice.tax_exemption_text:
        story += [Spacer(1, 4 * mm), Paragraph(_text(invoice.tax_exemption_text), BODY)]
    if invoice.notes:
        story += [Spacer(1, 3 * mm), Paragraph(_text(invoice.notes), BODY)]
    story += _payment_block(invoice)
    return story


def _party(details: dict[str, Any]) -> list[Paragraph]:
    """A seller or buyer block: name, address, then VAT number or INN/KPP, each when given."""
    rows = [Paragraph(_text(str(details.get("name") or "")), ParagraphStyle("party", parent=BODY, fontName=FONT_BOLD))]
    if details.get("address"):
        rows.append(Paragraph(_text(str(details["address"])), BODY))
    for key, label in (
        ("vat_id", pgettext("billing document", "VAT number")),
        ("inn", pgettext("billing document", "INN")),
        ("kpp", pgettext("billing document", "KPP")),
    ):
        if details.get(key):
            rows.append(Paragraph(_text(f"{label}: {details[key]}"), BODY))
    return rows


def _rate(rate_bp: int) -> str:
    """A tax rate in basis points as a percentage: 2000 → "20 %", 750 → "7.5 %" (7,5 % in Russian)."""
    whole, rest = divmod(int(rate_bp), 100)
    number = str(whole) if not rest else f"{whole}.{rest:02d}".rstrip("0")
    if translation.get_language() == "ru":
        number = number.replace(".", ",")
    return f"{number}\u00a0%"


def _lines_table(lines: list[InvoiceLine], money: Any) -> Table:
    header = [
        Paragraph(_text(pgettext("billing document", "Description")), LABEL),
        Paragraph(_text(pgettext("billing document", "Qty")), ParagraphStyle("lr", parent=LABEL, alignment=TA_RIGHT)),
        Paragraph(
            _text(pgettext("billing document", "Unit price")), ParagraphStyle("lr", parent=LABEL, alignment=TA_RIGHT)
        ),
        Paragraph(_text(pgettext("billing document", "Tax")), ParagraphStyle("lr", parent=LABEL, alignment=TA_RIGHT)),
        Paragraph(
            _text(pgettext("billing document", "Amount")), ParagraphStyle("lr", parent=LABEL, alignment=TA_RIGHT)
        ),
    ]
    rows = [header]
    for line in lines:
        rows.append(
            [
                Paragraph(_text(line.description), BODY),
                Paragraph(str(line.quantity), RIGHT),
                Paragraph(_text(money(line.unit_price_minor)), RIGHT),
                Paragraph(_text(_rate(line.tax_rate_bp)), RIGHT),
                Paragraph(_text(money(line_amount(line))), RIGHT),
            ]
        )
    table = Table(rows, colWidths=[None, 14 * mm, 30 * mm, 16 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#adb5bd")),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#dee2e6")),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _totals_table(invoice: Invoice, lines: list[InvoiceLine], money: Any) -> Table:
    rows = [(pgettext("billing document", "Subtotal"), money(invoice.subtotal_minor), False)]
    for rate, (net, tax) in invoice_totals(lines).by_rate.items():
        if rate:
            rows.append(
                (
                    pgettext("billing document", "Tax %(rate)s on %(net)s") % {"rate": _rate(rate), "net": money(net)},
                    money(tax),
                    False,
                )
            )
        else:
            rows.append((pgettext("billing document", "Not taxed: %(net)s") % {"net": money(net)}, money(0), False))
    rows.append((pgettext("billing document", "Total"), money(invoice.total_minor), True))
    if invoice.paid_minor and invoice.kind != Invoice.Kind.CREDIT_NOTE:
        rows.append((pgettext("billing document", "Paid"), money(invoice.paid_minor), False))
        rows.append((pgettext("billing document", "Balance due"), money(invoice.balance_minor), True))
    data = [
        [Paragraph(_text(label), RIGHT_BOLD if bold else RIGHT), Paragraph(_text(value), RIGHT_BOLD if bold else RIGHT)]
        for label, value, bold in rows
    ]
    table = Table(data, colWidths=[None, 34 * mm])
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _payment_block(invoice: Invoice) -> list[Any]:
    """How to pay: the frozen instructions in words, with the bank QR code beside them when there is one.

    Nothing for a credit note or an invoice paid in full: there is nothing left to pay.
    """
    if invoice.kind == Invoice.Kind.CREDIT_NOTE or invoice.balance_minor <= 0:
        return []
    png = invoice_qr_png(invoice)
    if not invoice.payment_instructions and png is None:
        return []
    words = [Paragraph(_text(pgettext("billing document", "How to pay")), HEADING)]
    if invoice.payment_instructions:
        words.append(Paragraph(_text(invoice.payment_instructions), BODY))
    if png is None:
        return words
    code = [
        Image(io.BytesIO(png), width=QR_SIZE, height=QR_SIZE),
        Paragraph(_text(pgettext("billing document", "Scan to pay")), SMALL),
    ]
    table = Table([[words, code]], colWidths=[None, QR_SIZE + 6 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [Spacer(1, 2 * mm), table]


# --- Agreement -------------------------------------------------------------------------------------


def agreement_pdf(agreement: Agreement) -> bytes:
    """The agreement's exact text, then the audit trail of its signature, in the client's language."""
    project = agreement.project
    studio = agreement.studio
    with translation.override(supported_language(project.client.language)):
        title = pgettext("billing document", "Agreement: %(project)s, version %(version)s") % {
            "project": project.title,
            "version": agreement.version,
        }
        story: list[Any] = [Paragraph(_text(title), TITLE), Spacer(1, 2 * mm)]
        story += [Paragraph(_text_keeping_spaces(paragraph), BODY) for paragraph in agreement.text.split("\n")]
        story += [PageBreak(), Paragraph(_text(pgettext("billing document", "Audit trail")), TITLE)]
        story.append(_table(_audit_rows(agreement, studio.zoneinfo), widths=[48 * mm, None]))
        return _build(story, title=title, author=studio.name, footer=title)


def _audit_rows(agreement: Agreement, zone: Any) -> list[list[Paragraph]]:
    digest = hashlib.sha256(agreement.text.encode()).hexdigest()
    rows: list[tuple[str, str]] = [(pgettext("billing document", "Version"), str(agreement.version))]
    if agreement.signed_at is None:
        rows.append((pgettext("billing document", "Signed"), pgettext("billing document", "Not signed yet.")))
    else:
        rows += [
            (pgettext("billing document", "Signed by (typed name)"), agreement.signed_name),
            (pgettext("billing document", "Email"), agreement.signed_email),
            (pgettext("billing document", "Signed at (UTC)"), _moment(agreement.signed_at, UTC)),
            (
                pgettext("billing document", "Signed at (%(zone)s)") % {"zone": str(zone)},
                _moment(agreement.signed_at, zone),
            ),
            (pgettext("billing document", "IP address"), agreement.signed_ip or "—"),
            (pgettext("billing document", "Browser (user agent)"), agreement.signed_user_agent or "—"),
        ]
    rows.append((pgettext("billing document", "SHA-256 of the text signed"), agreement.text_sha256 or "—"))
    if agreement.text_sha256 and agreement.text_sha256 != digest:
        rows.append(
            (
                pgettext("billing document", "SHA-256 of this text"),
                pgettext("billing document", "%(digest)s — does NOT match") % {"digest": digest},
            )
        )
    else:
        rows.append(
            (
                pgettext("billing document", "SHA-256 of this text"),
                pgettext("billing document", "%(digest)s — matches") % {"digest": digest},
            )
        )
    if agreement.countersigned_at is not None:
        by = agreement.countersigned_by
        name = str(by) if by is not None else "—"
        rows += [
            (pgettext("billing document", "Countersigned by"), name),
            (pgettext("billing document", "Countersigned at (UTC)"), _moment(agreement.countersigned_at, UTC)),
            (
                pgettext("billing document", "Countersigned at (%(zone)s)") % {"zone": str(zone)},
                _moment(agreement.countersigned_at, zone),
            ),
        ]
    else:
        rows.append(
            (pgettext("billing document", "Countersigned"), pgettext("billing document", "Not countersigned yet."))
        )
    return [
        [Paragraph(_text(label), LABEL), Paragraph(_text(value), MONO_SMALL if "SHA" in label else BODY)]
        for label, value in rows
    ]


def _moment(at: datetime, zone: Any) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


# --- Drawing ---------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """``value`` as Paragraph markup: escaped, line breaks kept."""
    return escape(str(value)).replace("\r\n", "\n").replace("\n", "<br/>")


def _text_keeping_spaces(value: str) -> str:
    """One line of a signed text: escaped, runs of spaces and the indent kept (an empty line stays a line)."""
    if not value.strip():
        return "&nbsp;"
    escaped = escape(value.rstrip("\r"))
    indent = len(escaped) - len(escaped.lstrip(" "))
    return "&nbsp;" * indent + escaped.lstrip(" ").replace("  ", " &nbsp;")


def _table(rows: list[list[Any]], *, widths: list[Any]) -> Table:
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _build(story: list[Any], *, title: str, author: str, footer: str) -> bytes:
    out = io.BytesIO()
    page_label = pgettext("billing document", "Page %(page)s")

    def draw_footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#6c757d"))
        canvas.drawString(MARGIN, 10 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, page_label % {"page": doc.page})
        canvas.restoreState()

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        creator="Rapport",
        invariant=1,
    )
    document.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return out.getvalue()
