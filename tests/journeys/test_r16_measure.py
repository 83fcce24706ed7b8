"""R16: replies sent from Compose become the reports' response times, and the satisfaction survey a
client answers through the emailed links becomes the reports' CSAT and NPS.
"""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse

from projects.models import Project
from tests.factories import ProjectFactory
from tests.journeys.crossings import (
    BERLIN,
    ann_at_the_bakery,
    client_writes,
    compose_form,
    studio_schedules_start,
    sweeps_run,
    worker_runs,
)

# Monday to Wednesday, each email answered in working hours after 1, 2 and 5 hours.
MAILS = [
    (datetime(2026, 11, 16, 10, 0, tzinfo=BERLIN), timedelta(hours=1)),
    (datetime(2026, 11, 17, 10, 0, tzinfo=BERLIN), timedelta(hours=2)),
    (datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN), timedelta(hours=5)),
]
COMPLETED_ON = date(2026, 11, 20)
SURVEY_DAY = datetime(2026, 12, 4, 10, 0, tzinfo=BERLIN)  # 14 days later, the studio's default
ANSWERED = datetime(2026, 12, 4, 19, 30, tzinfo=BERLIN)


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


def answer_every_email(owner_client, studio) -> None:
    for number, (arrives, takes) in enumerate(MAILS):
        with time_machine.travel(arrives, tick=False):
            question = client_writes(
                studio, sender="ann@bakery.example", subject=f"Question {number}", body="Could you check this?",
                at=arrives, message_id=f"<r{number}@bakery.example>",
            )  # fmt: skip
        with time_machine.travel(arrives + takes - timedelta(minutes=1), tick=False):
            url = reverse("comms:compose") + f"?reply_to={question.pk}"
            form = compose_form(owner_client, url) | {"body": "Hello Ann,\n\nthank you, done.\n\nMia"}
            owner_client.post(url, form)
        with time_machine.travel(arrives + takes, tick=False):
            assert worker_runs() == 1


def test_reply_times_and_an_answered_survey_reach_the_reports(owner_client, studio, ann):
    answer_every_email(owner_client, studio)
    ProjectFactory(
        client=ann.client, title="Bakery website", status=Project.Status.COMPLETED, completed_on=COMPLETED_ON
    )
    studio_schedules_start(studio, datetime(2026, 11, 20, 18, 0, tzinfo=BERLIN))

    with time_machine.travel(SURVEY_DAY, tick=False):
        assert sweeps_run(SURVEY_DAY, "surveys")["surveys"] == 1
        assert worker_runs() == 1
    invitation = mail.outbox[-1]
    assert invitation.to == ["ann@bakery.example"]
    assert "Bakery website" in invitation.body
    prefix = re.escape(settings.SITE_URL)
    rate_9 = re.search(prefix + r"(/survey/[\w-]+/rate/9/)", invitation.body).group(1)

    with time_machine.travel(ANSWERED, tick=False):
        client = Browser()
        assert 'value="9"' in client.get(rate_9).content.decode()
        full_survey = client.post(rate_9, {"csat": "9"})
        assert full_survey.status_code == 302
        done = client.post(full_survey.url, {"csat": "9", "nps": "10", "comment": "Lovely work."}, follow=True)
        assert done.redirect_chain[-1][0].endswith("/thanks/")
        reports = owner_client.get(reverse("reports")).content.decode()

    def figure(testid: str) -> str:
        return re.search(rf'data-testid="{testid}">([^<]*)<', reports).group(1)

    assert figure("response-median") == "2.0 h"
    assert figure("response-p90") == "5.0 h"
    assert figure("csat-average") == "9.0"
    assert figure("csat-count") == "1"
    assert figure("nps") == "+100"


def test_the_reply_times_read_in_russian(owner_client, studio, ann):
    answer_every_email(owner_client, studio)
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    with time_machine.travel(ANSWERED, tick=False):
        reports = owner_client.get(reverse("reports")).content.decode()
    median = re.search(r'data-testid="response-median">([^<]*)<', reports).group(1)
    assert median == "2,0 ч"
