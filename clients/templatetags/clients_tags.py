from django import template

from clients.services import tier_reason_text

register = template.Library()


@register.filter
def tier_reason(reason: str | None) -> str:
    """`{{ client.tier_reason|tier_reason }}`: the stored (English) reason in the active language."""
    return tier_reason_text(reason or "")
