"""R1: a client's email starts a reply clock that Today counts down; a reply from Compose stops it.

The email arrives through ``comms.inbound.receive`` and, once, through an ESP's inbound webhook.
The reply, once the worker has sent it, also tells the Friday rule (R2) that the client heard
from the studio this week: the project leaves the Friday updates page.
"""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from comms.models import Message, OutboxEmail
from tests.factories import ProjectFactory
from tests.journeys.crossings import (
    BERLIN,
    WEBHOOK_SECRET,
    ann_at_the_bakery,
    client_writes,
    client_writes_through_the_webhook,
    compose_form,
    in_russian,
    section,
    worker_runs,
)

# Wednesday in November: Berlin is UTC+1. One business day on 09:00–18:00 is 9 working hours.
ARRIVES = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)
LOOKS = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
REPLIES = datetime(2026, 11, 18, 11, 30, tzinfo=BERLIN)
WORKER = REPLIES + timedelta(minutes=1)
DUE = datetime(2026, 11, 19, 10, 0, tzinfo=BERLIN)

TEXT = {
    "en": {
        "owed": "Replies owed",
        "due": "due Thu 19 Nov, 10:00 (in 23 h)",
        "none": "No client is waiting for an answer.",
        "answered": "answered",
    },
    "ru": {
        "owed": "Ждут ответа",
        "due": "срок — чт, 19 нояб., 10:00 (через 23 ч)",
        "none": "Ни один клиент не ждёт ответа.",
        "answered": "отвечено",
    },
}


@pytest.fixture
def bakery(studio):
    client = ann_at_the_bakery(studio).client
    ProjectFactory(client=client, title="Bakery website", active_from=date(2026, 10, 1))
    return client


@pytest.mark.parametrize(("language", "door"), [("en", "receive"), ("ru", "receive"), ("en", "webhook")])
def test_an_email_owed_a_reply_is_answered_from_compose_and_the_week_is_covered(
    owner_client, studio, bakery, settings, language, door
):
    text = TEXT[language]
    if language == "ru":
        in_russian(owner_client)
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}
    arrives = client_writes if door == "receive" else client_writes_through_the_webhook
    with time_machine.travel(ARRIVES, tick=False):
        question = arrives(
            studio, sender="Ann Baker <ann@bakery.example>", subject="Logo colours",
            body="Hi, which blue did we pick for the logo?\n\nAnn", at=ARRIVES, message_id="<q1@bakery.example>",
        )  # fmt: skip
    assert (question.client, question.needs_reply, question.reply_due_at) == (bakery, True, DUE)

    with time_machine.travel(LOOKS, tick=False):
        today = owner_client.get(reverse("today")).content.decode()
        friday = owner_client.get(reverse("projects:friday")).content.decode()
    owed = section(today, "replies-owed")
    assert text["owed"] in owed
    assert "Acme Bakery: “Logo colours”" in owed
    assert text["due"] in owed
    assert reverse("comms:message", kwargs={"pk": question.pk}) in owed
    assert 'data-testid="friday-row"' in friday
    assert "Bakery website" in friday

    with time_machine.travel(REPLIES, tick=False):
        reply_url = reverse("comms:compose") + f"?reply_to={question.pk}"
        form = compose_form(owner_client, reply_url)
        assert form["to"] == "ann@bakery.example"
        form["body"] = "Hello Ann,\n\nthe blue is #1F4E79, as in the brand sheet.\n\nBest,\nMia\n\n" + form["body"]
        sent = owner_client.post(reply_url, form)
    assert sent.status_code == 302
    reply = OutboxEmail.objects.get(kind="reply")
    assert reply.reply_to_message == question
    question.refresh_from_db()
    assert question.replied_at is None, "the clock runs until the reply has left"

    with time_machine.travel(WORKER, tick=False):
        assert worker_runs() == 1
        today = owner_client.get(reverse("today")).content.decode()
        friday = owner_client.get(reverse("projects:friday")).content.decode()
        message_page = owner_client.get(reverse("comms:message", kwargs={"pk": question.pk})).content.decode()

    question.refresh_from_db()
    assert question.replied_at is not None
    assert question.replied_at <= DUE
    assert Message.objects.filter(direction="out", in_reply_to="<q1@bakery.example>").count() == 1
    owed = section(today, "replies-owed")
    assert "Logo colours" not in owed
    assert text["none"] in owed
    assert 'data-testid="friday-row"' not in friday
    assert f'data-testid="countdown">{text["answered"]}</span>' in message_page
