from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clients.models import Client
from clients.services import tier_reason_text
from kernel.links import url_with_id
from kernel.markup import html_format
from kernel.templatetags.rapport import last_contact, money_round

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
        badge = html_format(
            '<span class="badge text-bg-warning" title="{}" data-tier="angel">{}</span>',
            tier_reason_text(client.tier_reason or ""), _("Angel"),
        )  # fmt: skip
    if client.tier_pin:
        pin = client.get_tier_pin_display()
        badge += html_format(
            ' <span class="small" title="{}" data-tier-pin="{}"><span aria-hidden="true">📌</span>'
            '<span class="visually-hidden">({}: {})</span></span>',
            pin, client.tier_pin, _("pinned"), pin,
        )  # fmt: skip
    return mark_safe(badge)  # noqa: S308 - html_format escaped every value


_LINE = (
    "\n      <tr>\n"
    '        <td data-label="{client_label}"><a href="{url}" class="fw-semibold">{name}</a> {badge}</td>\n'
    '        <td data-label="{status_label}">{status}</td>\n'
    '        <td data-label="{contact_label}">{contact}</td>\n'
    '        <td class="text-end text-nowrap" data-label="{revenue_label}">{revenue}</td>\n'
    '        <td class="text-nowrap" data-label="{last_contact_label}">{last_contact}</td>\n'
    '        <td data-label="{tags_label}">{tags}</td>\n'
    "      </tr>\n    "
)
_NO_CONTACT = mark_safe('<span class="text-body-secondary">—</span>')


@register.simple_tag
def client_lines(clients: Iterable[Client], studio: Any, **labels: str) -> SafeString:
    """`{% client_lines page studio client_label=… tags_label=… %}`: the client list's rows, from `client_rows`.

    Written in Python rather than as a template loop: the loop's variable lookups were most of the page.
    The labels are the columns' headings, repeated on every cell for narrow screens.
    """
    heads = {name: escape(label) for name, label in labels.items()}
    lines = []
    for client in clients:
        contact = client.contact
        lines.append(
            html_format(
                _LINE,
                url=url_with_id("clients:detail", client.pk),
                name=client.name,
                badge=tier_badge(client),
                status=client.status_label,
                contact=_NO_CONTACT
                if contact is None
                else html_format(
                    '{}<br><span class="small text-body-secondary">{}</span>', contact.name, contact.email
                ),
                revenue=money_round(client.revenue_12m, studio.currency),
                last_contact=last_contact(client, studio),
                tags=_tag_badges(client.tag_names),
                **heads,
            )
        )
    return mark_safe("".join(lines))  # noqa: S308 - html_format escaped every value


def _tag_badges(names: Iterable[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - each name escaped
        "".join(f'<span class="badge text-bg-light border">{escape(name)}</span> ' for name in names)
    )
