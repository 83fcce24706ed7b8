from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clients.models import Client
from clients.services import tier_reason_text

register = template.Library()


@register.filter
def tier_reason(reason: str | None) -> str:
    """`{{ client.tier_reason|tier_reason }}`: the stored (English) reason in the active language."""
    return tier_reason_text(reason or "")


@register.filter
def tier_badge(client: Client) -> SafeString:
    """`{{ client|tier_badge }}`: the angel badge and the pin mark beside a client's name, "" for neither.

    A filter rather than an included template: the client list shows it on every line.
    """
    badge = ""
    if client.is_angel:
        badge = format_html(
            '<span class="badge text-bg-warning" title="{}" data-tier="angel">{}</span>',
            tier_reason_text(client.tier_reason or ""), _("Angel"),
        )  # fmt: skip
    if client.tier_pin:
        pin = client.get_tier_pin_display()
        badge += format_html(
            ' <span class="small" title="{}" data-tier-pin="{}"><span aria-hidden="true">📌</span>'
            '<span class="visually-hidden">({}: {})</span></span>',
            pin, client.tier_pin, _("pinned"), pin,
        )  # fmt: skip
    return mark_safe(badge)  # noqa: S308 - format_html escaped every value
