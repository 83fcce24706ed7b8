"""Invoice numbers: a studio's pattern (``{year}-{seq:04d}``) filled from a locked per-period counter.

Numbers are consecutive within a period (the year when the pattern has ``{year}``, else one period
for ever, ``0``): ``next_number`` locks the period's ``NumberSequence`` row inside the caller's
transaction, so two invoices issued at once get two consecutive numbers, and a rolled-back issue
gives its number back.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from billing.models import BillingProfile, NumberSequence
from kernel.models import Studio

DEFAULT_PATTERN = "{year}-{seq:04d}"
# {year}, {seq} or {seq:0Nd} (N from 1 to 9); any other brace is an error.
_FIELD = re.compile(r"\{(year|seq(?::0[1-9]d)?)\}")
_MAX_LENGTH = 40


def pattern_errors(pattern: str) -> list[str]:
    """What is wrong with ``pattern`` in words ([] when it is fine)."""
    errors: list[str] = []
    if not pattern.strip():
        return [str(_("The number pattern is empty."))]
    rest = _FIELD.sub("", pattern)
    if "{" in rest or "}" in rest:
        errors.append(str(_("Only {year}, {seq} and {seq:0Nd} (N from 1 to 9) may appear in braces.")))
    if not any(match.group(1).startswith("seq") for match in _FIELD.finditer(pattern)):
        errors.append(str(_("The number pattern must contain {seq}.")))
    if len(pattern) > _MAX_LENGTH:
        errors.append(str(_("The number pattern is too long.")))
    return errors


def validate_pattern(pattern: str) -> None:
    """A form field validator."""
    if errors := pattern_errors(pattern):
        raise ValidationError(errors)


def uses_year(pattern: str) -> bool:
    return "{year}" in pattern


def format_number(pattern: str, *, year: int, seq: int) -> str:
    if errors := pattern_errors(pattern):
        raise ValueError(" ".join(errors))
    number = _FIELD.sub(lambda match: ("{" + match.group(1) + "}").format(year=year, seq=seq), pattern)
    if len(number) > _MAX_LENGTH:
        raise ValueError(f"The invoice number {number!r} is longer than {_MAX_LENGTH} characters.")
    return number


def studio_pattern(studio: Studio) -> str:
    pattern = BillingProfile.objects.filter(studio=studio).values_list("number_pattern", flat=True).first()
    return pattern or DEFAULT_PATTERN


def next_number(*, studio: Studio, year: int, pattern: str | None = None) -> tuple[int, str]:
    """The next sequence number and the formatted invoice number; call it inside a transaction.

    The period's row is created if missing, then locked (``SELECT … FOR UPDATE``) until the caller's
    transaction ends; on SQLite the write lock of the immediate transaction serialises issuers.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the caller's transaction.")
    pattern = pattern if pattern is not None else studio_pattern(studio)
    period = year if uses_year(pattern) else 0
    locked = NumberSequence.objects.select_for_update()
    sequence = locked.filter(studio=studio, period=period).first()
    if sequence is None:  # the period's first number
        try:
            with transaction.atomic():
                NumberSequence.objects.create(studio=studio, period=period)
        except IntegrityError:
            pass  # another transaction created it first: lock theirs
        sequence = locked.get(studio=studio, period=period)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last, format_number(pattern, year=year, seq=sequence.last)
