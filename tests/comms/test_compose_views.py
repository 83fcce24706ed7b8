"""The compose page (new mail, reply, acknowledgment), the coach panel, undo and logging a call."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from comms import compose
from comms.models import Commitment, Message, OutboxEmail
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ThreadFactory

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
SATURDAY = datetime(2026, 11, 21, 11, 0, tzinfo=BERLIN)
MONDAY_OPENING = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
CALM = "Hello Ann,\n\nthank you for the photos. The new logo is attached.\n\nBest,\nMia"
HEATED = "Hello Ann,\n\nthanks. I TOLD YOU THREE TIMES ALREADY!!! This is your fault.\n\nMia"


@pytest.fixture
def acme(studio):
    client = ClientFactory(studio=studio, name="Acme Bakery")
    ContactFactory(client=client, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    ContactFactory(client=client, name="Bob Books", email="bob@bakery.example")
    return client


@pytest.fixture
def question(acme):
    return MessageFactory(
        thread=ThreadFactory(client=acme, subject="Logo"),
        subject="Logo",
        from_email="ann@bakery.example",
        from_name="Ann Baker",
        message_id="<q1@bakery.example>",
        sent_at=WEDNESDAY - timedelta(hours=2),
        needs_reply=True,
        reply_due_at=datetime(2026, 11, 19, 9, 0, tzinfo=BERLIN),
    )


def form_data(**changes) -> dict:
    data = {"to": "ann@bakery.example", "cc": "", "subject": "Logo", "body": CALM, "language": "en",
            "template": "", "token": "t-1"}  # fmt: skip
    return data | changes


def compose_url(**query) -> str:
    url = reverse("comms:compose")
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


@time_machine.travel(WEDNESDAY, tick=False)
def test_new_mail_to_a_client_preselects_the_primary_contact(owner_client, acme):
    response = owner_client.get(compose_url(client=acme.pk))

    form = response.context["form"]
    assert form["to"].value() == "ann@bakery.example"
    assert form["client"].value() == acme.pk
    html = response.content.decode()
    assert "Bob Books &lt;bob@bakery.example&gt;" in html
    assert f'hx-post="{reverse("comms:coach")}"' in html
    assert 'hx-trigger="keyup changed delay:700ms"' in html
    assert 'hx-target="#coach-panel"' in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_reply_starts_with_the_sender_re_subject_and_the_quote(owner_client, question):
    form = owner_client.get(compose_url(reply_to=question.pk)).context["form"]

    assert form["to"].value() == "ann@bakery.example"
    assert form["subject"].value() == "Re: Logo"
    assert "> Hello, could you look at this?" in form["body"].value()


@pytest.mark.parametrize(("to", "message"), [("not-an-email", "“not-an-email” is not an email address"),
                                              ("", "This field is required")])  # fmt: skip
@time_machine.travel(WEDNESDAY, tick=False)
def test_a_bad_address_is_refused_and_nothing_is_lost(owner_client, acme, to, message):
    response = owner_client.post(compose_url(), form_data(to=to, client=acme.pk, cc="bob@bakery.example"))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["to"])
    html = response.content.decode()
    assert "thank you for the photos" in html
    assert 'value="bob@bakery.example"' in html
    assert not OutboxEmail.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_bad_cc_address_is_refused(owner_client, acme):
    response = owner_client.post(compose_url(), form_data(cc="bob@bakery.example, bob at bakery"))

    assert "“bob at bakery” is not an email address" in " ".join(response.context["form"].errors["cc"])


@time_machine.travel(WEDNESDAY, tick=False)
def test_several_valid_addresses_are_accepted(owner_client, acme):
    owner_client.post(compose_url(), form_data(to="ann@bakery.example, Bob <bob@bakery.example>", client=acme.pk))

    assert OutboxEmail.objects.get().to == ["ann@bakery.example", "bob@bakery.example"]


@time_machine.travel(WEDNESDAY, tick=False)
def test_sending_a_reply_queues_it_threaded_with_an_undo_window(owner_client, question):
    response = owner_client.post(
        compose_url(reply_to=question.pk), form_data(subject="Re: Logo", client=question.client.pk), follow=True
    )

    email = OutboxEmail.objects.get()
    assert (email.kind, email.reply_to_message, email.client) == ("reply", question, question.client)
    assert email.headers["In-Reply-To"] == "<q1@bakery.example>"
    assert email.send_after == WEDNESDAY + timedelta(seconds=compose.UNDO_SECONDS)
    assert response.redirect_chain[-1][0] == reverse("comms:message", args=[question.pk])
    html = response.content.decode()
    assert f"leaves in {compose.UNDO_SECONDS} seconds" in html
    assert reverse("comms:undo", args=[email.pk]) in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_double_submit_queues_one_email(owner_client, acme):
    owner_client.post(compose_url(), form_data(client=acme.pk))
    owner_client.post(compose_url(), form_data(client=acme.pk))

    assert OutboxEmail.objects.count() == 1


@time_machine.travel(SATURDAY, tick=False)
def test_on_saturday_the_page_warns_and_the_email_waits_for_monday(owner_client, acme):
    page = owner_client.get(compose_url(client=acme.pk)).content.decode()
    assert "waits until Monday 23 November, 09:00" in page

    response = owner_client.post(compose_url(), form_data(client=acme.pk), follow=True)

    assert OutboxEmail.objects.get().send_after == MONDAY_OPENING
    assert "leaves Monday 23 November, 09:00" in response.content.decode()


@time_machine.travel(SATURDAY, tick=False)
def test_send_now_on_saturday_leaves_after_the_undo_window(owner_client, acme):
    owner_client.post(compose_url(), form_data(client=acme.pk, send_now="on"))

    assert OutboxEmail.objects.get().send_after == SATURDAY + timedelta(seconds=compose.UNDO_SECONDS)


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_heated_email_asks_for_a_cool_off_first(owner_client, acme):
    response = owner_client.post(compose_url(), form_data(client=acme.pk, body=HEATED))

    html = response.content.decode()
    assert not OutboxEmail.objects.exists()
    assert 'data-testid="cool-off-prompt"' in html
    assert "Cool off 3 hours" in html
    assert 'name="heat_choice" value="morning"' in html
    assert "Send anyway" in html
    assert "I TOLD YOU THREE TIMES ALREADY!!!" in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_cooling_off_queues_the_email_to_ask_once_more(owner_client, acme):
    response = owner_client.post(
        compose_url(), form_data(client=acme.pk, body=HEATED, heat_choice="later"), follow=True
    )

    email = OutboxEmail.objects.get()
    assert email.confirm_before_sending
    assert email.send_after == WEDNESDAY + timedelta(hours=3)
    assert "asks you once more" in response.content.decode()


@time_machine.travel(WEDNESDAY, tick=False)
def test_send_anyway_sends_a_heated_email_without_confirmation(owner_client, acme):
    owner_client.post(compose_url(), form_data(client=acme.pk, body=HEATED, heat_choice="anyway"))

    email = OutboxEmail.objects.get()
    assert not email.confirm_before_sending
    assert email.send_after == WEDNESDAY + timedelta(seconds=compose.UNDO_SECONDS)


@time_machine.travel(WEDNESDAY, tick=False)
def test_acknowledge_offers_a_promise_date_and_creates_a_commitment(owner_client, question):
    page = owner_client.get(compose_url(reply_to=question.pk, template="acknowledgment"))
    form = page.context["form"]
    promised = datetime(2026, 11, 19, 18, 0, tzinfo=BERLIN)  # due Thu 09:00 + one business day (9 h)
    assert form.initial["promised_by"] == promised
    assert 'value="2026-11-19T18:00"' in page.content.decode()
    assert "Thursday 19 November 2026, 18:00" in form["body"].value()

    data = form_data(
        client=question.client.pk, subject=form["subject"].value(), body=form["body"].value(),
        template="acknowledgment", promised_by="2026-11-19T18:00",
    )  # fmt: skip
    response = owner_client.post(compose_url(reply_to=question.pk), data, follow=True)

    email = OutboxEmail.objects.get()
    commitment = Commitment.objects.get()
    assert email.kind == "acknowledgment"
    assert (commitment.message, commitment.outbox_email, commitment.promised_by) == (question, email, promised)
    assert "Promise tracked" in response.content.decode()


@time_machine.travel(WEDNESDAY, tick=False)
def test_an_acknowledgment_needs_a_future_promise(owner_client, question):
    data = form_data(client=question.client.pk, template="acknowledgment", promised_by="2026-11-17T09:00")

    response = owner_client.post(compose_url(reply_to=question.pk), data)

    assert "already passed" in " ".join(response.context["form"].errors["promised_by"])
    assert not OutboxEmail.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_blank_template_value_must_be_filled_before_sending(owner_client, acme):
    response = owner_client.post(compose_url(), form_data(body="Hello [contact_first_name],\n\nthanks."))

    assert "[contact_first_name]" in " ".join(response.context["form"].errors["body"])


@time_machine.travel(WEDNESDAY, tick=False)
def test_applying_a_template_fills_subject_and_body_and_keeps_the_rest(owner_client, acme):
    data = form_data(client=acme.pk, to="bob@bakery.example", cc="ann@bakery.example", template="check_in",
                     body="", apply_template="1")  # fmt: skip

    response = owner_client.post(compose_url(), data)

    form = response.context["form"]
    assert not OutboxEmail.objects.exists()
    assert form["to"].value() == "bob@bakery.example"
    assert form["cc"].value() == "ann@bakery.example"
    assert "Bob" in form["body"].value()
    assert form["subject"].value() != "Logo"
    assert not form.is_bound


@time_machine.travel(WEDNESDAY, tick=False)
def test_an_unknown_template_in_the_link_is_ignored_with_a_warning(owner_client, acme):
    response = owner_client.get(compose_url(client=acme.pk, template="nope"))

    assert "There is no template “nope”." in response.content.decode()


def test_another_studios_message_or_client_cannot_be_answered(charlie_client, question):
    assert charlie_client.get(compose_url(reply_to=question.pk)).status_code == 404
    assert charlie_client.get(compose_url(client=question.client.pk)).status_code == 404
    assert charlie_client.post(compose_url(reply_to=question.pk), form_data()).status_code == 404
    assert charlie_client.get(compose_url(client="x")).status_code == 404


def test_the_coach_panel_shows_findings_jargon_and_the_split(owner_client):
    body = (
        "Hello Ann,\n\nI will deploy the new DNS records tonight, so the site may be slow for an hour or two.\n\n"
        "Also, could you send me the photos of the shop and the new menu for the restaurant page this week?"
    )
    response = owner_client.post(reverse("comms:coach"), {"subject": "Update", "body": body, "requires_action": "on"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-code="jargon"' in html
    assert "deploy" in html
    assert 'data-code="no_next_steps"' in html
    assert 'data-code="several_topics"' in html
    assert 'data-testid="coach-split"' in html


def test_the_coach_panel_flags_heat(owner_client):
    response = owner_client.post(reverse("comms:coach"), {"subject": "", "body": HEATED})

    assert 'data-code="heat"' in response.content.decode()


def test_the_coach_needs_a_member_and_csrf(client: Browser, owner):
    assert client.post(reverse("comms:coach"), {"body": "x"}).status_code == 302  # to the login page
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.post(reverse("comms:coach"), {"body": "x"}).status_code == 403


@time_machine.travel(WEDNESDAY, tick=False)
def test_undo_cancels_and_gives_the_text_back(owner_client, question):
    owner_client.post(compose_url(reply_to=question.pk), form_data(subject="Re: Logo", client=question.client.pk))
    email = OutboxEmail.objects.get()

    response = owner_client.post(reverse("comms:undo", args=[email.pk]), follow=True)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.CANCELLED
    form = response.context["form"]
    assert form["body"].value() == CALM
    assert form["subject"].value() == "Re: Logo"
    assert response.context["reply_to"] == question


@time_machine.travel(WEDNESDAY, tick=False)
def test_undo_of_another_studios_email_is_a_404(charlie_client, owner_client, acme):
    owner_client.post(compose_url(), form_data(client=acme.pk))
    email = OutboxEmail.objects.get()

    assert charlie_client.post(reverse("comms:undo", args=[email.pk])).status_code == 404
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.QUEUED


@time_machine.travel(WEDNESDAY, tick=False)
def test_logging_an_outbound_call_stops_the_clock(owner_client, owner, question):
    data = {"client": question.client.pk, "channel": "call", "direction": "out", "when": "2026-11-18T10:30",
            "subject": "", "summary": "Agreed on blue."}  # fmt: skip

    response = owner_client.post(reverse("comms:log"), data)

    assert response.url == reverse("clients:detail", args=[question.client.pk])
    call = Message.objects.get(channel="call")
    assert call.sent_at == datetime(2026, 11, 18, 10, 30, tzinfo=BERLIN)
    assert call.logged_by == owner
    assert call.subject == "Call with Acme Bakery"
    question.refresh_from_db()
    assert question.replied_by == call


@time_machine.travel(WEDNESDAY, tick=False)
def test_logging_an_inbound_call_starts_no_clock(owner_client, acme):
    data = {"client": acme.pk, "channel": "call", "direction": "in", "when": "2026-11-18T10:30",
            "subject": "Ann called", "summary": "Asked about the logo."}  # fmt: skip

    owner_client.post(reverse("comms:log"), data)

    assert not Message.objects.open_clocks().exists()
    assert Message.objects.get().direction == "in"


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_log_form_refuses_the_future_and_keeps_the_summary(owner_client, acme):
    data = {"client": acme.pk, "channel": "call", "direction": "out", "when": "2026-11-19T10:30",
            "subject": "", "summary": "Agreed on blue."}  # fmt: skip

    response = owner_client.post(reverse("comms:log"), data)

    assert "in the future" in " ".join(response.context["form"].errors["when"])
    assert "Agreed on blue." in response.content.decode()
    assert not Message.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_log_form_preselects_the_client_and_now_in_local_time(owner_client, acme):
    html = owner_client.get(reverse("comms:log") + f"?client={acme.pk}").content.decode()

    assert f'<option value="{acme.pk}" selected>' in html
    assert 'value="2026-11-18T11:00"' in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_form_sent_again_after_an_undo_does_not_revive_the_email(owner_client, question):
    data = form_data(client=question.client.pk, template="acknowledgment", promised_by="2026-11-19T18:00")
    owner_client.post(compose_url(reply_to=question.pk), data)
    email = OutboxEmail.objects.get()
    owner_client.post(reverse("comms:undo", args=[email.pk]))

    response = owner_client.post(compose_url(reply_to=question.pk), data)

    assert response.url == reverse("comms:outbox_email", args=[email.pk])
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.CANCELLED
    assert not Commitment.objects.exists()
