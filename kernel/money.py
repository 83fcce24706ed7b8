"""Money as integers in minor units (cents), formatted for people in the active language.

English is written here (`€1,234.56`); other languages come from Babel's CLDR data with their
own separators and symbol placement (Russian `1 234,56 €`). Pass ``language=`` (e.g. the
client's) to write in a language other than the active one.
"""

from decimal import Decimal

from babel.numbers import parse_pattern

from kernel.dates import babel_locale

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽", "JPY": "¥", "CHF": "CHF ", "SEK": "kr "}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "HUF"})


def format_money(minor: int, currency: str, *, cents: bool = True, language: str | None = None) -> str:
    """`123456, "EUR"` → `€1,234.56` (Russian: `1 234,56 €`); refunds keep their minus sign (`−€50.00`)."""
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    sign = "−" if minor < 0 else ""
    scale = 10**exponent
    whole = bool(exponent) and not cents
    if whole:
        units, remainder = (abs(minor) + scale // 2) // scale, 0  # half up, in integers
    else:
        units, remainder = divmod(abs(minor), scale)
    if locale := babel_locale(language):
        pattern = parse_pattern(locale.currency_formats["standard"].pattern)
        if whole:
            pattern.frac_prec = (0, 0)
        amount = Decimal(units) if whole else Decimal(abs(minor)).scaleb(-exponent)
        return sign + pattern.apply(amount, locale, currency=currency, currency_digits=not whole)
    number = f"{units:,}" + (f".{remainder:0{exponent}d}" if exponent and not whole else "")
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"
