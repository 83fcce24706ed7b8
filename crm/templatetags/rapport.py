from django import template

from crm.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """`{{ payment.amount_minor|money:payment.currency }}`."""
    return "" if minor is None else format_money(minor, currency)


@register.filter
def money_round(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_money(minor, currency, cents=False)
