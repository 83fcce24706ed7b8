from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Client, Contact
from comms.models import Message, OutboxEmail
from comms.outbox import deliver_due
from guest.inquiry import lead_create_from_inquiry
from kernel.models import Studio, User
from tests.factories import ClientFactory, ContactFactory, MembershipFactory

# Monday 23 November 2026, 10:30 in Berlin: one business day (9 h on 09:00–18:00) later is Tuesday 10:30.
MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

INQUIRY = {
    "name": "Ada Weaver",
    "email": "ada@weaver.example",
    "company": "Weaver & Sons",
    "phone": "+49 30 1234567",
    "budget": "5-15k",
    "message": "We need a new website for our bakery, ready by spring.",
    "website": "",
}


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form_url(studio: Studio) -> str:
    return reverse("inquiry:form", args=[studio.slug])


def post(browser: Browser, url: str, ip: str = "203.0.113.7", **changes: str):
    return browser.post(url, {**INQUIRY, **changes}, REMOTE_ADDR=ip)


def delivered(mailoutbox: list) -> list:
    """Run the outbox worker, as the Celery task would, and return what left."""
    deliver_due()
    return mailoutbox


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_an_inquiry_creates_a_lead_with_its_primary_contact_and_a_dated_note(
    client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox
):
    response = post(client, form_url)

    assert response.status_code == 302
    assert response.url == reverse("inquiry:thanks", args=[studio.slug])
    lead = Client.objects.get(studio=studio)
    assert (lead.name, lead.kind, lead.status, lead.source) == (
        "Weaver & Sons",
        Client.Kind.COMPANY,
        Client.Status.LEAD,
        Client.Source.WEBSITE,
    )
    contact = lead.contacts.get()
    assert (contact.name, contact.email, contact.phone, contact.is_primary) == (
        "Ada Weaver",
        "ada@weaver.example",
        "+49 30 1234567",
        True,
    )
    assert contact.studio == studio
    inquiry = Message.objects.get(studio=studio)
    assert (inquiry.client, inquiry.direction, inquiry.from_email) == (lead, "in", "ada@weaver.example")
    assert inquiry.text.startswith("Ada Weaver <ada@weaver.example> wrote through the website form:")
    assert "Budget: 5–15k EUR" in inquiry.text
    assert INQUIRY["message"] in inquiry.text
    assert inquiry.needs_reply
    assert inquiry.reply_due_at == MONDAY_MORNING + timedelta(days=1)
    assert lead.last_interaction_at == MONDAY_MORNING


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_an_inquiry_sends_an_acknowledgment_to_the_person_and_a_notice_to_the_owner(
    client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox, settings
):
    post(client, form_url)

    assert len(delivered(mailoutbox)) == 2
    ack, notice = delivered(mailoutbox)
    assert ack.to == ["ada@weaver.example"]
    assert ack.from_email == "Northlight <hello@northlight.example>"
    assert "We got your message" in ack.subject
    ack_html = ack.alternatives[0][0]
    for body in (ack.body, ack_html):
        assert "Hello Ada Weaver," in body
        assert "We need a new website for our bakery" in body
        assert "within one business day" in body
        assert "we'll reply by Tuesday 24 November, 10:30 (Europe/Berlin time)" in body.replace("&#x27;", "'")
        assert "Northlight" in body
    assert "<strong>Next steps</strong>" in ack_html
    assert "> We need a new website" in ack.body

    lead = Client.objects.get(studio=studio)
    assert notice.to == [owner.email]
    assert notice.reply_to == ["ada@weaver.example"]
    assert notice.subject == "New lead: Ada Weaver (Weaver & Sons)"
    notice_html = notice.alternatives[0][0]
    assert f"{settings.SITE_URL}/clients/{lead.pk}/" in notice.body
    assert f'href="{settings.SITE_URL}/clients/{lead.pk}/"' in notice_html
    for body in (notice.body, notice_html.replace("&amp;", "&")):
        assert "Ada Weaver" in body
        assert "ada@weaver.example" in body
        assert "Weaver & Sons" in body
        assert "5–15k EUR" in body
        assert "We need a new website for our bakery" in body
        assert "reply within one business day: by Tuesday 24 November, 10:30" in body


