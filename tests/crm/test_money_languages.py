"""Money in the reader's language: English as before, Russian from CLDR ("1 600,00 €")."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from kernel.money import format_money

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("minor", "currency", "cents", "english", "russian"),
    [
        (160_000, "EUR", True, "€1,600.00", f"1{NBSP}600,00{NBSP}€"),
        (-5_000, "EUR", True, "−€50.00", f"−50,00{NBSP}€"),
        (20_050, "EUR", False, "€201", f"201{NBSP}€"),
        (123_456, "USD", True, "$1,234.56", f"1{NBSP}234,56{NBSP}$"),
        (5_000, "JPY", True, "¥5,000", f"5{NBSP}000{NBSP}¥"),
        (300_000, "RUB", False, "₽3,000", f"3{NBSP}000{NBSP}₽"),
    ],
)
def test_money_in_english_and_russian(minor, currency, cents, english, russian):
    assert format_money(minor, currency, cents=cents) == english
    assert format_money(minor, currency, cents=cents, language="ru") == russian
    with translation.override("ru"):
        assert format_money(minor, currency, cents=cents) == russian
        assert format_money(minor, currency, cents=cents, language="en") == english


def test_the_template_filters_follow_the_active_language_and_zone():
    template = Template(
        "{% load rapport %}{{ amount|money:'EUR' }} | {{ day|long_date }} | {{ at|long_datetime }} | "
        "{{ day|long_date:'no_year' }}"
    )
    context = Context({"amount": 160_000, "day": date(2026, 12, 6), "at": datetime(2026, 12, 6, 9, 0, tzinfo=UTC)})
    with timezone.override("Europe/Berlin"):
        assert template.render(context) == (
            "€1,600.00 | Sunday 6 December 2026 | Sunday 6 December 2026, 10:00 | Sunday 6 December"
        )
        with translation.override("ru"):
            assert template.render(context) == (
                f"1{NBSP}600,00{NBSP}€ | воскресенье, 6 декабря 2026 | воскресенье, 6 декабря 2026, 10:00 | "
                "воскресенье, 6 декабря"
            )
