"""Money as integers in minor units (cents), formatted for people."""

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽", "JPY": "¥", "CHF": "CHF ", "SEK": "kr "}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "HUF"})


def format_money(minor: int, currency: str, *, cents: bool = True) -> str:
    """`123456, "EUR"` → `€1,234.56`; refunds keep their minus sign (`−€50.00`)."""
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    sign = "−" if minor < 0 else ""
    scale = 10**exponent
    if exponent and not cents:
        number = f"{(abs(minor) + scale // 2) // scale:,}"  # half up, in integers
    else:
        units, remainder = divmod(abs(minor), scale)
        number = f"{units:,}" + (f".{remainder:0{exponent}d}" if exponent else "")
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"
