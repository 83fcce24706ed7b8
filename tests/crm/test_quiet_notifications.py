"""Every notification to the freelancer follows one rule (R5): it leaves in working hours.

``comms.notify.next_working_time`` says when; Settings says what it does to a reminder hour outside
the working hours.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from comms.models import OutboxEmail
from comms.notify import may_notify_freelancer, next_working_time, notify_freelancer
from comms.reminders import sweep_reply_clocks
from desk.digest import sweep_daily_digest
from kernel.forms import reminder_hour_notes
from kernel.sweeps import schedules_reset
from tests.crm.test_signup_and_settings import settings_post
from tests.factories import ClientFactory, MessageFactory, ThreadFactory

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = date(2026, 11, 25)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def test_the_one_rule_now_in_working_hours_else_the_next_opening(studio):
    assert next_working_time(studio, berlin(WEDNESDAY, 10)) == berlin(WEDNESDAY, 10)
    assert next_working_time(studio, berlin(WEDNESDAY, 18)) == berlin(date(2026, 11, 26), 9)
    assert next_working_time(studio, berlin(date(2026, 11, 28), 12)) == berlin(date(2026, 11, 30), 9)
    assert may_notify_freelancer(studio, berlin(WEDNESDAY, 9))
    assert not may_notify_freelancer(studio, berlin(WEDNESDAY, 8, 59))


def test_notify_freelancer_holds_every_reminder_to_the_opening(studio, owner):
    row = notify_freelancer(
        studio, to=[owner.email], kind="deadline-reminder", key="k:1", template="digest",
        context={"sections": [], "today": "", "date_label": ""}, now=berlin(WEDNESDAY, 22),
    )  # fmt: skip

    assert row.send_after == berlin(date(2026, 11, 26), 9)


@pytest.mark.parametrize(("hour", "leaves"), [(7, berlin(WEDNESDAY, 9)), (11, berlin(WEDNESDAY, 11, 2)),
                                              (20, berlin(date(2026, 11, 26), 9))])  # fmt: skip
def test_the_digest_follows_the_same_rule_as_every_other_reminder(studio, owner, hour, leaves):
    studio.digest_hour = hour
    studio.save()
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    MessageFactory(
        thread=ThreadFactory(client=client, subject="Logo"), sent_at=berlin(date(2026, 11, 24), 16),
        needs_reply=True, reply_due_at=berlin(date(2026, 11, 26), 12),
    )  # fmt: skip
    at = berlin(WEDNESDAY, hour, 2)
    schedules_reset(studio, now=berlin(date(2026, 11, 24), 16))

    with time_machine.travel(at, tick=False):
        sweep_daily_digest(at)

    assert OutboxEmail.objects.get(kind="digest").send_after == leaves


def test_a_reply_clock_warning_waits_for_working_hours(studio, owner):
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    MessageFactory(
        thread=ThreadFactory(client=client, subject="Logo"), sent_at=berlin(WEDNESDAY, 9), needs_reply=True,
        reply_warn_at=berlin(WEDNESDAY, 19), reply_due_at=berlin(date(2026, 11, 26), 10),
    )  # fmt: skip

    assert sweep_reply_clocks(berlin(WEDNESDAY, 20)) == 0  # closed: nothing goes at night
    assert sweep_reply_clocks(berlin(date(2026, 11, 26), 9, 5)) == 1
    assert OutboxEmail.objects.get().send_after == berlin(date(2026, 11, 26), 9, 5)


def test_the_new_lead_notice_of_a_night_time_inquiry_waits_for_the_opening(client, studio, owner):
    night = berlin(WEDNESDAY, 23)
    with time_machine.travel(night, tick=False):
        client.post(
            reverse("inquiry:form", args=[studio.slug]),
            {"name": "Ada Weaver", "email": "ada@weaver.example", "message": "A new site, please.", "website": ""},
        )

    notice = OutboxEmail.objects.get(kind="inquiry-new-lead")
    acknowledgment = OutboxEmail.objects.get(kind="inquiry-ack")
    assert notice.to == [owner.email]
    assert notice.send_after == berlin(date(2026, 11, 26), 9)
    assert acknowledgment.send_after <= night.astimezone(UTC)  # the client's acknowledgment is not a notification to us


# --- Settings say what happens --------------------------------------------------------------------


def test_a_digest_hour_inside_working_hours_has_no_note(studio):
    studio.digest_hour, studio.friday_update_hour = 10, 10
    assert reminder_hour_notes(studio) == {}


def test_a_digest_hour_outside_working_hours_on_every_day_says_it_waits(studio):
    studio.digest_hour = 20

    note = reminder_hour_notes(studio)["digest_hour"]

    assert note.startswith("20:00 is outside your working hours: the digest waits until they next start")


def test_a_digest_hour_outside_some_days_names_them(studio):
    studio.digest_hour = 16
    studio.working_hours = {**studio.working_hours, 4: (time(9), time(15))}

    note = reminder_hour_notes(studio)["digest_hour"]

    assert note.startswith("16:00 is outside your working hours on Friday:")


def test_a_friday_hour_outside_fridays_hours_or_on_a_closed_friday_is_explained(studio):
    studio.friday_update_hour = 19
    assert "outside your Friday working hours" in reminder_hour_notes(studio)["friday_update_hour"]
    studio.working_hours = {day: hours for day, hours in studio.working_hours.items() if day != 4}
    assert "Friday is not a working day for you" in reminder_hour_notes(studio)["friday_update_hour"]


def test_saving_a_digest_hour_after_closing_says_what_will_happen_in_english_and_russian(owner_client, studio):
    response = owner_client.post(reverse("settings"), settings_post(studio, digest_hour="20"), follow=True)

    said = [str(message) for message in response.context["messages"]]
    assert "Settings saved." in said
    assert any(text.startswith("20:00 is outside your working hours") for text in said)
    assert "20:00 is outside your working hours" in response.content.decode()  # under the field, too

    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = owner_client.get(reverse("settings")).content.decode()
    assert "20:00 — вне вашего рабочего времени" in russian


def test_saving_other_settings_repeats_no_note(owner_client, studio):
    studio.digest_hour = 20
    studio.save()

    response = owner_client.post(
        reverse("settings"), settings_post(studio, digest_hour="20", name="Renamed"), follow=True
    )

    said = [str(message) for message in response.context["messages"]]
    assert said == ["Settings saved."]