@time_machine.travel(MONDAY_MORNING, tick=False)  # the owners' notice leaves in working hours (R5)
def test_every_owner_is_notified_and_members_are_not(
    client: Browser, studio: Studio, owner: User, member: User, form_url: str, mailoutbox
):
    second_owner = MembershipFactory(studio=studio, user__email="second@northlight.example").user

    post(client, form_url)

    assert sorted(delivered(mailoutbox)[1].to) == sorted([owner.email, second_owner.email])


def test_without_a_company_the_lead_is_named_after_the_person(
    client: Browser, studio: Studio, form_url: str, mailoutbox
):
    post(client, form_url, company="", budget="")

    lead = Client.objects.get(studio=studio)
    assert (lead.name, lead.kind) == ("Ada Weaver", Client.Kind.PERSON)
    text = Message.objects.get(studio=studio).text
    assert "Budget:" not in text
    assert "Company:" not in text


def test_the_form_page_is_public_and_names_the_studio(client: Browser, studio: Studio, form_url: str):
    response = client.get(form_url)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Northlight" in page
    assert "within one business day" in page
    assert 'name="website"' in page
    assert "visually-hidden" in page
    assert 'tabindex="-1"' in page
    assert "Leave this empty" in page


def test_the_thanks_page_names_the_studio_and_when_to_expect_an_answer(client: Browser, studio: Studio):
    response = client.get(reverse("inquiry:thanks", args=[studio.slug]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Northlight will get back to you within one business day." in page


@time_machine.travel(MONDAY_MORNING, tick=False)  # the owners' notice leaves in working hours (R5)
def test_an_email_already_known_to_the_studio_files_the_inquiry_under_that_client(
    client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox
):
    existing = ClientFactory(studio=studio, name="Weaver Bakery", status=Client.Status.ACTIVE, notes="Pays on time.")
    ContactFactory(client=existing, email="Ada@Weaver.Example", is_primary=True)

    post(client, form_url)

    assert Client.objects.filter(studio=studio).count() == 1
    assert Contact.objects.filter(studio=studio).count() == 1
    existing.refresh_from_db()
    assert existing.status == Client.Status.ACTIVE
    assert existing.notes == "Pays on time."
    assert Message.objects.get(studio=studio).client == existing
    assert delivered(mailoutbox)[1].subject == "New inquiry from Ada Weaver (Weaver Bakery)"
    assert "already in Rapport: Weaver Bakery (Active)" in delivered(mailoutbox)[1].body


def test_an_inquiry_from_an_archived_client_brings_it_back_as_a_lead(studio: Studio, mailoutbox):
    archived = ClientFactory(studio=studio, status=Client.Status.PAST, archived_at=MONDAY_MORNING)
    ContactFactory(client=archived, email="ada@weaver.example", is_primary=True)

    lead = lead_create_from_inquiry(
        studio=studio,
        name="Ada Weaver",
        email="ADA@weaver.example",
        company="",
        message="Back for a redesign.",
        budget="",
        phone="",
        received_at=MONDAY_MORNING,
    )

    assert lead.pk == archived.pk
    archived.refresh_from_db()
    assert (archived.status, archived.archived_at) == (Client.Status.LEAD, None)
    assert Contact.objects.filter(studio=studio).count() == 1


def test_the_same_email_in_another_studio_does_not_count_as_known(
    client: Browser, studio: Studio, other_studio: Studio, form_url: str, mailoutbox
):
    ContactFactory(client=ClientFactory(studio=other_studio), email="ada@weaver.example")

    post(client, form_url)

    assert Contact.objects.filter(studio=studio, email="ada@weaver.example").count() == 1
    assert Contact.objects.filter(studio=other_studio).count() == 1


def test_a_filled_honeypot_looks_like_success_but_creates_and_sends_nothing(
    client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox
):
    response = post(client, form_url, website="https://spam.example")

    assert response.status_code == 302
    assert response.url == reverse("inquiry:thanks", args=[studio.slug])
    assert not Client.objects.exists()
    assert not Contact.objects.exists()
    assert delivered(mailoutbox) == []


def test_a_filled_honeypot_wins_even_over_invalid_fields(client: Browser, studio: Studio, form_url: str, mailoutbox):
    response = post(client, form_url, website="x", email="nonsense", message="hi")

    assert response.status_code == 302
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"email": "ada-at-weaver"}, "Enter a valid email address."),
        ({"message": "Hi there"}, "Please tell us a little more (at least 10 characters)."),
        ({"message": "x" * 5001}, "Please keep it under 5000 characters"),
        ({"name": ""}, "This field is required."),
    ],
    ids=["invalid email", "short message", "long message", "no name"],
)
def test_an_invalid_inquiry_shows_the_errors_keeps_the_input_and_creates_nothing(
    client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox, changes: dict[str, str], error: str
):
    response = post(client, form_url, **changes)

    page = response.content.decode()
    assert response.status_code == 200
    assert error in page
    assert 'value="Weaver &amp; Sons"' in page
    assert "+49 30 1234567" in page
    assert not Client.objects.exists()
    assert delivered(mailoutbox) == []


