"""R15: when the full answer needs time, one click acknowledges the email and states when the answer
comes; the promise is tracked (Promised tab, Today on the day) until the full answer keeps it.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from comms.models import Commitment, OutboxEmail
from tests.journeys.crossings import (
    BERLIN,
    ann_at_the_bakery,
    client_writes,
    compose_form,
    in_russian,
    section,
    worker_runs,
)

ARRIVES = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)  # Wednesday; the reply is due Thursday 10:00
ACKNOWLEDGES = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
PROMISED = datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN)  # the reply's due time + one business day
FRIDAY_MORNING = datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN)
ANSWERS = datetime(2026, 11, 20, 9, 30, tzinfo=BERLIN)

TEXT = {
    "en": {
        "promise_in_body": "Friday 20 November 2026, 10:00",
        "description": "Full answer to “Shop integration”",
        "tracked": "Promise tracked: the full answer by",
        "promises_due": "Promises due",
        "no_promises": "No open promises.",
    },
    "ru": {
        "promise_in_body": "20 ноября 2026, 10:00",
        "description": "Полный ответ на «Shop integration»",
        "tracked": "Обещание отслеживается: срок полного ответа —",
        "promises_due": "Обещания к сроку",
        "no_promises": "Открытых обещаний нет.",
    },
}


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_acknowledgment_becomes_a_promise_that_the_full_answer_keeps(owner_client, studio, ann, language):
    text = TEXT[language]
    ann.client.language = language
    ann.client.save(update_fields=["language"])
    if language == "ru":
        in_russian(owner_client)
    with time_machine.travel(ARRIVES, tick=False):
        question = client_writes(
            studio, sender="ann@bakery.example", subject="Shop integration",
            body="Can the new site take orders through our till system?", at=ARRIVES,
            message_id="<s1@bakery.example>",
        )  # fmt: skip

    with time_machine.travel(ACKNOWLEDGES, tick=False):
        url = reverse("comms:compose") + f"?reply_to={question.pk}"
        form = compose_form(owner_client, url + "&template=acknowledgment")
        assert text["promise_in_body"] in form["body"]
        sent = owner_client.post(url, form, follow=True)
        assert text["tracked"] in sent.content.decode()
        commitment = Commitment.objects.get()
        assert (commitment.message, commitment.promised_by) == (question, PROMISED)
    with time_machine.travel(ACKNOWLEDGES + timedelta(minutes=1), tick=False):
        assert worker_runs() == 1
        promised = owner_client.get(reverse("comms:inbox") + "?tab=promised").content.decode()
        today = owner_client.get(reverse("today")).content.decode()
    question.refresh_from_db()
    assert question.replied_at == ACKNOWLEDGES + timedelta(minutes=1), "the acknowledgment stops the reply clock"
    assert "Shop integration" not in section(today, "replies-owed")
    assert 'data-testid="promise-row"' in promised
    assert text["description"] in promised
    assert f"{reverse('comms:compose')}?reply_to={question.pk}" in promised
    assert [email.to for email in mail.outbox] == [["ann@bakery.example"]]

    with time_machine.travel(FRIDAY_MORNING, tick=False):
        due = section(owner_client.get(reverse("today")).content.decode(), "promises")
    assert text["promises_due"] in due
    assert f"Acme Bakery: {text['description']}" in due

    with time_machine.travel(ANSWERS, tick=False):
        answer = compose_form(owner_client, url)
        answer["body"] = (
            "Hello Ann,\n\nyes: the till's shop module has an API, and the site can send orders to it.\n\nMia"
        )
        owner_client.post(url, answer)
    with time_machine.travel(ANSWERS + timedelta(minutes=1), tick=False):
        assert worker_runs() == 1
        promised = owner_client.get(reverse("comms:inbox") + "?tab=promised").content.decode()
        today = owner_client.get(reverse("today")).content.decode()
    commitment.refresh_from_db()
    assert commitment.fulfilled_at == ANSWERS + timedelta(minutes=1)
    assert commitment.fulfilled_at <= PROMISED
    assert OutboxEmail.objects.filter(kind="reply").count() == 1
    assert text["no_promises"] in promised
    assert text["description"] not in section(today, "promises")
