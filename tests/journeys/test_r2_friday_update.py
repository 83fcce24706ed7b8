"""R2: on Friday at the studio's hour the freelancer is reminded of the clients who haven't heard
from them this week, opens the drafted update from the reminder, sends it, and the client is covered.
"""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from comms.models import OutboxEmail
from tests.factories import ClientFactory, ContactFactory, MilestoneFactory, ProjectFactory
from tests.journeys.crossings import (
    BERLIN,
    ann_at_the_bakery,
    client_writes,
    compose_form,
    form_values,
    section,
    studio_schedules_start,
    sweeps_run,
    worker_runs,
)

TUESDAY = datetime(2026, 11, 17, 14, 0, tzinfo=BERLIN)
FRIDAY_EARLY = datetime(2026, 11, 20, 9, 30, tzinfo=BERLIN)
FRIDAY_HOUR = datetime(2026, 11, 20, 10, 5, tzinfo=BERLIN)
FRIDAY_LATER = datetime(2026, 11, 20, 11, 0, tzinfo=BERLIN)


@pytest.fixture
def bakery(studio):
    client = ann_at_the_bakery(studio).client
    project = ProjectFactory(client=client, title="Bakery website", active_from=date(2026, 10, 1))
    MilestoneFactory(project=project, title="Menu page", done_at=datetime(2026, 11, 18, 12, 0, tzinfo=BERLIN))
    MilestoneFactory(project=project, title="Contact form", due_on=date(2026, 11, 27))
    return client


@pytest.fixture
def florist(studio):
    client = ClientFactory(studio=studio, name="Bloom Florist")
    ContactFactory(client=client, name="Flora Bloom", email="flora@bloom.example", is_primary=True)
    ProjectFactory(client=client, title="Flower shop", active_from=date(2026, 10, 1))
    return client


def reminders() -> list:
    return list(OutboxEmail.objects.filter(kind="friday-reminder"))


def test_the_friday_reminder_leads_to_the_drafted_update_and_covers_the_client(owner_client, studio, bakery, florist):
    studio_schedules_start(studio, TUESDAY)
    # Tuesday: Flora asks something and gets an answer from Compose; Ann hears nothing all week.
    with time_machine.travel(TUESDAY, tick=False):
        question = client_writes(
            studio, sender="flora@bloom.example", subject="Photos", body="Hello, did the photos arrive?",
            at=TUESDAY, message_id="<p1@bloom.example>",
        )  # fmt: skip
        url = reverse("comms:compose") + f"?reply_to={question.pk}"
        answer = compose_form(owner_client, url)
        answer["body"] = "Hello Flora,\n\nthank you, all twelve arrived.\n\nMia"
        owner_client.post(url, answer)
    with time_machine.travel(TUESDAY + timedelta(minutes=1), tick=False):
        assert worker_runs() == 1

    with time_machine.travel(FRIDAY_EARLY, tick=False):
        sweeps_run(FRIDAY_EARLY, "friday")
    assert reminders() == [], "the reminder waits for the studio's Friday hour"

    with time_machine.travel(FRIDAY_HOUR, tick=False):
        sweeps_run(FRIDAY_HOUR, "friday")
        [reminder] = reminders()
        assert reminder.to == ["owner@northlight.example"]
        worker_runs()
    [sent] = [email for email in mail.outbox if email.to == ["owner@northlight.example"]]
    assert sent.subject == "Friday update due for 1 project"
    assert "Bakery website (Acme Bakery)" in sent.body
    assert "Flower shop" not in sent.body, "Flora heard from the studio on Tuesday"
    draft_url = re.search(re.escape(settings.SITE_URL) + r"(/projects/\d+/update/)", sent.body).group(1)

    with time_machine.travel(FRIDAY_HOUR + timedelta(minutes=10), tick=False):
        page = owner_client.get(draft_url)
        assert "Menu page" in page.context["preview_text"]
        assert "Contact form" in page.context["preview_text"]
        response = owner_client.post(draft_url, {**form_values(page.context["form"]), "send": "1"})
        assert response.status_code == 302
        [update] = OutboxEmail.objects.filter(to=["ann@bakery.example"])
        assert update.project.title == "Bakery website"
    with time_machine.travel(FRIDAY_HOUR + timedelta(minutes=11), tick=False):
        assert worker_runs() == 1
        friday = owner_client.get(reverse("projects:friday")).content.decode()
        today = owner_client.get(reverse("today")).content.decode()
    assert [email.to for email in mail.outbox][-1] == ["ann@bakery.example"]
    assert 'data-testid="friday-row"' not in friday
    assert "Every active client has heard from you this week." in section(today, "friday")

    with time_machine.travel(FRIDAY_LATER, tick=False):
        sweeps_run(FRIDAY_LATER, "friday")
    assert len(reminders()) == 1, "one reminder a week, however often the sweep runs"


def test_a_project_set_to_send_its_update_itself_covers_its_client_at_the_friday_hour(owner_client, studio, bakery):
    studio_schedules_start(studio, TUESDAY)
    project = bakery.projects.get()
    edit_url = reverse("projects:edit", kwargs={"pk": project.pk})
    with time_machine.travel(TUESDAY, tick=False):
        form = form_values(owner_client.get(edit_url).context["form"])
        assert owner_client.post(edit_url, form | {"friday_auto_send": "on"}).status_code == 302

    with time_machine.travel(FRIDAY_HOUR, tick=False):
        sweeps_run(FRIDAY_HOUR, "friday")
        assert worker_runs() == 2
        friday = owner_client.get(reverse("projects:friday")).content.decode()
    update, reminder = sorted(mail.outbox, key=lambda email: email.to != ["ann@bakery.example"])
    assert update.to == ["ann@bakery.example"]
    assert "Menu page" in update.body
    assert reminder.subject == "Friday update sent automatically for 1 project"
    assert 'data-testid="friday-row"' not in friday

    with time_machine.travel(FRIDAY_LATER, tick=False):
        sweeps_run(FRIDAY_LATER, "friday")
        assert worker_runs() == 0
