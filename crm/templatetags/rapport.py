from django import template
from django.conf import settings

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
