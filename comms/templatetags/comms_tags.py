from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from comms.inbox import Clock
from kernel.dates import day_and_time

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
            title = format_html(' title="{}"', _("Reply due %(due)s") % {"due": day_and_time(clock.due)})
        badge = format_html(BADGE, "text-bg-danger" if clock.breached else "text-bg-light border", title, clock.text)
        if clock.urgent:
            badge += format_html(' <span class="badge text-bg-warning" data-testid="urgent">{}</span>', _("urgent"))
        return badge
    if clock.state == "replied":
        if clock.breached:
            return format_html(BADGE, "text-bg-warning", "", _("answered late"))
        return format_html(BADGE, "text-bg-success", "", _("answered"))
    if clock.state == "automatic":
        return format_html(BADGE, "text-bg-secondary", "", _("no clock: automatic mail"))
    if clock.state == "unmatched":
        return format_html(BADGE, "text-bg-secondary", "", _("no clock: unknown sender"))
    return mark_safe("")
