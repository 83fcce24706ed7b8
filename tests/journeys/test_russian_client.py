"""A Russian client hears from the studio in Russian: dates, money and quotation marks included.

She books a call in her portal and gets the confirmation; the freelancer moves a milestone and the
notice is drafted for her; her deposit stays open and the reminder goes out. Each reads as Russian
(Babel's "понедельник, 7 декабря", "2 000,00 €", «…»), with no English or English quotes left.
"""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from comms import compose
from comms.models import OutboxEmail
from kernel.models import Studio, SweepSchedule
from projects import reminders
from projects.drafts import status_update_get_or_draft
from projects.models import DeadlineChange, Project
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import (
    ActionItemFactory,
    ClientFactory,
    ContactFactory,
    MessageFactory,
    MilestoneFactory,
    ProjectFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
NBSP = "\xa0"
ENGLISH_QUOTES = re.compile(r"[“”\"]")
ENGLISH_WORDS = re.compile(r"\b(the|and|your|call|deposit|date|Hello|Hi|Topic|Project)\b")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anna(studio: Studio):
    client = ClientFactory(studio=studio, name="Пекарня Блюм", language="ru", timezone="Europe/Berlin")
    return ContactFactory(client=client, name="Анна Блюм", email="anna@blum.example", is_primary=True)


@pytest.fixture
def project(anna) -> Project:
    return ProjectFactory(
        client=anna.client, title="Сайт пекарни", status=Project.Status.AWAITING_DEPOSIT, currency="EUR",
        price_minor=400_000, deposit_percent=50, deposit_requested_at=datetime(2026, 12, 1, 10, tzinfo=BERLIN),
        start_on=date(2026, 12, 1), deadline_on=date(2027, 2, 26), active_from=None,
    )  # fmt: skip


def in_portal(contact) -> Browser:
    link, _token = issue_link(contact)
    browser = Browser()
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    return browser


def reads_as_russian(text: str) -> None:
    assert not ENGLISH_QUOTES.search(text), text
    assert not ENGLISH_WORDS.search(text), text


@time_machine.travel(MONDAY, tick=False)
def test_a_russian_client_books_a_call_and_the_confirmation_is_in_russian(studio: Studio, owner, anna, project):
    portal = in_portal(anna)
    start = datetime(2026, 12, 8, 14, 0, tzinfo=BERLIN).isoformat()

    booking = portal.get(reverse("portal:call_book"))
    done = portal.post(
        reverse("portal:call_book"),
        {"duration": "15", "topic": "Меню и фотографии", "project": str(project.pk), "start": start},
        follow=True,
    )

    assert booking.status_code == 200
    assert "вторник, 8 декабря 2026, 14:00" in done.content.decode()
    email = OutboxEmail.objects.get(kind="call-invite")
    assert email.to == ["anna@blum.example"]
    assert "Спасибо, что записались на созвон! Когда: вторник, 8 декабря 2026, 14:00." in email.text
    assert "Здравствуйте, Анна!" in email.text
    assert "Меню и фотографии" in email.subject
    reads_as_russian(email.subject)
    reads_as_russian(email.text.replace("Europe/Berlin", ""))


@time_machine.travel(MONDAY, tick=False)
def test_the_freelancer_moves_a_milestone_and_the_notice_is_drafted_in_russian(owner_client: Browser, project):
    milestone = MilestoneFactory(project=project, title="Дизайн главной", due_on=date(2026, 12, 18), order=1)

    response = owner_client.post(
        reverse("projects:move_date", args=[project.pk]),
        {"new_date": "2027-01-08", "reason": "Ждём фотографии.", "milestone": str(milestone.pk)},
    )

    assert response.status_code == 302
    change = DeadlineChange.objects.get(project=project)
    assert change.notice_subject == "Новая дата — Сайт пекарни, «Дизайн главной»: пятница, 8 января 2027"
    assert "«Дизайн главной»" in change.notice_text
    assert "пятница, 18 декабря 2026" in change.notice_text
    assert "пятница, 26 февраля 2027" in change.notice_text  # the project deadline, unchanged
    reads_as_russian(change.notice_subject)
    reads_as_russian(change.notice_text)


def test_the_deposit_reminder_writes_money_the_russian_way(studio: Studio, owner, anna, project):
    SweepSchedule.objects.update(next_run_at=MONDAY)
    with time_machine.travel(MONDAY, tick=False):
        reminders.deposit_sweep(MONDAY)

    email = OutboxEmail.objects.get(kind="deposit-reminder")
    assert email.subject == f"Сайт пекарни: предоплата 2{NBSP}000,00{NBSP}€ ещё не получена"
    assert f"2{NBSP}000,00{NBSP}€" in email.text
    reads_as_russian(email.subject)
    reads_as_russian(email.text)


@time_machine.travel(MONDAY, tick=False)
def test_her_portal_shows_money_and_dates_the_russian_way(anna, project):
    portal = in_portal(anna)

    payments = portal.get(reverse("portal:payments", args=[project.pk])).content.decode()

    assert f"2{NBSP}000,00{NBSP}€" in payments
    assert "€2,000.00" not in payments


@time_machine.travel(datetime(2026, 12, 11, 9, 0, tzinfo=UTC), tick=False)  # a Friday
def test_her_friday_update_is_drafted_in_russian(anna, project):
    project.status = Project.Status.IN_PROGRESS
    project.save()
    MilestoneFactory(project=project, title="Дизайн главной", due_on=date(2026, 12, 18), order=1)
    ActionItemFactory(project=project, owner="client", text="Прислать фотографии", due_on=date(2026, 12, 9))

    update = status_update_get_or_draft(project=project, now=timezone.now())

    text = "\n".join([update.summary, update.next_up, update.blockers, update.client_next_steps])
    assert "пятница, 26 февраля" in text
    assert "Дизайн главной" in text
    assert "Прислать фотографии" in text
    assert "ср, 9 дек." in text
    reads_as_russian(text)


@time_machine.travel(MONDAY, tick=False)
def test_an_acknowledgment_to_her_promises_the_date_in_russian(studio: Studio, owner, anna, project):
    thread_message = MessageFactory(
        thread__studio=studio, thread__client=anna.client, from_email=anna.email, text="Когда будет готово?"
    )

    values = compose.initial_values(
        studio, client=anna.client, reply_to=thread_message, template=compose.ACKNOWLEDGMENT_TEMPLATE
    )

    assert values["language"] == "ru"
    assert "Полный ответ пришлю не позже срока: понедельник, 7 декабря 2026, 18:00." in values["body"]
    assert " пишет:\n>" in values["body"]
    reads_as_russian(values["body"].split(" пишет:")[0].rsplit("\n", 1)[0])
