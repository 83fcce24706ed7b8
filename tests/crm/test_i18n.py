"""Rapport speaks English and Russian: the catalogs, the language switcher, dates and client emails."""

import os
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse
from django.utils import translation

from clients.models import Client
from comms.models import OutboxEmail
from kernel.dates import long_date, month_name, short_date
from kernel.i18n import LOCALE_DIR, compile_messages, stale_catalogs, supported_language
from kernel.models import Studio, SweepSchedule
from projects import reminders
from projects.services import deadline_change, maintenance_offer_text
from tests.factories import ActionItemFactory, ClientFactory, ContactFactory, ProjectFactory

CATALOGS = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
BERLIN = ZoneInfo("Europe/Berlin")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# What a translation must carry over unchanged: %(name)s / %s / %% placeholders, {{ name }} and HTML tags.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%[sd]|%%|\{\{[^}]*\}\}")
TAG = re.compile(r"</?[a-z][^>]*>")


def catalog_messages(path: Path) -> list:
    with path.open("rb") as po_file:
        return [message for message in read_po(po_file) if message.id]


# --- the catalogs ----------------------------------------------------------------------------------------


def test_there_is_a_russian_catalog():
    assert LOCALE_DIR / "ru" / "LC_MESSAGES" / "django.po" in CATALOGS


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: str(path.relative_to(LOCALE_DIR)))
def test_every_entry_is_translated_and_none_is_fuzzy(path: Path):
    untranslated = [
        message.id
        for message in catalog_messages(path)
        if message.fuzzy or not message.string or (isinstance(message.string, tuple) and not all(message.string))
    ]
    assert untranslated == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: str(path.relative_to(LOCALE_DIR)))
def test_translations_keep_every_placeholder_and_tag(path: Path):
    broken = []
    for message in catalog_messages(path):
        if isinstance(message.id, tuple):
            # A plural form may leave out the number ("one client"), never bring in a name of its own.
            allowed = set(PLACEHOLDER.findall(message.id[0] + message.id[1]))
            broken += [(message.id, form) for form in message.string if not set(PLACEHOLDER.findall(form)) <= allowed]
            continue
        for pattern in (PLACEHOLDER, TAG):
            if sorted(pattern.findall(message.id)) != sorted(pattern.findall(message.string)):
                broken.append((message.id, message.string))
    assert broken == []


def test_russian_plural_forms_are_the_three_of_gettext():
    with (LOCALE_DIR / "ru" / "LC_MESSAGES" / "django.po").open("rb") as po_file:
        catalog = read_po(po_file)
    assert catalog.num_plurals == 3
    plurals = [message for message in catalog if isinstance(message.id, tuple)]
    assert plurals
    assert all(len(message.string) == 3 for message in plurals)


def test_catalogs_compile_with_babel_and_only_when_changed(tmp_path: Path):
    shutil.copytree(LOCALE_DIR / "ru", tmp_path / "ru", ignore=shutil.ignore_patterns("*.mo"))
    po_path = tmp_path / "ru" / "LC_MESSAGES" / "django.po"

    assert stale_catalogs(tmp_path) == [po_path]
    assert compile_messages(locale_dir=tmp_path) == [po_path.with_suffix(".mo")]
    assert compile_messages(locale_dir=tmp_path) == []  # up to date: nothing to do

    with po_path.with_suffix(".mo").open("rb") as mo_file:
        compiled = read_mo(mo_file)
    assert compiled.get("Sign in to Rapport").string == "Вход в Rapport"
    assert oct(po_path.with_suffix(".mo").stat().st_mode & 0o777) == "0o644"

    later = po_path.with_suffix(".mo").stat().st_mtime + 10  # the catalog edited after it was compiled
    os.utime(po_path, (later, later))
    assert compile_messages(locale_dir=tmp_path) == [po_path.with_suffix(".mo")]
    assert compile_messages(locale_dir=tmp_path, stale_only=False) == [po_path.with_suffix(".mo")]


