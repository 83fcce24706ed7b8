from dataclasses import dataclass

import pytest

from billing.totals import divide_half_up, invoice_totals, line_amount, line_tax


@dataclass
class Line:
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int = 0


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 10, 1), (4, 10, 0), (15, 10, 2), (25, 10, 3), (-5, 10, -1), (-4, 10, 0), (-25, 10, -3), (0, 7, 0)],
)
def test_half_up_rounds_halves_away_from_zero(numerator, denominator, expected):
    assert divide_half_up(numerator, denominator) == expected


def test_a_line_is_quantity_times_price_and_its_tax_rounded_half_up():
    line = Line(quantity=3, unit_price_minor=1_005, tax_rate_bp=1_900)  # 30.15 at 19 %: 5.7285
    assert line_amount(line) == 3_015
    assert line_tax(line) == 573
    assert line_tax(Line(quantity=1, unit_price_minor=50, tax_rate_bp=1_000)) == 5
    assert line_tax(Line(quantity=1, unit_price_minor=25, tax_rate_bp=2_000)) == 5  # 5.0
    assert line_tax(Line(quantity=1, unit_price_minor=5, tax_rate_bp=1_000)) == 1  # 0.5 → 1


def test_totals_add_lines_and_group_by_rate():
    totals = invoice_totals([Line(2, 10_000, 2_000), Line(1, 333, 2_000), Line(1, 5_000, 0), Line(4, 1_250, 700)])
    assert totals.subtotal_minor == 20_000 + 333 + 5_000 + 5_000
    assert totals.tax_minor == 4_000 + 67 + 0 + 350
    assert totals.total_minor == totals.subtotal_minor + totals.tax_minor
    assert totals.by_rate == {0: (5_000, 0), 700: (5_000, 350), 2_000: (20_333, 4_067)}
    assert list(totals.by_rate) == [0, 700, 2_000]


def test_a_credit_note_is_the_exact_mirror_of_its_invoice():
    lines = [Line(3, 1_005, 1_900), Line(1, 5, 1_000), Line(7, 333, 2_000)]
    invoice = invoice_totals(lines)
    credit = invoice_totals([Line(line.quantity, -line.unit_price_minor, line.tax_rate_bp) for line in lines])
    assert (credit.subtotal_minor, credit.tax_minor, credit.total_minor) == (
        -invoice.subtotal_minor, -invoice.tax_minor, -invoice.total_minor,
    )  # fmt: skip


def test_no_lines_total_zero():
    totals = invoice_totals([])
    assert (totals.subtotal_minor, totals.tax_minor, totals.total_minor, totals.by_rate) == (0, 0, 0, {})
