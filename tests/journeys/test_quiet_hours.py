"""Quiet hours never make you late (R1, R5): a client email on Friday evening, answered that evening.

Through the views: the email arrives (``comms.inbound.receive``), the freelancer opens Compose from
it, reads what quiet hours would do, sends, and finds the row in the Outbox.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from comms import compose
from comms.inbound import receive
from comms.models import OutboxEmail
from tests.factories import ClientFactory, ContactFactory

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=BERLIN)  # after the 09:00–18:00 day
WRITING_AT = datetime(2026, 11, 27, 20, 0, tzinfo=BERLIN)
MONDAY_OPENING = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)


@pytest.fixture
def ann(studio):
    client = ClientFactory(studio=studio, name="Harbor & Pine")
    ContactFactory(client=client, name="Ann Holm", email="ann@harbor.example", is_primary=True)
    return client


def arrives(studio) -> int:
    raw = (
        b"From: Ann Holm <ann@harbor.example>\nTo: hello@northlight.example\nSubject: Launch tomorrow?\n"
        b"Message-ID: <launch@harbor.example>\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Can we still launch tomorrow morning?\n"
    )
    message = receive(studio, raw, received_at=FRIDAY_EVENING)
    assert message.needs_reply
    return message.pk


def as_the_browser_sends_it(response, **changes) -> dict:
    """The compose form as rendered: its values, the quiet-hours marker when it was shown, and ``changes``."""
    form = response.context["form"]
    data = {name: form[name].value() for name in ("to", "cc", "subject", "body", "language", "template", "token")}
    data["to"] = ", ".join(data["to"]) if isinstance(data["to"], list) else data["to"]
    data["cc"] = ", ".join(data["cc"] or []) if isinstance(data["cc"], list) else data["cc"] or ""
    data["body"] = "Hello Ann,\n\nyes: the site goes live at 08:00.\n\nBest,\nMia"
    if 'name="quiet_shown"' in response.content.decode():
        data["quiet_shown"] = "1"
    if form["send_now"].value():
        data["send_now"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def compose_url(message_pk: int) -> str:
    return f"{reverse('comms:compose')}?reply_to={message_pk}"


@time_machine.travel(WRITING_AT, tick=False)
def test_a_reply_due_before_mondays_opening_is_flagged_with_both_times_and_goes_now(owner_client, studio, ann):
    studio.sla_mode, studio.sla_hours = "calendar", 24  # due Saturday 19:00, before Monday's opening
    studio.save()
    pk = arrives(studio)

    page = owner_client.get(compose_url(pk))

    html = page.content.decode()
    assert page.context["hold"].misses_due
    assert 'data-testid="quiet-hours"' in html
    assert "Monday 30 November, 09:00" in html  # the opening it would wait for
    assert "Saturday 28 November, 19:00" in html  # the reply's due time
    assert "would pass its due time" in html
    assert page.context["form"]["send_now"].value() is True  # sending now is the default

    sent = owner_client.post(compose_url(pk), as_the_browser_sends_it(page), follow=True)

    email = OutboxEmail.objects.get(studio=studio)
    assert email.send_after == WRITING_AT + compose.UNDO_WINDOW  # due now, after the undo window
    assert email.status == OutboxEmail.Status.QUEUED
    outbox = owner_client.get(reverse("comms:outbox")).content.decode()
    assert "Re: Launch tomorrow?" in outbox
    assert sent.status_code == 200


@time_machine.travel(WRITING_AT, tick=False)
def test_without_the_choice_on_the_form_a_reply_that_holding_would_make_late_still_goes_now(owner_client, studio, ann):
    """A form opened in working hours (no quiet-hours choice on it) and sent after closing: never held past due."""
    studio.sla_mode, studio.sla_hours = "calendar", 24
    studio.save()
    pk = arrives(studio)
    page = owner_client.get(compose_url(pk))
    data = as_the_browser_sends_it(page)
    data.pop("quiet_shown"), data.pop("send_now")

    response = owner_client.post(compose_url(pk), data, follow=True)

    assert OutboxEmail.objects.get(studio=studio).send_after == WRITING_AT + compose.UNDO_WINDOW
    said = " ".join(str(message) for message in response.context["messages"])
    assert "would pass its due time" in said
    assert "Monday 30 November, 09:00" in said
    assert "Saturday 28 November, 19:00" in said


@time_machine.travel(WRITING_AT, tick=False)
def test_holding_past_the_due_time_happens_only_when_chosen_and_says_so(owner_client, studio, ann):
    studio.sla_mode, studio.sla_hours = "calendar", 24
    studio.save()
    pk = arrives(studio)
    page = owner_client.get(compose_url(pk))
    data = as_the_browser_sends_it(page)
    data.pop("send_now")  # the freelancer unticks "Send now"

    response = owner_client.post(compose_url(pk), data, follow=True)

    assert OutboxEmail.objects.get(studio=studio).send_after == MONDAY_OPENING
    said = " ".join(str(message) for message in response.context["messages"])
    assert "after its due time, Saturday 28 November, 19:00" in said


@time_machine.travel(WRITING_AT, tick=False)
def test_a_reply_due_after_mondays_opening_is_held_until_then(owner_client, studio, ann):
    pk = arrives(studio)  # one business day: due Monday 18:00

    page = owner_client.get(compose_url(pk))

    html = page.content.decode()
    assert not page.context["hold"].misses_due
    assert "this email waits until Monday 30 November, 09:00" in html
    assert "The reply is due Monday 30 November, 18:00." in html
    assert not page.context["form"]["send_now"].value()

    owner_client.post(compose_url(pk), as_the_browser_sends_it(page))

    email = OutboxEmail.objects.get(studio=studio)
    assert email.send_after == MONDAY_OPENING
    scheduled = owner_client.get(reverse("comms:outbox")).content.decode()
    assert "30 Nov 2026, 09:00" in scheduled  # in the studio's zone


@time_machine.travel(WRITING_AT, tick=False)
def test_the_warning_reads_in_russian(owner_client, studio, ann):
    studio.sla_mode, studio.sla_hours = "calendar", 24
    studio.save()
    pk = arrives(studio)
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    html = owner_client.get(compose_url(pk)).content.decode()

    assert "до начала рабочего дня (понедельник, 30 ноября, 09:00)" in html
    assert "срок ответа (суббота, 28 ноября, 19:00)" in html
    assert "Отправить сейчас" in html


@time_machine.travel(WRITING_AT - timedelta(hours=4), tick=False)
def test_inside_working_hours_compose_says_nothing_about_quiet_hours(owner_client, studio, ann):
    page = owner_client.get(reverse("comms:compose"))

    assert page.context["hold"] is None
    assert 'data-testid="quiet-hours"' not in page.content.decode()
