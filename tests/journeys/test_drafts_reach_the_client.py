"""Nothing Rapport drafts for a client is a dead end (R7, R8, R11, R12), walked through the views.

A moved date and the maintenance offer go from the project page to Compose in one click, addressed to
the project's contacts in the client's language, out through the outbox, and the project page says
they were sent; a call proposal is an email about a call that opens the slot picker; a payment
recorded from a project returns to it, and a complete deposit offers or starts work and tells the client.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Client, Contact, Payment
from comms.models import OutboxEmail
from comms.outbox import deliver_due
from projects.models import Call, DeadlineChange, PortalLink, Project
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import ClientFactory, ContactFactory, MessageFactory, MilestoneFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 18 November 2026, 11:00 in Berlin: working hours, well before the project's dates.
WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
Status = Project.Status


@pytest.fixture(autouse=True)
def clock():
    cache.clear()
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller
    cache.clear()


@pytest.fixture(params=["en", "ru"])
def customer(request, studio) -> Client:
    return ClientFactory(studio=studio, name="Blum Bakery", language=request.param)


@pytest.fixture
def anna(customer) -> Contact:
    return ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)


@pytest.fixture
def ben(customer) -> Contact:
    return ContactFactory(client=customer, name="Ben Blum", email="ben@blum.example")


@pytest.fixture
def site(customer, anna, ben) -> Project:
    project = ProjectFactory(
        client=customer,
        title="Bakery website",
        status=Status.IN_PROGRESS,
        price_minor=400_000,
        deposit_percent=50,
        start_on=date(2026, 11, 2),
        deadline_on=date(2026, 12, 18),
    )
    MilestoneFactory(project=project, title="Designs", due_on=date(2026, 11, 27))
    return project


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def project_page(browser: Browser, project: Project) -> str:
    response = browser.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 200
    return response.content.decode()


def draft_states(html: str) -> list[str]:
    return re.findall(r'data-testid="client-draft" data-state="(\w+)"', html)


def send_from_compose(browser: Browser, compose_url: str) -> tuple[dict, object]:
    """Open Compose from the draft's link and press Send with what it shows; (initial values, response)."""
    page = browser.get(compose_url)
    assert page.status_code == 200
    form = page.context["form"]
    values = {name: form[name].value() for name in ("to", "cc", "subject", "body", "language", "token", "from_draft")}
    values["requires_action"] = "on" if form["requires_action"].value() else ""
    return values, browser.post(reverse("comms:compose"), {k: v for k, v in values.items() if v})


def deliver(clock) -> None:
    """Past the undo window, run the outbox worker as the Celery task does."""
    clock.shift(timedelta(minutes=1))
    deliver_due()


def log_into_portal(contact: Contact) -> Browser:
    browser = Browser()
    link, _token = issue_link(contact)
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    return browser


# --- a moved date (R12) -----------------------------------------------------------------------------


def test_a_moved_deadline_reaches_the_client_in_one_click_and_the_page_says_it_went(
    owner_client, site, customer, anna, clock, mailoutbox
):
    moved = owner_client.post(
        reverse("projects:move_date", args=[site.pk]),
        {"new_date": "2027-01-15", "reason": "The photos arrive two weeks later.", "milestone": ""},
    )
    change = DeadlineChange.objects.get()
    assert moved.url == reverse("projects:detail", args=[site.pk]) + f"#change-{change.pk}"

    html = project_page(owner_client, site)
    assert draft_states(html) == ["unsent"]
    compose_url = f"{reverse('comms:compose')}?draft=deadline-notice:{change.pk}"
    assert compose_url in html

    values, sent = send_from_compose(owner_client, compose_url)
    assert values["to"] == "anna@blum.example"
    assert values["cc"] == "ben@blum.example"
    assert values["language"] == customer.language
    assert values["subject"] == change.notice_subject
    moving = {"en": "We're moving the deadline for Bakery website", "ru": "Мы переносим срок сдачи проекта"}
    assert moving[customer.language] in values["body"]
    assert "The photos arrive two weeks later." in values["body"]
    assert sent.status_code == 302
    assert sent.url == reverse("projects:detail", args=[site.pk]) + f"#change-{change.pk}"

    email = OutboxEmail.objects.get()
    assert (email.to, email.cc) == (["anna@blum.example"], ["ben@blum.example"])
    assert (email.project, email.client) == (site, customer)
    assert email.status == OutboxEmail.Status.QUEUED
    assert draft_states(project_page(owner_client, site)) == ["queued"]

    deliver(clock)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert [message.subject for message in mailoutbox] == [change.notice_subject]
    html = project_page(owner_client, site)
    assert draft_states(html) == ["sent"]
    assert "on 18 Nov 2026, 11:01 to anna@blum.example" in html  # the studio's time, not UTC
    assert "Send to client" not in html

    portal = log_into_portal(anna).get(reverse("portal:project", args=[site.pk])).content.decode()
    assert "The photos arrive two weeks later." in portal
    assert {"en": "15 January 2027", "ru": "15 января 2027"}[customer.language] in portal


