"""Dates written for people in client-facing text, independent of the server's locale.

English only for now; the portal issue brings the client's own language.
"""

from datetime import date

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def long_date(day: date, *, with_year: bool = True) -> str:
    """`date(2026, 12, 4)` → "Friday 4 December 2026" (or "Friday 4 December")."""
    text = f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def short_date(day: date) -> str:
    """`date(2026, 11, 24)` → "Tue 24 Nov"."""
    return f"{DAY_NAMES[day.weekday()][:3]} {day.day} {MONTH_NAMES[day.month - 1][:3]}"
