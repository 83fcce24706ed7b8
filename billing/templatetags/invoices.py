from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

from billing.totals import line_amount as amount_of

register = template.Library()


@register.filter
def basis_points(rate_bp: int) -> str:
    """``2000`` → ``20 %`` (``750`` → ``7.5 %``, localized)."""
    percent = rate_bp / 100
    return f"{number_format(percent, decimal_pos=0 if percent == int(percent) else 2)} %"


@register.filter
def line_amount(line: Any) -> int:
    return amount_of(line)
