"""R6: a heated reply is held: the coach proposes a cool-off, the email waits in the outbox (and on
Today, with its Undo), the worker leaves it alone, and it goes only once the freelancer confirms it.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from comms.models import OutboxEmail
from tests.journeys.crossings import BERLIN, ann_at_the_bakery, client_writes, compose_form, section, worker_runs

ARRIVES = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)
WRITES = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
COOLED = WRITES + timedelta(hours=3)  # the studio's cool-off (3 h by default)
HEATED = "Hello Ann,\n\nI TOLD YOU THREE TIMES ALREADY!!! The blue was in the brand sheet. This is your fault.\n\nMia"


@pytest.fixture
def question(studio):
    ann_at_the_bakery(studio)
    with time_machine.travel(ARRIVES, tick=False):
        return client_writes(
            studio, sender="ann@bakery.example", subject="Wrong blue", body="Why is the logo the wrong blue?",
            at=ARRIVES, message_id="<w1@bakery.example>",
        )  # fmt: skip


def write_heated_reply(owner_client, question) -> OutboxEmail:
    url = reverse("comms:compose") + f"?reply_to={question.pk}"
    form = compose_form(owner_client, url) | {"body": HEATED}
    asked = owner_client.post(url, form).content.decode()
    assert 'data-testid="cool-off-prompt"' in asked
    assert not OutboxEmail.objects.exists(), "nothing is queued before the freelancer chooses"
    owner_client.post(url, form | {"heat_choice": "later"})
    email = OutboxEmail.objects.get(kind="reply")
    assert (email.confirm_before_sending, email.send_after) == (True, COOLED)
    return email


def test_a_heated_reply_cools_off_and_leaves_only_when_confirmed(owner_client, question):
    with time_machine.travel(WRITES, tick=False):
        email = write_heated_reply(owner_client, question)
        today = owner_client.get(reverse("today")).content.decode()
        outbox = owner_client.get(reverse("comms:outbox")).content.decode()
    waiting = section(today, "mail")
    assert "Re: Wrong blue" in waiting
    assert "waits for your confirmation" in waiting
    assert reverse("comms:outbox_cancel", kwargs={"pk": email.pk}) in waiting
    assert "Cooling off" in outbox

    with time_machine.travel(COOLED + timedelta(minutes=5), tick=False):
        assert worker_runs() == 0, "a cooled-off email never leaves on its own"
        page = owner_client.get(reverse("comms:outbox_email", kwargs={"pk": email.pk})).content.decode()
        assert "Cool-off over — send it?" in page
        assert "Wrong blue" in section(owner_client.get(reverse("today")).content.decode(), "replies-owed")

        owner_client.post(reverse("comms:outbox_confirm", kwargs={"pk": email.pk}))
        assert worker_runs() == 1
        today = owner_client.get(reverse("today")).content.decode()
    assert [sent.to for sent in mail.outbox] == [["ann@bakery.example"]]
    question.refresh_from_db()
    assert question.replied_at == COOLED + timedelta(minutes=5)
    assert "Wrong blue" not in section(today, "replies-owed")


def test_a_cooling_off_reply_undone_from_today_never_leaves(owner_client, question):
    with time_machine.travel(WRITES, tick=False):
        email = write_heated_reply(owner_client, question)
        back = owner_client.post(
            reverse("comms:outbox_cancel", kwargs={"pk": email.pk}), {"next": reverse("today")}, follow=True
        )
    assert back.redirect_chain[-1][0] == reverse("today")
    assert "Re: Wrong blue" not in section(back.content.decode(), "mail")

    with time_machine.travel(COOLED + timedelta(minutes=5), tick=False):
        assert worker_runs() == 0
        today = owner_client.get(reverse("today")).content.decode()
    assert mail.outbox == []
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.CANCELLED
    assert "Wrong blue" in section(today, "replies-owed"), "the client is still owed a (calmer) answer"
