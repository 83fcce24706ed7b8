"""The main pages in Russian show no English left over: no catalog sentence in its English original.

The demo studio's pages are read with the language cookie set to Russian, a Russian client's portal
in her language; any text that is a catalog entry's English (three words or more, no placeholders)
is a leftover: a string that skipped translation, or one the catalog lacks in Russian.
"""

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from io import StringIO

import pytest
import time_machine
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse

from comms.models import Message
from desk.demo import DEMO_STUDIO_SLUG
from kernel.i18n import LOCALE_DIR
from kernel.models import Membership, Studio
from projects.models import Project
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import ClientFactory, ContactFactory, MilestoneFactory, PaymentFactory, ProjectFactory

PLACEHOLDER = re.compile(r"%\(|%[sd]|\{\{|<")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def english_sentences() -> set[str]:
    """Catalog entries of three words or more whose Russian differs: their English must not show."""
    with (LOCALE_DIR / "ru" / "LC_MESSAGES" / "django.po").open("rb") as po_file:
        catalog = read_po(po_file)
    found = set()
    for message in catalog:
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            if text and len(text.split()) >= 3 and not PLACEHOLDER.search(text) and message.string != text:
                found.add(" ".join(text.split()))
    return found


class VisibleText(HTMLParser):
    """Text nodes and the attributes people read (title, placeholder, aria-label), outside scripts and code."""

    HIDDEN = {"script", "style", "code", "pre"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._hidden += tag in self.HIDDEN
        self.parts += [value for key, value in attrs if key in ("title", "placeholder", "aria-label") and value]

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self.HIDDEN

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def leftovers(html: str, sentences: set[str]) -> list[str]:
    reader = VisibleText()
    reader.feed(html)
    return [part for part in reader.parts if part in sentences]


@pytest.fixture(scope="module")
def sentences() -> set[str]:
    return english_sentences()


@pytest.fixture
def demo(db, settings) -> Studio:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    return Studio.objects.get(slug=DEMO_STUDIO_SLUG)


def test_the_dashboard_pages_in_russian_have_no_english_left(demo: Studio, sentences: set[str]):
    browser = Browser()
    browser.force_login(Membership.objects.filter(studio=demo).first().user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    project = Project.objects.filter(studio=demo).order_by("pk").first()
    client, message = project.client, Message.objects.filter(client__studio=demo).first()
    pages = [
        reverse("today"), reverse("clients:index"), reverse("clients:detail", args=[client.pk]),
        reverse("clients:edit", args=[client.pk]), reverse("clients:touchpoints"), reverse("clients:revenue"),
        reverse("clients:payment_add", args=[client.pk]), reverse("projects:index"),
        reverse("projects:detail", args=[project.pk]), reverse("projects:edit", args=[project.pk]),
        reverse("projects:move_date", args=[project.pk]), reverse("projects:resources"), reverse("comms:inbox"),
        reverse("comms:outbox"), reverse("comms:message", args=[message.pk]), reverse("comms:compose"),
        reverse("comms:log"), reverse("calls:index"), reverse("reports"), reverse("settings"),
        reverse("mailsources:index"),
    ]  # fmt: skip
    found = {}
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        if english := leftovers(response.content.decode(), sentences):
            found[url] = english
    assert found == {}
    mail_sources = browser.get(reverse("mailsources:index")).content.decode()
    assert "входящий URL" in mail_sources  # the providers' setup steps


@time_machine.travel(NOW, tick=False)
def test_a_russian_clients_portal_has_no_english_left(studio: Studio, sentences: set[str]):
    customer = ClientFactory(studio=studio, name="Пекарня", language="ru")
    contact = ContactFactory(client=customer, name="Анна", email="anna@example.ru", is_primary=True)
    project = ProjectFactory(
        client=customer, title="Сайт пекарни", status=Project.Status.IN_PROGRESS, price_minor=400_000,
        deposit_percent=50, start_on=date(2026, 11, 2), deadline_on=date(2027, 2, 26),
    )  # fmt: skip
    MilestoneFactory(project=project, title="Дизайн", due_on=date(2026, 12, 18), order=1)
    PaymentFactory(client=customer, project=project, amount_minor=200_000, currency="EUR", paid_on=date(2026, 11, 5))
    link, _token = issue_link(contact)
    browser = Browser()
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    pages = [
        reverse("portal:home"), reverse("portal:project", args=[project.pk]),
        reverse("portal:payments", args=[project.pk]), reverse("portal:agreement", args=[project.pk]),
        reverse("portal:calls"), reverse("portal:call_book"), reverse("portal:contact"), reverse("portal:messages"),
    ]  # fmt: skip
    found = {}
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        if english := leftovers(response.content.decode(), sentences):
            found[url] = english
    assert found == {}
    payments = browser.get(reverse("portal:payments", args=[project.pk])).content.decode()
    assert "2\xa0000,00\xa0€" in payments
    assert "пятница, 26 февраля 2027" in browser.get(reverse("portal:project", args=[project.pk])).content.decode()