@pytest.mark.parametrize(
    ("code", "expected"), [("ru", "ru"), ("ru-RU", "ru"), ("EN-us", "en"), ("de", "en"), ("", "en")]
)
def test_supported_language(code, expected):
    assert supported_language(code) == expected


# --- the freelancer's pages ----------------------------------------------------------------------------


def test_pages_follow_the_browsers_language(client: Browser, db):
    english = client.get(reverse("login")).content.decode()
    russian = client.get(reverse("login"), headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"}).content.decode()

    assert "Sign in to Rapport" in english
    assert "Вход в Rapport" in russian
    assert "Забыли пароль?" in russian
    assert '<html lang="ru">' in russian


def test_the_switcher_sets_the_language_cookie_and_returns_to_the_page(client: Browser, db):
    page = client.get(reverse("login")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert 'name="language" value="ru"' in page
    assert "Русский" in page

    response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("login")})

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert "Вход в Rapport" in client.get(reverse("login")).content.decode()


def test_a_signed_in_freelancer_can_switch_too(owner_client: Browser):
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    page = owner_client.get(reverse("clients:index")).content.decode()

    assert "Клиенты" in page
    assert 'data-testid="language-switcher"' in page
    assert 'value="en"' in page


# --- dates -----------------------------------------------------------------------------------------------


def test_dates_in_english_stay_as_they_were():
    assert long_date(date(2026, 12, 4)) == "Friday 4 December 2026"
    assert long_date(date(2026, 12, 4), with_year=False) == "Friday 4 December"
    assert short_date(date(2026, 11, 24)) == "Tue 24 Nov"
    assert month_name(12) == "December"


def test_dates_in_russian_use_the_genitive_month_and_lowercase_weekday():
    assert long_date(date(2026, 3, 2), language="ru") == "понедельник, 2 марта 2026"
    assert long_date(date(2026, 12, 4), with_year=False, language="ru") == "пятница, 4 декабря"
    assert short_date(date(2026, 11, 24), language="ru") == "вт, 24 нояб."
    assert month_name(12, language="ru") == "декабрь"


def test_dates_follow_the_active_language():
    with translation.override("ru"):
        assert long_date(date(2026, 3, 2)) == "понедельник, 2 марта 2026"
    with translation.override("en"):
        assert long_date(date(2026, 3, 2)) == "Monday 2 March 2026"


# --- client emails in the client's language ---------------------------------------------------------------

REQUESTED = datetime(2026, 11, 2, 15, 0, tzinfo=BERLIN)  # a Monday


def sweep(function, when: datetime) -> int:
    SweepSchedule.objects.update(next_run_at=when)
    with time_machine.travel(when, tick=False):
        return function(when)


def awaiting_deposit(studio: Studio, *, language: str, title: str):
    customer = ClientFactory(studio=studio, language=language)
    ContactFactory(client=customer, name="Zoe Baker", email=f"zoe@{language}.example", is_primary=True)
    return ProjectFactory(
        client=customer, title=title, status="awaiting_deposit", price_minor=400_000, deposit_percent=50,
        deposit_requested_at=REQUESTED, active_from=None,
    )  # fmt: skip


def test_deposit_reminders_speak_each_clients_language(studio: Studio, owner):
    russian = awaiting_deposit(studio, language="ru", title="Сайт пекарни")
    english = awaiting_deposit(studio, language="en", title="Bakery site")

    sweep(reminders.deposit_sweep, datetime(2026, 11, 5, 10, tzinfo=BERLIN))

    to_russian = OutboxEmail.objects.get(project=russian)
    to_english = OutboxEmail.objects.get(project=english)
    assert to_russian.subject == "Сайт пекарни: предоплата 2\xa0000,00\xa0€ ещё не получена"
    assert "Здравствуйте, Zoe!" in to_russian.text
    assert "СЛЕДУЮЩИЕ ШАГИ" in to_russian.text
    assert "Следующие шаги" in to_russian.html
    assert to_english.subject == "Bakery site: the deposit of €2,000.00 is still open"
    assert not CYRILLIC.search(to_english.text)


