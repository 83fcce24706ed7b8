from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clients.models import Client
from clients.services import tier_reason_text
from kernel.links import url_with_id
from kernel.markup import escaped, html_format
from kernel.templatetags.rapport import last_contact_in, money_round

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


_NO_CONTACT = mark_safe('<span class="text-body-secondary">—</span>')


@register.simple_tag
def client_lines(clients: Iterable[Client], studio: Any, **labels: str) -> SafeString:
    """`{% client_lines page studio client_label=… tags_label=… %}`: the client list's rows, from `client_rows`.

    Written in Python rather than as a template loop: the loop's variable lookups were most of the page.
    The labels are the columns' headings, repeated on every cell for narrow screens.
    """
    head = {name: escape(label) for name, label in labels.items()}
    zone, currency = studio.zoneinfo, studio.currency
    lines = []
    for client in clients:
        contact = client.contact
        if contact is None:
            contact_cell = _NO_CONTACT
        else:
            contact_cell = (
                f'{escaped(contact.name)}<br><span class="small text-body-secondary">{escaped(contact.email)}</span>'
            )
        url = url_with_id("clients:detail", client.pk)
        lines.append(
            "\n      <tr>\n"
            f'        <td data-label="{head["client_label"]}"><a href="{url}" class="fw-semibold">'
            f"{escaped(client.name)}</a> {tier_badge(client)}</td>\n"
            f'        <td data-label="{head["status_label"]}">{escaped(client.status_label)}</td>\n'
            f'        <td data-label="{head["contact_label"]}">{contact_cell}</td>\n'
            f'        <td class="text-end text-nowrap" data-label="{head["revenue_label"]}">'
            f"{escaped(money_round(client.revenue_12m, currency))}</td>\n"
            f'        <td class="text-nowrap" data-label="{head["last_contact_label"]}">'
            f"{last_contact_in(client.last_interaction_at, zone)}</td>\n"
            f'        <td data-label="{head["tags_label"]}">{_tag_badges(client.tag_names)}</td>\n'
            "      </tr>\n    "
        )
    return mark_safe("".join(lines))  # noqa: S308 - every value escaped, or safe markup built here


def _tag_badges(names: Iterable[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - each name escaped
        "".join(f'<span class="badge text-bg-light border">{escaped(name)}</span> ' for name in names)
    )
