from datetime import date, datetime

from django import template
from django.conf import settings
from django.utils import timezone

from crm.dates import long_date, long_datetime
from crm.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """`{{ payment.amount_minor|money:payment.currency }}`."""
    return "" if minor is None else format_money(minor, currency)


@register.filter
def money_round(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_money(minor, currency, cents=False)


@register.simple_tag
def site_url() -> str:
    """``SITE_URL``, the address Rapport is served from: the base of every absolute link in an email."""
    return settings.SITE_URL


def _local(value: date | datetime) -> date | datetime:
    return timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value


@register.filter(name="long_date")
def long_date_filter(value: date | datetime | None, arg: str = "") -> str:
    """`{{ project.deadline_on|long_date }}` → "Friday 26 February 2027" / "пятница, 26 февраля 2027";
    `|long_date:"no_year"` leaves the year out. Datetimes are read in the active time zone."""
    if value is None or value == "":
        return ""
    local = _local(value)
    day = local.date() if isinstance(local, datetime) else local
    return long_date(day, with_year=arg != "no_year")


@register.filter(name="long_datetime")
def long_datetime_filter(value: datetime | None, arg: str = "") -> str:
    """`{{ call.starts_at|long_datetime }}` → "Tuesday 8 December 2026, 14:00" in the active zone and language."""
    if value is None or value == "":
        return ""
    return long_datetime(_local(value), with_year=arg != "no_year")
