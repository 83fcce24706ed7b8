"""The post-project survey (R16): the invitation sweep, one-click ratings, the full survey, follow-ups, figures."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client as Browser
from django.urls import reverse

from comms.conversation import reply_due
from comms.models import Message, OutboxEmail
from comms.outbox import build_message
from guest.survey_forms import SurveyForm
from kernel.models import SweepSchedule
from projects import reminders
from projects.models import PortalActivity, Survey
from projects.portal_access import hash_token
from projects.survey import csat_summary, issue_token, nps, open_follow_up, record_rating
from tests.factories import ClientFactory, ContactFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
COMPLETED = date(2026, 11, 2)  # a Monday; 14 days later is Monday 16 November
DUE = datetime(2026, 11, 16, 10, 0, tzinfo=BERLIN)
ANSWERED = DUE + timedelta(days=1)  # Tuesday 10:00, inside working hours


def run(when: datetime) -> int:
    """The sweep as beat runs it at ``when``, every studio due: the schedule is tested in tests/crm/test_sweeps.py."""
    SweepSchedule.objects.update(next_run_at=when)
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
    assert (survey.contact.email, survey.language, survey.questions) == ("zoe@acme.example", "en", [])
    (email,) = OutboxEmail.objects.all()
    assert (email.kind, email.idempotency_key) == ("survey", f"survey:{finished.pk}")
    assert email.to == ["zoe@acme.example"]
    assert (email.client, email.project) == (finished.client, finished)
    assert email.subject == "How did Bakery <site> go? Rate it in one click"
    assert "NEXT STEPS" in email.text
    assert "<strong>Next steps</strong>" in email.html
    assert "Bakery &lt;site&gt;" in email.html


def test_the_invitation_carries_ten_one_click_ratings_and_the_full_survey(finished):
    run(DUE)

    survey = Survey.objects.get(project=finished)
    (email,) = OutboxEmail.objects.all()
    message = build_message(email)
    text, html = message.body, message.alternatives[0][0]
    (token,) = set(re.findall(r"/survey/([^/]+)/", text))
    assert hash_token(token) == survey.token_hash  # only the hash is stored
    assert token not in email.text + email.html  # sealed until it leaves
    base = f"{settings.SITE_URL}/survey/{token}/"
    for score in range(1, 11):
        assert f"{score}: {base}rate/{score}/\n" in text
        assert f'<a href="{base}rate/{score}/"' in html
    assert text.count("/rate/") == html.count("/rate/") == 10
    assert f"{base}rate/0/" not in text
    assert f"\n{base}\n" in text
    assert f'<a href="{base}"' in html
    assert '<table role="presentation"' in html


def test_the_survey_is_in_the_clients_language_with_the_studios_questions_frozen(finished, studio):
    finished.client.language = "ru"
    finished.client.save()
    studio.survey_questions = "What went well?\n\nWhat should we change?\n"
    studio.save()

    run(DUE)
    studio.survey_questions = "Something new?"
    studio.save()

    survey = Survey.objects.get(project=finished)
    assert survey.language == "ru"
    assert survey.questions == ["What went well?", "What should we change?"]
    survey.refresh_from_db()
    assert survey.questions == ["What went well?", "What should we change?"]


def test_a_survey_asks_at_most_ten_further_questions(finished, studio):
    studio.survey_questions = "\n".join(f"Question {number}?" for number in range(1, 13))
    studio.save()

    run(DUE)

    survey = Survey.objects.get(project=finished)
    assert survey.questions == [f"Question {number}?" for number in range(1, 11)]
    form = SurveyForm(questions=[f"Q{number}" for number in range(12)])
    assert [name for name in form.fields if name.startswith("answer_")] == [f"answer_{index}" for index in range(10)]


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


# --- One-click rating -------------------------------------------------------------------------------


@pytest.fixture
def survey(finished, studio):
    survey = Survey.objects.create(
        studio=studio,
        project=finished,
        contact=finished.client.contacts.get(is_primary=True),
        invited_at=DUE,
        questions=["What went well?", "What should we change?"],
    )
    survey.token = issue_token(survey)  # what the invitation's links carry
    return survey


def url(survey: Survey) -> str:
    return reverse("survey:answer", args=[survey.token])


def rate_url(survey: Survey, score: int) -> str:
    return reverse("survey:rate", args=[survey.token, score])


def nothing_recorded(survey: Survey) -> bool:
    survey.refresh_from_db()
    return (
        (survey.csat, survey.rated_at, survey.answered_at) == (None, None, None)
        and not Message.objects.exists()
        and not PortalActivity.objects.exists()
    )


def test_a_rating_link_shows_the_score_and_asks_to_confirm_without_changing_anything(client: Browser, survey):
    response = client.get(rate_url(survey, 8))

    assert response.status_code == 200
    page = response.content.decode()
    assert "How did Bakery &lt;site&gt; go?" in page
    assert page.count('type="radio" name="csat"') == 10
    assert 'name="csat" value="8" class="btn-check" id="id_csat_7" required checked>' in page
    assert page.count(" checked>") == 1
    assert "Confirm my rating" in page
    assert 'method="post"' in page
    assert nothing_recorded(survey)


def test_a_mail_scanner_following_every_link_changes_nothing(client: Browser, survey):
    for score in range(1, 11):
        assert client.get(rate_url(survey, score)).status_code == 200
        assert client.head(rate_url(survey, score)).status_code in (200, 405)

    assert nothing_recorded(survey)


def test_confirming_a_rating_records_it_and_opens_the_full_survey(client: Browser, survey):
    with time_machine.travel(ANSWERED, tick=False):
        response = client.post(rate_url(survey, 8), {"csat": "8"})

    assert response.status_code == 302
    assert response.url == url(survey)
    survey.refresh_from_db()
    assert (survey.csat, survey.rated_at, survey.answered_at) == (8, ANSWERED, None)
    page = client.get(url(survey)).content.decode()
    assert 'name="csat" value="8" class="btn-check" id="id_csat_7" required checked>' in page
    assert page.count('type="radio" name="nps"') == 11
    assert "What went well?" in page
    assert "What should we change?" in page


def test_the_latest_rating_wins_until_the_survey_is_answered(client: Browser, survey):
    client.post(rate_url(survey, 8), {"csat": "8"})
    with time_machine.travel(ANSWERED, tick=False):
        client.post(rate_url(survey, 8), {"csat": "9"})  # changed their mind on the confirmation page

    survey.refresh_from_db()
    assert (survey.csat, survey.rated_at) == (9, ANSWERED)
    (activity,) = PortalActivity.objects.all()  # noted once, at the first rating
    assert (activity.kind, activity.client, activity.project) == ("survey", survey.project.client, survey.project)
    assert activity.url == reverse("projects:detail", args=[survey.project.pk])

    client.post(url(survey), {"csat": "9", "nps": "10"})
    after = client.post(rate_url(survey, 2), {"csat": "2"})

    assert after.status_code == 200
    assert "Already answered" in after.content.decode()
    survey.refresh_from_db()
    assert survey.csat == 9
    assert "Already answered" in client.get(rate_url(survey, 2)).content.decode()


def test_an_invalid_confirmation_re_renders_with_an_error(client: Browser, survey):
    response = client.post(rate_url(survey, 8), {"csat": "12"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "invalid-feedback" in page
    assert page.count('type="radio" name="csat"') == 10
    assert nothing_recorded(survey)


@pytest.mark.parametrize("score", ["0", "11", "abc", "-1", "5.5"])
def test_a_score_outside_one_to_ten_is_a_404(client: Browser, survey, score):
    path = f"/survey/{survey.token}/rate/{score}/"

    assert client.get(path).status_code == 404
    assert client.post(path, {"csat": "5"}).status_code == 404
    assert nothing_recorded(survey)


def test_unknown_token_is_a_404(client: Browser, survey):
    assert client.get(reverse("survey:answer", args=["no-such-token"])).status_code == 404
    assert client.post(reverse("survey:answer", args=["no-such-token"]), {"csat": "5", "nps": "9"}).status_code == 404
    assert client.get(reverse("survey:thanks", args=["no-such-token"])).status_code == 404
    assert client.get(reverse("survey:rate", args=["no-such-token", 5])).status_code == 404
    assert client.post(reverse("survey:rate", args=["no-such-token", 5]), {"csat": "5"}).status_code == 404


def test_survey_urls_are_public_under_survey(survey):
    assert url(survey) == f"/survey/{survey.token}/"
    assert rate_url(survey, 7) == f"/survey/{survey.token}/rate/7/"


# --- The full survey --------------------------------------------------------------------------------


def test_survey_page_needs_no_login_and_offers_the_scales_questions_and_comment(client: Browser, survey):
    response = client.get(url(survey))

    assert response.status_code == 200
    page = response.content.decode()
    assert "How did Bakery &lt;site&gt; go?" in page
    assert "Northlight" in page
    assert page.count('type="radio" name="csat"') == 10
    assert page.count('type="radio" name="nps"') == 11
    assert " checked>" not in page
    assert '<textarea name="answer_0"' in page
    assert '<textarea name="answer_1"' in page
    assert 'maxlength="2000"' in page
    assert 'name="comment"' in page


def test_survey_is_answered_once_with_answers_in_order(client: Browser, survey):
    data = {"csat": "9", "nps": "9", "answer_0": "  Speed  ", "answer_1": "", "comment": "  Lovely <b>work</b>  "}
    with time_machine.travel(ANSWERED, tick=False):
        response = client.post(url(survey), data)
    second = client.post(url(survey), {"csat": "1", "nps": "0", "comment": "Changed my mind"})

    assert response.status_code == 302
    assert response.url == reverse("survey:thanks", args=[survey.token])
    survey.refresh_from_db()
    assert (survey.csat, survey.nps, survey.comment) == (9, 9, "Lovely <b>work</b>")
    assert survey.answers == ["Speed", ""]
    assert survey.answered_at == survey.rated_at == ANSWERED
    assert second.status_code == 200
    assert "Already answered — thank you!" in second.content.decode()
    assert 'type="radio"' not in second.content.decode()
    assert "Already answered" in client.get(url(survey)).content.decode()
    thanks = client.get(reverse("survey:thanks", args=[survey.token]))
    assert thanks.status_code == 200
    assert "Thank you for your answers!" in thanks.content.decode()
    (activity,) = PortalActivity.objects.all()
    assert activity.summary == "Bakery <site>: rated 9/10, would recommend 9/10"
    assert not Message.objects.exists()


def test_answering_keeps_the_time_of_an_earlier_one_click_rating(client: Browser, survey):
    with time_machine.travel(DUE, tick=False):
        client.post(rate_url(survey, 9), {"csat": "9"})
    with time_machine.travel(ANSWERED, tick=False):
        client.post(url(survey), {"csat": "10", "nps": "10"})

    survey.refresh_from_db()
    assert (survey.csat, survey.rated_at, survey.answered_at) == (10, DUE, ANSWERED)
    assert PortalActivity.objects.count() == 2  # the rating, then the answers


@pytest.mark.parametrize(
    "data",
    [
        {"csat": "11", "nps": "9"},
        {"csat": "0", "nps": "9"},
        {"csat": "4", "nps": "11"},
        {"csat": "4"},
        {"nps": "7", "comment": "No score"},
        {"csat": "four", "nps": "7"},
        {"csat": "4", "nps": "7", "answer_0": "x" * 2001},
        {"csat": "4", "nps": "7", "comment": "x" * 5001},
    ],
)
def test_invalid_answers_re_render_with_errors_and_save_nothing(client: Browser, survey, data):
    response = client.post(url(survey), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "invalid-feedback" in page
    assert 'type="radio" name="csat"' in page
    assert nothing_recorded(survey)


def test_invalid_answer_keeps_what_was_typed(client: Browser, survey):
    response = client.post(url(survey), {"csat": "4", "answer_1": "More calls & less mail", "comment": "Great & quick"})

    page = response.content.decode()
    assert "Choose a score from 0 to 10." in page
    assert 'name="csat" value="4" class="btn-check" id="id_csat_3" required checked>' in page
    assert "More calls &amp; less mail</textarea>" in page
    assert "Great &amp; quick</textarea>" in page


def test_survey_pages_are_never_cached_indexed_or_leaked_by_referer(client: Browser, survey):
    for path in (url(survey), rate_url(survey, 5), reverse("survey:thanks", args=[survey.token])):
        response = client.get(path)
        assert response["Cache-Control"] == "no-store, private"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        # Never the path (the token); the page's form posts with `Origin: null` and still passes.
        assert response["Referrer-Policy"] == "no-referrer"


def test_the_confirmation_posts_pass_the_csrf_check_from_the_same_origin(survey):
    browser = Browser(enforce_csrf_checks=True)
    browser.get(rate_url(survey, 7))
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value

    response = browser.post(rate_url(survey, 7), {"csat": "7", "csrfmiddlewaretoken": token}, HTTP_ORIGIN="null")

    assert response.status_code == 302


def test_a_russian_survey_renders_in_russian_whatever_the_browser_says(client: Browser, survey):
    survey.language = "ru"
    survey.save()

    for path in (url(survey), rate_url(survey, 5), reverse("survey:thanks", args=[survey.token])):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert '<html lang="ru">' in response.content.decode()
        assert response["Content-Language"] == "ru"


def test_an_english_survey_stays_english_for_a_russian_browser(client: Browser, survey):
    response = client.get(url(survey), HTTP_ACCEPT_LANGUAGE="ru")

    assert '<html lang="en">' in response.content.decode()
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("question_count", [0, 10])
def test_survey_pages_use_a_constant_number_of_queries(
    client: Browser, survey, question_count, django_assert_max_num_queries
):
    survey.questions = [f"Question {number}?" for number in range(question_count)]
    survey.save()

    with django_assert_max_num_queries(3):
        client.get(url(survey))
    with django_assert_max_num_queries(3):
        client.get(rate_url(survey, 5))


# --- A low rating opens a follow-up -----------------------------------------------------------------


def test_a_low_rating_opens_one_follow_up_with_its_own_reply_clock(client: Browser, survey, studio):
    with time_machine.travel(ANSWERED, tick=False):
        client.post(rate_url(survey, 4), {"csat": "4"})
        client.post(rate_url(survey, 3), {"csat": "3"})

    (message,) = Message.objects.all()
    survey.refresh_from_db()
    assert survey.follow_up == message
    assert (message.direction, message.channel) == ("in", "survey")
    assert (message.client, message.project) == (survey.project.client, survey.project)
    assert (message.from_email, message.from_name) == ("zoe@acme.example", "Zoe Baker")
    assert message.needs_reply
    assert message.replied_at is None
    assert message.reply_due_at == reply_due(studio, ANSWERED, urgent=False)
    assert message.subject == "Survey: Bakery <site> rated 3/10"
    assert "Rating: 3/10" in message.text
    assert list(Message.objects.open_clocks()) == [message]
    (activity,) = PortalActivity.objects.all()
    assert activity.url == reverse("comms:message", kwargs={"pk": message.pk})
    assert activity.summary == "Rated Bakery <site> 4/10"


def test_the_follow_up_shows_in_the_inbox_for_the_studio_only(client: Browser, survey, owner_client, charlie_client):
    client.post(rate_url(survey, 4), {"csat": "4"})
    message = Message.objects.get()

    response = owner_client.get(reverse("comms:message", kwargs={"pk": message.pk}))

    assert response.status_code == 200
    assert "Survey: Bakery &lt;site&gt; rated 4/10" in response.content.decode()
    assert charlie_client.get(reverse("comms:message", kwargs={"pk": message.pk})).status_code == 404


def test_the_follow_up_stays_open_when_the_rating_rises_and_takes_the_answers(client: Browser, survey):
    with time_machine.travel(ANSWERED, tick=False):
        client.post(rate_url(survey, 5), {"csat": "5"})
    data = {"csat": "8", "nps": "6", "answer_0": "The design", "answer_1": "Answer mail faster", "comment": "OK <b>"}
    client.post(url(survey), data)

    (message,) = Message.objects.all()
    assert message.is_open
    assert message.subject == "Survey: Bakery <site> rated 8/10"
    assert message.text == (
        "Rating: 8/10\nWould recommend: 6/10\n\nWhat went well?\nThe design\n\n"
        "What should we change?\nAnswer mail faster\n\nComment:\nOK <b>"
    )
    assert message.text_new == message.text
    activity = PortalActivity.objects.order_by("pk").last()
    assert activity.url == reverse("comms:message", kwargs={"pk": message.pk})


def test_a_high_rating_opens_no_follow_up(client: Browser, survey):
    client.post(rate_url(survey, 7), {"csat": "7"})
    client.post(url(survey), {"csat": "7", "nps": "3", "comment": "Fine"})

    survey.refresh_from_db()
    assert survey.follow_up is None
    assert not Message.objects.exists()


def test_a_low_score_in_the_full_survey_opens_the_follow_up(client: Browser, survey, studio):
    with time_machine.travel(ANSWERED, tick=False):
        client.post(url(survey), {"csat": "2", "nps": "0", "comment": "Late and over budget"})

    (message,) = Message.objects.all()
    assert message.reply_due_at == reply_due(studio, ANSWERED, urgent=False)
    assert "Comment:\nLate and over budget" in message.text


def test_the_follow_up_threshold_is_the_studios_setting(client: Browser, survey, studio):
    studio.survey_follow_up_below = 9
    studio.save()

    client.post(rate_url(survey, 8), {"csat": "8"})

    assert Message.objects.count() == 1


def test_opening_the_follow_up_twice_keeps_one_message(survey):
    survey = Survey.objects.select_related("studio", "project__client", "contact").get(pk=survey.pk)
    record_rating(survey, 2, now=ANSWERED)

    first = open_follow_up(survey, now=ANSWERED)
    again = open_follow_up(survey, now=ANSWERED + timedelta(hours=2))

    assert first == again
    assert Message.objects.count() == 1
    assert again.reply_due_at == first.reply_due_at


# --- Figures for the reports ------------------------------------------------------------------------


def test_csat_summary_counts_and_averages_the_ratings():
    assert csat_summary([7, 8, 10, None]) == {"count": 3, "average": pytest.approx(25 / 3)}
    assert csat_summary([]) == {"count": 0, "average": None}


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], None),
        ([10, 9, 8, 7], 50.0),
        ([10, 6, 0, 8], -25.0),
        ([6, 5], -100.0),
        ([9, 10, None], 100.0),
        ([7, 8], 0.0),
    ],
)
def test_nps_is_promoters_minus_detractors_in_percent(scores, expected):
    assert nps(scores) == expected
