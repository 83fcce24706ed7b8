"""An invoice's sums, worked out in whole minor units: no floats, no models.

A line's amount is quantity × unit price; its tax is the amount × rate / 10 000 (rates are basis
points), rounded half away from zero per line, so a credit note (negated lines) is the exact mirror
of the invoice it cancels. The totals add up the lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

BASIS_POINTS = 10_000


class LineLike(Protocol):
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int


def divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in integers (``denominator`` > 0)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def line_amount(line: LineLike) -> int:
    return int(line.quantity) * int(line.unit_price_minor)


def line_tax(line: LineLike) -> int:
    return divide_half_up(line_amount(line) * int(line.tax_rate_bp), BASIS_POINTS)


@dataclass(frozen=True)
class Totals:
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    # rate (basis points) → (net amount, tax) of the lines at that rate, rates in ascending order
    by_rate: dict[int, tuple[int, int]] = field(default_factory=dict)


def invoice_totals(lines: Iterable[LineLike]) -> Totals:
    subtotal = tax = 0
    by_rate: dict[int, tuple[int, int]] = {}
    for line in lines:
        amount, line_tax_minor = line_amount(line), line_tax(line)
        subtotal += amount
        tax += line_tax_minor
        net, taxed = by_rate.get(int(line.tax_rate_bp), (0, 0))
        by_rate[int(line.tax_rate_bp)] = (net + amount, taxed + line_tax_minor)
    return Totals(
        subtotal_minor=subtotal,
        tax_minor=tax,
        total_minor=subtotal + tax,
        by_rate=dict(sorted(by_rate.items())),
    )
