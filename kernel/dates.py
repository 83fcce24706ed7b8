"""Dates written for people, independent of the server's locale, in the active language.

English is written here word by word ("Friday 4 December 2026"); other languages come from
Babel's CLDR data in their own order and grammar ("пятница, 4 декабря 2026"). Pass
``language=`` (e.g. the client's) to write in a language other than the active one.
``iso_week_key`` names a week the same way in every language, for keys and stored weeks.
``as_utc``, ``local_date`` and ``local_midnight`` go between instants and a zone's calendar days.
"""

from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# CLDR patterns for languages other than English: weekday, day, month (in the genitive where the
# language has one), year.
LONG_PATTERN = "EEEE, d MMMM y"
LONG_PATTERN_NO_YEAR = "EEEE, d MMMM"
SHORT_PATTERN = "EEE, d MMM"
DAY_PATTERN = "d MMMM y"


def babel_locale(language: str | None) -> Locale | None:
    """The CLDR locale for ``language`` (default: the active one); None for English or a language Babel lacks."""
    code = (language or translation.get_language() or "en").replace("-", "_")
    if code.split("_")[0].lower() == "en":
        return None
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return None


def long_date(day: date, *, with_year: bool = True, language: str | None = None) -> str:
    """`date(2026, 12, 4)` → "Friday 4 December 2026" (or "Friday 4 December"); in Russian
    "пятница, 4 декабря 2026" (or "пятница, 4 декабря")."""
    if locale := babel_locale(language):
        return format_date(day, LONG_PATTERN if with_year else LONG_PATTERN_NO_YEAR, locale=locale)
    text = f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def long_datetime(at: datetime, *, with_year: bool = True, language: str | None = None) -> str:
    """A wall-clock moment (already in the reader's zone): "Sunday 6 December 2026, 10:00"; in Russian
    "воскресенье, 6 декабря 2026, 10:00"."""
    return f"{long_date(at.date(), with_year=with_year, language=language)}, {at:%H:%M}"


def day_date(day: date, *, language: str | None = None) -> str:
    """`date(2026, 12, 4)` → "4 December 2026"; in Russian "4 декабря 2026"."""
    if locale := babel_locale(language):
        return format_date(day, DAY_PATTERN, locale=locale)
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def last_contact_day(at: datetime | None, zone: tzinfo) -> str:
    """A client's last contact as every page writes it: its local day ("4 December 2026"), "" when never."""
    return day_date(at.astimezone(zone).date()) if at else ""


def day_and_time(at: datetime) -> str:
    """What ``{{ at|date:"D j M, H:i" }}`` writes ("Mon 7 Dec, 09:45"; in Russian "Пн 7 Дек, 09:45"), in the
    current time zone, without Django's format parser: a list printing two on every line spent a
    third of its time there."""
    local = timezone.localtime(at) if timezone.is_aware(at) else at
    weekdays, months = _short_names(translation.get_language())
    return f"{weekdays[local.weekday()]} {local.day} {months[local.month - 1]}, {local:%H:%M}"


@lru_cache(maxsize=32)
def _short_names(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Django's abbreviated weekday and month names in ``language``, translated once rather than per date."""
    with translation.override(language):
        return tuple(str(WEEKDAYS_ABBR[day]) for day in range(7)), tuple(
            str(MONTHS_3[month]).title() for month in range(1, 13)
        )


def short_date(day: date, *, language: str | None = None) -> str:
    """`date(2026, 11, 24)` → "Tue 24 Nov"; in Russian "вт, 24 нояб."."""
    if locale := babel_locale(language):
        return format_date(day, SHORT_PATTERN, locale=locale)
    return f"{DAY_NAMES[day.weekday()][:3]} {day.day} {MONTH_NAMES[day.month - 1][:3]}"


def month_name(month: int, *, language: str | None = None) -> str:
    """`12` → "December"; in Russian "декабрь" (the name on its own, as in a heading)."""
    if locale := babel_locale(language):
        return format_date(date(2000, month, 1), "LLLL", locale=locale)
    return MONTH_NAMES[month - 1]


def iso_week_key(local: date | datetime) -> str:
    """Return the ISO week key ``YYYY-Www`` (ISO week-numbering year) of a local date.

    A datetime is read by its wall-clock date as given; convert it to local time first.
    """
    iso_year, iso_week, _ = local.isocalendar()
    return f"{iso_year:04d}-W{iso_week:02d}"


def as_utc(at: datetime) -> datetime:
    """``at`` in UTC, for comparing instants: aware datetimes sharing a ``tzinfo`` compare by wall clock."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"Expected an aware datetime, got naive {at!r}.")
    return at.astimezone(UTC)


def local_date(at: datetime, tz: tzinfo) -> date:
    """The calendar date of the instant ``at`` in ``tz``."""
    return as_utc(at).astimezone(tz).date()


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz)