def test_action_item_reminders_speak_the_clients_language_dates_included(studio: Studio):
    studio.client_action_reminders = True
    studio.save()
    customer = ClientFactory(studio=studio, language="ru")
    ContactFactory(client=customer, name="Иван Петров", email="ivan@client.example", is_primary=True)
    project = ProjectFactory(client=customer, title="Сайт", active_from=date(2026, 1, 1))
    ActionItemFactory(project=project, text="Прислать логотип", due_on=date(2026, 11, 20))

    sweep(reminders.deadlines_sweep, datetime(2026, 11, 19, 10, tzinfo=BERLIN))

    email = OutboxEmail.objects.get(kind="action-item-reminder")
    assert email.subject == "Сайт: напоминание — срок завтра"
    assert "Здравствуйте, Иван!" in email.text
    assert "(пятница, 20 ноября 2026)" in email.text


def test_a_deadline_notice_is_drafted_in_the_clients_language(studio: Studio, owner):
    customer = ClientFactory(studio=studio, name="Пекарня", language="ru")
    project = ProjectFactory(client=customer, title="Сайт", deadline_on=date(2026, 12, 4), start_on=None)

    change = deadline_change(project=project, new_date=date(2026, 12, 11), reason="Ждём тексты.", by=owner)

    assert change.notice_subject == "Новая дата — Сайт: пятница, 11 декабря 2026"
    assert change.notice_text.startswith("Здравствуйте, Пекарня!\n\n")
    assert "Было: пятница, 4 декабря 2026; стало: пятница, 11 декабря 2026." in change.notice_text
    assert "Почему: Ждём тексты." in change.notice_text


def test_the_maintenance_offer_is_drafted_in_the_clients_language(studio: Studio):
    customer = ClientFactory(studio=studio, name="Пекарня", language="ru")
    project = ProjectFactory(client=customer, title="Сайт", price_minor=400_000, currency="EUR")

    text = maintenance_offer_text(project=project, today=date(2026, 11, 20))

    assert text.startswith("Здравствуйте, Пекарня!\n\n")
    assert "мы предлагаем 200\xa0€ в месяц" in text
    assert "Следующие шаги:\n" in text  # the coach and the email's bold block know this line
    assert text.endswith("Дата начала: вторник, 1 декабря 2026.\n")


@time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=UTC), tick=False)
def test_an_inquiry_is_acknowledged_in_the_language_of_the_form_and_the_new_client_keeps_it(
    client: Browser, studio: Studio, owner
):
    cache.clear()
    form = {"name": "Анна", "email": "anna@example.ru", "company": "", "phone": "", "budget": "", "website": ""}
    form["message"] = "Нужен сайт для пекарни к весне, с онлайн-заказом."

    client.post(reverse("inquiry:form", args=[studio.slug]), form, headers={"accept-language": "ru"})
    cache.clear()

    ack = OutboxEmail.objects.get(kind="inquiry-ack")
    assert ack.subject == "Мы получили ваше сообщение — Northlight"
    assert "вторник, 24 ноября, 10:30 (время Europe/Berlin)" in ack.text
    assert Client.objects.get(studio=studio).language == "ru"


def test_a_known_clients_acknowledgment_uses_the_language_the_studio_set(client: Browser, studio: Studio, owner):
    cache.clear()
    known = ClientFactory(studio=studio, language="ru")
    ContactFactory(client=known, name="Анна", email="anna@example.ru")
    form = {"name": "Анна", "email": "anna@example.ru", "message": "A question about our shop, in English this time."}

    client.post(reverse("inquiry:form", args=[studio.slug]), {**form, "website": ""})
    cache.clear()

    assert OutboxEmail.objects.get(kind="inquiry-ack").subject == "Мы получили ваше сообщение — Northlight"