@time_machine.travel(MONDAY_MORNING, tick=False)  # the owners' notice leaves in working hours (R5)
def test_the_sixth_inquiry_from_one_address_within_an_hour_is_refused(
    client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox
):
    for number in range(5):
        assert post(client, form_url, email=f"person{number}@example.com").status_code == 302

    response = post(client, form_url, email="person5@example.com")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many messages from you today — please email us directly at hello@northlight.example." in page
    assert 'value="person5@example.com"' in page
    assert Client.objects.filter(studio=studio).count() == 5
    assert not Contact.objects.filter(email="person5@example.com").exists()
    assert len(delivered(mailoutbox)) == 10
    assert post(client, form_url, ip="198.51.100.1", email="person5@example.com").status_code == 302


def test_the_ip_limit_counts_per_studio(client: Browser, studio: Studio, other_studio: Studio, form_url: str):
    for number in range(5):
        post(client, form_url, email=f"person{number}@example.com")

    response = post(client, reverse("inquiry:form", args=[other_studio.slug]), email="person5@example.com")

    assert response.status_code == 302


@time_machine.travel(MONDAY_MORNING, tick=False)  # the owners' notice leaves in working hours (R5)
def test_the_fourth_inquiry_from_one_email_within_a_day_is_refused(
    client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox
):
    for number in range(3):
        assert post(client, form_url, ip=f"198.51.100.{number}").status_code == 302

    response = post(client, form_url, ip="198.51.100.9", email="ADA@weaver.example")

    assert response.status_code == 429
    assert "Too many messages from you today" in response.content.decode()
    assert Message.objects.filter(studio=studio, client__isnull=False).count() == 3
    assert len(delivered(mailoutbox)) == 6


def test_without_a_sender_address_the_limit_message_asks_to_try_again_tomorrow(
    client: Browser, studio: Studio, form_url: str
):
    Studio.objects.filter(pk=studio.pk).update(sender_email="")
    for _ in range(3):
        post(client, form_url)

    response = post(client, form_url)

    assert response.status_code == 429
    assert "please try again tomorrow" in response.content.decode()


def test_an_unknown_studio_is_a_404(client: Browser, db):
    assert client.get(reverse("inquiry:form", args=["nobody"])).status_code == 404
    assert client.post(reverse("inquiry:form", args=["nobody"]), INQUIRY).status_code == 404
    assert client.get(reverse("inquiry:thanks", args=["nobody"])).status_code == 404


