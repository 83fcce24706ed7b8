"""R1, when the reply is late: the freelancer is warned before the due time and told of the breach,
Today flags the clock overdue, and the late reply counts against the share within the SLA.
"""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tests.journeys.crossings import (
    BERLIN,
    ann_at_the_bakery,
    client_writes,
    compose_form,
    section,
    sweeps_run,
    worker_runs,
)

ARRIVES = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)  # Wednesday; due Thursday 10:00 (9 working hours)
BEFORE_WARNING = datetime(2026, 11, 18, 16, 40, tzinfo=BERLIN)
WARNING = datetime(2026, 11, 18, 16, 50, tzinfo=BERLIN)  # 75 % of the working time has passed at 16:45
BREACH = datetime(2026, 11, 19, 10, 5, tzinfo=BERLIN)
REPLIES = datetime(2026, 11, 19, 11, 0, tzinfo=BERLIN)


@pytest.fixture
def question(studio):
    ann_at_the_bakery(studio)
    with time_machine.travel(ARRIVES, tick=False):
        return client_writes(
            studio, sender="ann@bakery.example", subject="Opening hours", body="Where do I change the opening hours?",
            at=ARRIVES, message_id="<h1@bakery.example>",
        )  # fmt: skip


def to_the_freelancer() -> list[str]:
    return [email.subject for email in mail.outbox if email.to == ["owner@northlight.example"]]


def test_a_late_reply_is_warned_of_reported_flagged_and_counted(owner_client, question):
    for moment in (BEFORE_WARNING, WARNING, WARNING + timedelta(minutes=5)):
        with time_machine.travel(moment, tick=False):
            sweeps_run(moment, "reply-clocks")
            worker_runs()
    assert to_the_freelancer() == ["Reply owed to Acme Bakery: due in 17 h 10 min"]

    with time_machine.travel(BREACH, tick=False):
        sweeps_run(BREACH, "reply-clocks")
        worker_runs()
        owed = section(owner_client.get(reverse("today")).content.decode(), "replies-owed")
    assert to_the_freelancer()[1:] == ["Reply to Acme Bakery overdue by 5 min"]
    assert "today-alarm" in owed
    assert "overdue" in owed
    assert "Acme Bakery: “Opening hours”" in owed

    with time_machine.travel(REPLIES, tick=False):
        url = reverse("comms:compose") + f"?reply_to={question.pk}"
        owner_client.post(
            url, compose_form(owner_client, url) | {"body": "Hello Ann,\n\nunder Settings → Shop.\n\nMia"}
        )
    with time_machine.travel(REPLIES + timedelta(minutes=1), tick=False):
        assert worker_runs() == 1
        sweeps_run(REPLIES + timedelta(minutes=1), "reply-clocks")
        message = owner_client.get(reverse("comms:message", kwargs={"pk": question.pk})).content.decode()
        reports = owner_client.get(reverse("reports")).content.decode()
    assert 'data-testid="countdown">answered late</span>' in message
    assert len(to_the_freelancer()) == 2, "nothing more once the reply has left"

    def figure(testid: str) -> str:
        return re.search(rf'data-testid="{testid}">([^<]*)<', reports).group(1)

    assert figure("response-median") == "10.0 h"  # Wednesday 10:00–18:00 and Thursday 09:00–11:01
    assert figure("response-sla") == "0.0 %"