def test_an_undone_notice_is_not_sent_yet_and_can_be_sent_again(owner_client, site, anna, clock):
    owner_client.post(
        reverse("projects:move_date", args=[site.pk]),
        {"new_date": "2027-01-15", "reason": "Waiting for the photos.", "milestone": ""},
    )
    change = DeadlineChange.objects.get()
    compose_url = f"{reverse('comms:compose')}?draft=deadline-notice:{change.pk}"
    send_from_compose(owner_client, compose_url)
    email = OutboxEmail.objects.get()

    undone = owner_client.post(reverse("comms:undo", args=[email.pk]))
    restored = owner_client.get(undone.url)

    assert restored.context["form"]["from_draft"].value() == f"deadline-notice:{change.pk}"
    assert draft_states(project_page(owner_client, site)) == ["unsent"]
    send_from_compose(owner_client, compose_url)
    assert draft_states(project_page(owner_client, site)) == ["queued"]


# --- the maintenance offer at launch (R7) -------------------------------------------------------------


def test_the_maintenance_offer_drafted_at_launch_goes_out_the_same_way(owner_client, site, customer, clock, mailoutbox):
    Project.objects.filter(pk=site.pk).update(status=Status.IN_REVIEW)
    owner_client.post(reverse("projects:set_status", args=[site.pk]), {"status": Status.LAUNCHED})
    site.refresh_from_db()
    assert site.maintenance_offer_draft

    html = project_page(owner_client, site)
    assert draft_states(html) == ["unsent"]
    compose_url = f"{reverse('comms:compose')}?draft=maintenance-offer:{site.pk}"
    assert compose_url in html

    values, sent = send_from_compose(owner_client, compose_url)
    assert (values["to"], values["cc"]) == ("anna@blum.example", "ben@blum.example")
    assert values["language"] == customer.language
    subject = {
        "en": "Looking after Bakery website after launch",
        "ru": "Поддержка сайта «Bakery website» после запуска",
    }
    assert values["subject"] == subject[customer.language]
    assert values["body"] == site.maintenance_offer_draft
    assert sent.url == reverse("projects:detail", args=[site.pk]) + "#maintenance"
    reminder = site.action_items.get(owner="us")
    assert reminder.text == "Send the maintenance offer to Blum Bakery"
    assert reminder.done_at is not None

    deliver(clock)

    assert [message.to for message in mailoutbox] == [["anna@blum.example"]]
    assert draft_states(project_page(owner_client, site)) == ["sent"]


# --- proposing a call (R8) -----------------------------------------------------------------------------


def test_propose_a_call_sends_an_email_about_the_call_that_opens_the_slot_picker(
    owner_client, customer, anna, clock, mailoutbox
):
    message = MessageFactory(thread__client=customer, from_email=anna.email, subject="Re: Menu colours")

    page = owner_client.get(reverse("comms:message", args=[message.pk])).content.decode()
    assert 'value="Menu colours"' in page
    owner_client.post(reverse("calls:propose", args=[message.pk]), {"topic": "Menu colours and fonts"})

    email = OutboxEmail.objects.get()
    assert email.kind == "call-proposal"
    assert email.to == ["anna@blum.example"]
    words = {
        "en": ("A short call about “Menu colours and fonts”?", "short call", "Length: 15 minutes"),
        "ru": ("Созвонимся ненадолго: «Menu colours and fonts»?", "коротком звонке", "Длительность: 15 мин"),
    }[customer.language]
    assert email.subject == words[0]
    assert words[1] in email.text
    assert words[2] in email.text
    assert "Menu colours and fonts" in email.text
    assert "Menu colours and fonts" in email.html

    assert "/portal/enter/" in email.text  # the link is there, sealed until the email leaves (no token at rest)
    deliver(clock)
    url = re.search(r"https?://\S+/portal/enter/\S+/", mailoutbox[-1].body).group(0)
    visitor = Browser()
    landing = visitor.post(urlsplit(url).path)
    assert urlsplit(landing.url).path == reverse("portal:call_book")
    assert parse_qs(urlsplit(landing.url).query)["topic"] == ["Menu colours and fonts"]
    picker = visitor.get(landing.url)
    assert picker.status_code == 200
    assert picker.context["form"]["topic"].value() == "Menu colours and fonts"
    assert PortalLink.objects.get().contact == anna
    assert not Call.objects.exists()


