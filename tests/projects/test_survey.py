"""The post-project survey (R16): the invitation sweep and the public page."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client as Browser
from django.urls import reverse

from comms.models import OutboxEmail
from projects import reminders
from projects.models import Survey
from tests.factories import ClientFactory, ContactFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
COMPLETED = date(2026, 11, 2)  # a Monday; 14 days later is Monday 16 November
DUE = datetime(2026, 11, 16, 10, 0, tzinfo=BERLIN)


def run(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return reminders.survey_sweep(when)


@pytest.fixture
def acme(studio):
    client = ClientFactory(studio=studio, name="Acme & Sons")
    ContactFactory(client=client, name="Adam Flour", email="adam@acme.example")
    ContactFactory(client=client, name="Zoe Baker", email="zoe@acme.example", is_primary=True)
    return client


@pytest.fixture
def finished(acme):
    return ProjectFactory(client=acme, title="Bakery <site>", status="completed", completed_on=COMPLETED)


# --- Invitation sweep -------------------------------------------------------------------------------


def test_survey_invitation_goes_out_once_after_the_studios_delay(finished, studio):
    before = run(DUE - timedelta(days=3))
    written = run(DUE)
    again = run(DUE + timedelta(hours=1))
    next_day = run(DUE + timedelta(days=1))

    assert (before, written, again, next_day) == (0, 1, 0, 0)
    survey = Survey.objects.get(project=finished)
    assert (survey.studio, survey.invited_at, survey.answered_at) == (studio, DUE, None)
    (email,) = OutboxEmail.objects.all()
    assert (email.kind, email.idempotency_key) == ("survey", f"survey:{finished.pk}")
    assert email.to == ["zoe@acme.example"]
    assert (email.client, email.project) == (finished.client, finished)
    assert email.subject == "How did Bakery <site> go? Two quick questions"
    link = f"{settings.SITE_URL}/survey/{survey.token}/"
    assert link in email.text
    assert "NEXT STEPS" in email.text
    assert f'<a href="{link}"' in email.html
    assert "Bakery &lt;site&gt;" in email.html
    assert "<strong>Next steps</strong>" in email.html


def test_survey_delay_is_the_studios_setting(finished, studio):
    studio.survey_after_days = 3
    studio.save()

    run(datetime(2026, 11, 5, 10, tzinfo=BERLIN))

    assert Survey.objects.get(project=finished).invited_at is not None


def test_survey_invitation_waits_for_working_hours(finished):
    assert run(DUE.replace(hour=7)) == 0
    saturday = DUE - timedelta(days=2)
    assert run(saturday) == 0
    assert not Survey.objects.exists()
    assert run(DUE.replace(hour=9)) == 1


def test_after_downtime_a_late_invitation_is_sent_but_a_stale_one_is_not(acme):
    recent = ProjectFactory(client=acme, status="completed", completed_on=COMPLETED)
    stale = ProjectFactory(client=acme, status="completed", completed_on=COMPLETED - timedelta(days=80))

    # Beat was down from 13 to 23 November.
    run(datetime(2026, 11, 23, 10, tzinfo=BERLIN))

    assert [email.idempotency_key for email in OutboxEmail.objects.all()] == [f"survey:{recent.pk}"]
    assert not Survey.objects.filter(project=stale).exists()


def test_the_stale_limit_is_sixty_days_after_the_day_the_invitation_was_due(acme):
    due_day = date(2026, 11, 16)
    last_day = ProjectFactory(client=acme, status="completed", completed_on=due_day - timedelta(days=14 + 60))
    too_late = ProjectFactory(client=acme, status="completed", completed_on=due_day - timedelta(days=14 + 61))

    run(DUE)

    assert Survey.objects.filter(project=last_day, invited_at__isnull=False).exists()
    assert not Survey.objects.filter(project=too_late).exists()


def test_no_invitation_for_unfinished_projects_or_clients_without_contacts(studio, acme):
    ProjectFactory(client=acme, status="launched", completed_on=COMPLETED)
    ProjectFactory(client=ClientFactory(studio=studio), status="completed", completed_on=COMPLETED)

    assert run(DUE) == 0
    assert not OutboxEmail.objects.exists()


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2026, 11, 15), False), (date(2026, 11, 16), True), (date(2027, 1, 15), True), (date(2027, 1, 16), False)],
)
def test_survey_invite_due(today, expected):
    assert reminders.survey_invite_due(completed_on=COMPLETED, after_days=14, today=today) is expected


# --- The public page -------------------------------------------------------------------------------


@pytest.fixture
def survey(finished, studio):
    return Survey.objects.create(studio=studio, project=finished, invited_at=DUE)


def url(survey: Survey) -> str:
    return reverse("survey:answer", args=[survey.token])


def test_survey_page_needs_no_login_and_offers_radio_buttons(client: Browser, survey):
    response = client.get(url(survey))

    assert response.status_code == 200
    page = response.content.decode()
    assert "How did Bakery &lt;site&gt; go?" in page
    assert "Northlight" in page
    assert page.count('type="radio" name="csat"') == 5
    assert page.count('type="radio" name="nps"') == 11
    assert 'name="comment"' in page


def test_survey_is_answered_once(client: Browser, survey):
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        response = client.post(url(survey), {"csat": "5", "nps": "9", "comment": "  Lovely <b>work</b>  "})
    second = client.post(url(survey), {"csat": "1", "nps": "0", "comment": "Changed my mind"})

    assert response.status_code == 302
    assert response.url == reverse("survey:thanks", args=[survey.token])
    survey.refresh_from_db()
    assert (survey.csat, survey.nps, survey.comment) == (5, 9, "Lovely <b>work</b>")
    assert survey.answered_at == DUE + timedelta(days=1)
    assert second.status_code == 200
    assert "Already answered — thank you!" in second.content.decode()
    assert 'type="radio"' not in second.content.decode()
    assert "Already answered" in client.get(url(survey)).content.decode()
    thanks = client.get(reverse("survey:thanks", args=[survey.token]))
    assert thanks.status_code == 200
    assert "Thank you for your answers!" in thanks.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"csat": "6", "nps": "9"},
        {"csat": "0", "nps": "9"},
        {"csat": "4", "nps": "11"},
        {"csat": "4"},
        {"nps": "7", "comment": "No score"},
        {"csat": "four", "nps": "7"},
    ],
)
def test_invalid_answers_re_render_with_errors_and_save_nothing(client: Browser, survey, data):
    response = client.post(url(survey), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "invalid-feedback" in page
    assert 'type="radio" name="csat"' in page
    survey.refresh_from_db()
    assert (survey.answered_at, survey.csat, survey.nps) == (None, None, None)


def test_invalid_answer_keeps_what_was_typed(client: Browser, survey):
    response = client.post(url(survey), {"csat": "4", "comment": "Great & quick"})

    page = response.content.decode()
    assert "Choose a score from 0 to 10." in page
    assert 'value="4" class="form-check-input" id="id_csat_3" required checked>' in page
    assert "Great &amp; quick</textarea>" in page


def test_unknown_token_is_a_404(client: Browser, survey):
    assert client.get(reverse("survey:answer", args=["no-such-token"])).status_code == 404
    assert client.post(reverse("survey:answer", args=["no-such-token"]), {"csat": "5", "nps": "9"}).status_code == 404
    assert client.get(reverse("survey:thanks", args=["no-such-token"])).status_code == 404


def test_survey_url_is_public_under_survey(survey):
    assert url(survey) == f"/survey/{survey.token}/"