@time_machine.travel(MONDAY_MORNING, tick=False)  # the owners' notice leaves in working hours (R5)
def test_an_inquiry_to_another_studio_creates_nothing_in_this_one(
    client: Browser, studio: Studio, owner: User, other_studio: Studio, charlie: User, mailoutbox
):
    post(client, reverse("inquiry:form", args=[other_studio.slug]))

    assert not Client.objects.filter(studio=studio).exists()
    assert Client.objects.get(studio=other_studio).contacts.get().studio == other_studio
    assert [message.to for message in delivered(mailoutbox)] == [["ada@weaver.example"]]
    # 04:30 in New York: the studio's notice waits for its opening (R5).
    notice = OutboxEmail.objects.get(studio=other_studio, to=[charlie.email])
    assert notice.send_after == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))


def test_html_in_an_inquiry_arrives_as_text(client: Browser, studio: Studio, owner: User, form_url: str, mailoutbox):
    script = "<script>alert('hi')</script> please build us a site"

    post(client, form_url, name="<b>Ada</b>", message=script)

    lead = Client.objects.get(studio=studio)
    # Stored as typed; every page and email escapes it when showing it.
    assert script in Message.objects.get(client=lead).text
    for email in delivered(mailoutbox):
        html = email.alternatives[0][0]
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt; please build us a site" in html
        assert "<b>Ada</b>" not in html
        assert "&lt;b&gt;Ada&lt;/b&gt;" in html
        assert script in email.body  # plain text: shown as typed, nothing there runs


def test_html_in_a_refused_inquiry_is_escaped_when_the_form_shows_it_again(
    client: Browser, studio: Studio, form_url: str
):
    response = post(client, form_url, email="not-an-email", message="<script>alert(1)</script> hello there")

    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hello there" in page


def test_an_email_that_cannot_be_queued_does_not_lose_the_lead(studio: Studio, owner: User, monkeypatch, caplog):
    def refuse(**kwargs):
        raise ValueError("the outbox is unavailable")

    monkeypatch.setattr("comms.mail.enqueue", refuse)

    lead = lead_create_from_inquiry(
        studio=studio,
        name="Ada Weaver",
        email="ada@weaver.example",
        company="",
        message="Please call me back.",
        budget="",
        phone="",
        received_at=MONDAY_MORNING,
    )

    assert Client.objects.filter(pk=lead.pk, status=Client.Status.LEAD).exists()
    assert "Could not send the inquiry-ack email" in caplog.text
    assert "Could not send the inquiry-new-lead email" in caplog.text


def test_an_email_that_cannot_be_sent_waits_in_the_outbox_to_be_retried(studio: Studio, owner: User, settings):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.clients.test_inquiry.FailingBackend"

    lead = lead_create_from_inquiry(
        studio=studio,
        name="Ada Weaver",
        email="ada@weaver.example",
        company="",
        message="Please call me back.",
        budget="",
        phone="",
        received_at=MONDAY_MORNING,
    )
    deliver_due()

    assert Client.objects.filter(pk=lead.pk, status=Client.Status.LEAD).exists()
    emails = OutboxEmail.objects.filter(studio=studio)
    assert sorted(emails.values_list("kind", flat=True)) == ["inquiry-ack", "inquiry-new-lead"]
    for email in emails:
        assert (email.status, email.attempts) == (OutboxEmail.Status.QUEUED, 1)
        assert "SMTP server down" in email.last_error


class FailingBackend:
    def __init__(self, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


def test_with_the_cache_down_the_inquiry_is_kept_not_lost(client: Browser, studio: Studio, form_url: str, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(cache, "add", unreachable)
    monkeypatch.setattr(cache, "incr", unreachable)

    response = post(client, form_url)

    assert response.status_code == 302
    assert Message.objects.filter(studio=studio, from_email="ada@weaver.example").exists()
