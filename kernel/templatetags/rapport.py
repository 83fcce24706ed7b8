from datetime import date, datetime, tzinfo
from typing import Any

from django import template
from django.conf import settings
from django.template.defaulttags import CsrfTokenNode
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel import formfields
from kernel.dates import day_and_time, day_date, long_date, long_datetime
from kernel.links import fixed_url, url_with_id, url_with_ids
from kernel.markup import html_format
from kernel.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """`{{ payment.amount_minor|money:payment.currency }}`."""
    return "" if minor is None else format_money(minor, currency)


@register.filter
def money_round(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_money(minor, currency, cents=False)


@register.filter
def link(name: str, pk: int) -> str:
    """`{{ "clients:detail"|link:client.pk }}`: `{% url %}` for a one-id route, cheap enough for every row of a list."""
    return url_with_id(name, pk)


@register.filter
def route(name: str) -> str:
    """`{{ "portal:home"|route }}`: `{% url %}` for a route taking no argument, reversed once per process."""
    return fixed_url(name)


@register.simple_tag
def link_ids(name: str, *pks: int) -> str:
    """`{% link_ids "projects:milestone_toggle" project.pk milestone.pk %}`: `{% url %}` for a route of several ids."""
    return url_with_ids(name, *pks)


@register.simple_tag(takes_context=True)
def csrf_input(context: template.Context) -> str:
    """`{% csrf_input as csrf %}` once, then `{{ csrf }}` in each form of a long list: what {% csrf_token %} writes."""
    return CsrfTokenNode().render(context)


@register.filter
def bootstrap_field(bound: Any) -> str:
    """`{{ form.title|bootstrap_field }}`: what `|as_crispy_field` renders, without its templates."""
    return formfields.bootstrap_field(bound)


@register.filter
def bootstrap_form(form: Any) -> str:
    """`{{ form|bootstrap_form }}`: what `|crispy` renders, without its templates."""
    return formfields.bootstrap_form(form)


@register.simple_tag
def site_url() -> str:
    """``SITE_URL``, the address Rapport is served from: the base of every absolute link in an email."""
    return settings.SITE_URL


def _local(value: date | datetime) -> date | datetime:
    return timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value


@register.filter(name="day_and_time")
def day_and_time_filter(value: datetime | None) -> str:
    """`{{ message.sent_at|day_and_time }}`: `|date:"D j M, H:i"` ("Mon 7 Dec, 09:45"), cheap enough for every row."""
    return "" if value is None or value == "" else day_and_time(value)


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


@register.filter
def last_contact(client: Any, studio: Any) -> str:
    """`{{ client|last_contact:studio }}`: the client's stored last contact, as its local day or "never".

    Every page that shows it goes through here, so they all say the same thing.
    """
    return last_contact_in(client.last_interaction_at, studio.zoneinfo)


def last_contact_in(at: datetime | None, zone: tzinfo) -> str:
    """`last_contact` for a zone already at hand: a list asks once, not once a line."""
    if at is None:
        return html_format('<span class="last-contact text-body-secondary">{}</span>', _("never"))
    day = at.astimezone(zone).date()
    return html_format('<time class="last-contact" datetime="{}">{}</time>', day.isoformat(), day_date(day))
