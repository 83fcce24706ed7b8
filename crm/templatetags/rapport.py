from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from crm.dates import last_contact_day
from crm.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """`{{ payment.amount_minor|money:payment.currency }}`."""
    return "" if minor is None else format_money(minor, currency)


@register.filter
def money_round(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_money(minor, currency, cents=False)


@register.filter
def last_contact(client: Any, studio: Any) -> str:
    """`{{ client|last_contact:studio }}`: the client's stored last contact, as its local day or "never".

    Every page that shows it goes through here, so they all say the same thing.
    """
    at = client.last_interaction_at
    if at is None:
        return format_html('<span class="last-contact text-body-secondary">{}</span>', _("never"))
    zone = studio.zoneinfo
    return format_html(
        '<time class="last-contact" datetime="{}">{}</time>', at.astimezone(zone).date().isoformat(),
        last_contact_day(at, zone),
    )  # fmt: skip