# --- payments and the deposit (R11) ---------------------------------------------------------------------


@pytest.fixture
def waiting(site) -> Project:
    Project.objects.filter(pk=site.pk).update(status=Status.AWAITING_DEPOSIT, deposit_requested_at=WEDNESDAY)
    site.refresh_from_db()
    return site


def pay_from_project(browser: Browser, project: Project, amount: str) -> object:
    html = project_page(browser, project)
    link = re.search(r'href="([^"]*/payments/new/[^"]*)"', html).group(1).replace("&amp;", "&")
    form = browser.get(link)
    assert form.status_code == 200
    data = {**{k: v for k, v in form.context["form"].initial.items() if k in ("project", "currency")}}
    data.update({"amount": amount, "paid_on": "2026-11-18", "method": Payment.Method.choices[0][0]})
    return browser.post(link, data)


def test_a_payment_recorded_from_a_project_returns_to_it_and_a_complete_deposit_offers_to_start(
    owner_client, waiting, customer, clock, mailoutbox
):
    partial = pay_from_project(owner_client, waiting, "1000")
    assert partial.url == reverse("projects:detail", args=[waiting.pk])
    assert 'data-testid="offer-start"' not in project_page(owner_client, waiting)

    complete = pay_from_project(owner_client, waiting, "1000")
    assert complete.url == reverse("projects:detail", args=[waiting.pk])
    assert any("is paid in full" in text for text in texts(complete))
    html = project_page(owner_client, waiting)
    assert 'data-testid="offer-start"' in html
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_DEPOSIT
    assert not OutboxEmail.objects.exists()

    started = owner_client.post(reverse("projects:set_status", args=[waiting.pk]), {"status": Status.IN_PROGRESS})

    waiting.refresh_from_db()
    assert waiting.status == Status.IN_PROGRESS
    assert any("work has started" in text for text in texts(started))
    email = OutboxEmail.objects.get(kind="work-started")
    assert (email.to, email.cc, email.project) == (["anna@blum.example"], ["ben@blum.example"], waiting)
    told = {
        "en": ("Your deposit has arrived: work on Bakery website has started", "€2,000.00", "Designs"),
        "ru": ("Предоплата получена: работа над проектом «Bakery website» началась", "Designs", "18 декабря 2026"),
    }[customer.language]
    assert email.subject == told[0]
    assert told[1] in email.text
    assert told[2] in email.text
    html = project_page(owner_client, waiting)
    assert 'data-testid="offer-start"' not in html
    assert 'data-testid="work-started-email"' in html

    deliver(clock)
    assert [message.subject for message in mailoutbox] == [told[0]]


def test_with_the_studio_setting_a_complete_deposit_starts_work_and_tells_the_client(
    owner_client, studio, waiting, clock
):
    studio.start_work_on_deposit = True
    studio.save(update_fields=["start_work_on_deposit"])

    pay_from_project(owner_client, waiting, "1999.99")
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_DEPOSIT
    assert not OutboxEmail.objects.exists()

    response = pay_from_project(owner_client, waiting, "0.01")

    assert response.url == reverse("projects:detail", args=[waiting.pk])
    waiting.refresh_from_db()
    assert waiting.status == Status.IN_PROGRESS
    assert waiting.active_from == date(2026, 11, 18)
    assert OutboxEmail.objects.get().kind == "work-started"
    assert any("work has started" in text for text in texts(response))
