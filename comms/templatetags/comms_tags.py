from collections.abc import Iterable
from datetime import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from comms.inbox import Clock
from comms.models import Message
from kernel.dates import day_and_time
from kernel.links import fixed_url, url_with_id
from kernel.markup import html_format

register = template.Library()

BADGE = '<span class="badge {}" data-testid="countdown"{}>{}</span>'


@register.filter
def clock_badge(clock: Clock) -> SafeString:
    """`{{ message.clock|clock_badge }}`: a reply clock or promise as a badge (a countdown, answered, no clock).

    A filter rather than an included template: the inbox shows one on every line.
    """
    if clock.state in ("open", "breached"):
        title = ""
        if clock.due:
            title = html_format(' title="{}"', _("Reply due %(due)s") % {"due": day_and_time(clock.due)})
        badge = html_format(BADGE, "text-bg-danger" if clock.breached else "text-bg-light border", title, clock.text)
        if clock.urgent:
            badge += html_format(' <span class="badge text-bg-warning" data-testid="urgent">{}</span>', _("urgent"))
        return badge
    if clock.state == "replied":
        if clock.breached:
            return html_format(BADGE, "text-bg-warning", "", _("answered late"))
        return html_format(BADGE, "text-bg-success", "", _("answered"))
    if clock.state == "automatic":
        return html_format(BADGE, "text-bg-secondary", "", _("no clock: automatic mail"))
    if clock.state == "unmatched":
        return html_format(BADGE, "text-bg-secondary", "", _("no clock: unknown sender"))
    return mark_safe("")


_OWED_LINE = (
    '\n      <tr data-testid="owed-row"{row_class}>\n'
    '        <td class="text-nowrap" data-label="{due_label}">{clock}\n'
    "          {scheduled}\n"
    "        </td>\n"
    '        <td data-label="{client_label}">{client}</td>\n'
    '        <td data-label="{subject_label}"><a href="{message_url}">{subject}</a>\n'
    '          <div class="small text-body-secondary">{sender}</div></td>\n'
    '        <td class="text-nowrap small" data-label="{received_label}">{received}</td>\n'
    '        <td class="text-end text-nowrap table-stack-actions">\n'
    '          <a class="btn btn-sm btn-primary" href="{compose_url}?reply_to={pk}">{reply_button}</a>\n'
    '          <a class="btn btn-sm btn-outline-primary"'
    ' href="{compose_url}?reply_to={pk}&amp;template=acknowledgment">'
    "{acknowledge_button}</a>\n"
    '          <form method="post" action="{no_reply_url}" class="d-inline">{csrf}\n'
    '            <input type="hidden" name="next" value="{here}">\n'
    '            <button class="btn btn-sm btn-outline-secondary" type="submit">{no_reply_button}</button>\n'
    "          </form>\n"
    "        </td>\n"
    "      </tr>\n    "
)


_BREACHED = mark_safe(' class="table-danger"')


@register.simple_tag
def owed_lines(messages: Iterable[Message], *, here: str, csrf: str) -> SafeString:
    """`{% owed_lines rows here=here csrf=csrf %}`: the inbox's "Replies owed" rows (with their clocks and answers).

    Written in Python rather than as a template loop, the inbox's default tab: the loop's variable
    lookups were most of the page. ``here`` is where the "No reply needed" form returns to.
    """
    words = {
        "due_label": _("Due"), "client_label": _("Client"), "subject_label": _("Subject"),
        "received_label": _("Received"), "reply_button": _("Reply"), "acknowledge_button": _("Acknowledge"),
        "no_reply_button": _("No reply needed"), "compose_url": fixed_url("comms:compose"), "here": here,
    }  # fmt: skip
    safe_words = {name: escape(word) for name, word in words.items()}
    no_subject = _("(no subject)")
    lines = []
    for message in messages:
        client = message.client
        lines.append(
            html_format(
                _OWED_LINE,
                row_class=_BREACHED if message.clock.breached else "",
                clock=clock_badge(message.clock),
                scheduled=_scheduled_note(message.answer_kind, message.answer_leaves),
                client=html_format('<a href="{}">{}</a>', url_with_id("clients:detail", client.pk), client.name)
                if client
                else "",
                message_url=url_with_id("comms:message", message.pk),
                subject=message.subject or no_subject,
                sender=message.from_name or message.from_email,
                received=day_and_time(message.sent_at) if message.sent_at else "",
                pk=message.pk,
                no_reply_url=url_with_id("comms:no_reply_needed", message.pk),
                csrf=csrf,
                **safe_words,
            )
        )
    return mark_safe("".join(lines))  # noqa: S308 - html_format escaped every value


def _scheduled_note(kind: str | None, leaves_at: datetime | None) -> SafeString:
    """The queued answer's kind and when it leaves, as the owed row says it; "" without one."""
    if not kind or leaves_at is None:
        return mark_safe("")
    label = _("acknowledgment") if kind == "acknowledgment" else _("reply")
    when = escape(date_filter(template_localtime(leaves_at), "D H:i"))
    leaves = _("leaves %(when)s") % {"when": when}
    return html_format('<div class="small text-body-secondary">{} {}</div>', label, mark_safe(leaves))  # noqa: S308
