"""Money as integers in minor units (cents), formatted for people."""

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽", "JPY": "¥", "CHF": "CHF ", "SEK": "kr "}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "HUF"})


def format_money(minor: int, currency: str, *, cents: bool = True) -> str:
    """`123456, "EUR"` → `€1,234.56`; refunds keep their minus sign (`−€50.00`)."""
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    sign = "−" if minor < 0 else ""
    units, remainder = divmod(abs(minor), 10**exponent)
    number = f"{units:,}"
    if exponent and cents:
        number += f".{remainder:0{exponent}d}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"
