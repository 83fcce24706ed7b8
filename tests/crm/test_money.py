import pytest

from kernel.money import format_money


@pytest.mark.parametrize(
    ("minor", "currency", "cents", "expected"),
    [
        (123456, "EUR", True, "€1,234.56"),
        (-5000, "EUR", True, "−€50.00"),
        (1239999, "EUR", False, "€12,400"),
        (1239949, "EUR", False, "€12,399"),
        (1500, "JPY", True, "¥1,500"),
        (123456, "NOK", True, "1,234.56 NOK"),
        (0, "USD", False, "$0"),
    ],
)
def test_money_is_formatted_for_people(minor: int, currency: str, cents: bool, expected: str):
    assert format_money(minor, currency, cents=cents) == expected
