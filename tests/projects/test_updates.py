"""The Friday update pages (R2): draft, edit, preview, send once; the week's list."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client as Browser
from django.urls import reverse

from comms.models import OutboxEmail
from comms.outbox import deliver_due
from projects.models import Project, Resource, StatusUpdate
from projects.update_forms import StatusUpdateForm
from tests.factories import ActionItemFactory, ClientFactory, ContactFactory, MilestoneFactory, ProjectFactory

FRIDAY = datetime(2026, 11, 20, 9, 5, tzinfo=ZoneInfo("Europe/Berlin"))
WEEK = "2026-W47"


@pytest.fixture(autouse=True)
def friday_morning():
    with time_machine.travel(FRIDAY, tick=False):
        yield


@pytest.fixture
def acme(studio):
    return ClientFactory(studio=studio, name="Acme Bakery")


@pytest.fixture
def site(acme) -> Project:
    project = ProjectFactory(
        client=acme, title="Bakery site", active_from=date(2026, 11, 1), deadline_on=date(2026, 12, 18)
    )
    MilestoneFactory(project=project, title="Mock-ups", due_on=date(2026, 11, 27))
    ActionItemFactory(project=project, text="Send the logo", due_on=date(2026, 11, 24))
    return project


@pytest.fixture
def contacts(acme):
    return (
        ContactFactory(client=acme, name="Zoe Baker", email="zoe@acme.example", is_primary=True),
        ContactFactory(client=acme, name="Adam Flour", email="adam@acme.example"),
    )


def url(project: Project) -> str:
    return reverse("projects:update", args=[project.pk])


def form_data(**changes) -> dict:
    data = {
        "summary": "On track.",
        "done_this_week": "• Wireframes",
        "next_up": "• Mock-ups",
        "blockers": "",
        "client_next_steps": "• Send the logo",
    }
    data.update(changes)
    return data


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def delivered(mailoutbox: list) -> list:
    """Run the outbox worker, as the Celery task would, and return what left."""
    deliver_due()
    return mailoutbox


def test_get_shows_the_draft_and_its_preview_without_saving_anything(owner_client: Browser, site, contacts, mailoutbox):
    first = owner_client.get(url(site))
    second = owner_client.get(url(site))

    assert first.status_code == second.status_code == 200
    assert not StatusUpdate.objects.exists()  # opening a page never writes: the first save creates the draft
    assert "Send the logo" in second.context["form"]["client_next_steps"].value()
    preview = second.context["preview_text"]
    assert preview.startswith("Hello Zoe,")
    assert "NEXT STEPS" in preview
    assert "Send the logo" in preview
    assert second.context["preview_subject"] == "Bakery site — update for the week of Monday 16 November"
    assert b'<pre class="pre-wrap' in second.content
    assert b"Preview (draft, not saved yet)" in second.content
    assert delivered(mailoutbox) == []


def test_the_first_save_creates_the_weeks_only_draft(owner_client: Browser, site, contacts):
    owner_client.get(url(site))
    owner_client.post(url(site), {**form_data(summary="Nearly there."), "save": "1"})
    owner_client.post(url(site), {**form_data(summary="Nearly there, really."), "save": "1"})

    update = StatusUpdate.objects.get()
    assert (update.project, update.week, update.sent_at) == (site, WEEK, None)
    assert update.summary == "Nearly there, really."


def test_save_keeps_the_edits_and_sends_nothing(owner_client: Browser, site, contacts, mailoutbox, studio):
    guide = Resource.objects.create(studio=studio, kind="document", title="How to review", url="https://x.example/r")
    owner_client.get(url(site))

    response = owner_client.post(
        url(site), {**form_data(summary="Nearly there."), "resources": [guide.pk], "save": "1"}
    )

    assert response.status_code == 302
    assert response.url == url(site)
    update = StatusUpdate.objects.get()
    assert update.summary == "Nearly there."
    assert list(update.resources.all()) == [guide]
    assert update.sent_at is None
    assert delivered(mailoutbox) == []
    assert "Friday update saved." in texts(response)


def test_send_sends_one_email_to_the_client_and_marks_it_sent(
    owner_client: Browser, site, contacts, mailoutbox, studio
):
    guide = Resource.objects.create(studio=studio, kind="screencast", title="Using the CMS", url="https://x.example/v")
    owner_client.get(url(site))

    response = owner_client.post(
        url(site), {**form_data(blockers="• Logo is late"), "resources": [guide.pk], "send": "1"}
    )

    assert response.status_code == 302
    assert response.url == reverse("projects:detail", args=[site.pk])
    queued = OutboxEmail.objects.get()
    assert (queued.studio, queued.kind, queued.status) == (studio, "friday-update", OutboxEmail.Status.QUEUED)
    assert len(delivered(mailoutbox)) == 1
    email = delivered(mailoutbox)[0]
    # The primary contact comes first in To; everyone else of the client receives it too.
    assert email.to[0] == "zoe@acme.example"
    assert (email.to, email.cc) == (["zoe@acme.example"], ["adam@acme.example"])
    assert sorted(email.recipients()) == ["adam@acme.example", "zoe@acme.example"]
    assert email.subject == "Bakery site — update for the week of Monday 16 November"
    assert "Hello Zoe," in email.body
    assert "NEXT STEPS\n• Send the logo" in email.body
    assert "Blockers\n• Logo is late" in email.body
    assert "Using the CMS: https://x.example/v" in email.body
    html = email.alternatives[0][0]
    assert "<strong>Next steps</strong>" in html
    assert '<a href="https://x.example/v">Using the CMS</a>' in html
    assert "Blockers" in html
    update = StatusUpdate.objects.get()
    assert update.sent_at == FRIDAY
    assert update.blockers == "• Logo is late"
    assert any(text.startswith("Friday update sent to zoe@acme.example") for text in texts(response))


def test_without_client_steps_or_blockers_the_email_says_nothing_is_needed(
    owner_client: Browser, site, contacts, mailoutbox
):
    owner_client.get(url(site))

    owner_client.post(url(site), {**form_data(client_next_steps="", blockers=""), "send": "1"})

    (email,) = delivered(mailoutbox)
    assert "NEXT STEPS\nNothing needed from you this week." in email.body
    assert "Blockers" not in email.body
    assert "Blockers" not in email.alternatives[0][0]
    assert "Nothing needed from you this week." in email.alternatives[0][0]


def test_a_sent_update_is_not_sent_again_nor_edited(owner_client: Browser, site, contacts, mailoutbox):
    owner_client.post(url(site), {**form_data(), "send": "1"})
    sent_at = StatusUpdate.objects.get().sent_at

    again = owner_client.post(url(site), {**form_data(summary="Changed"), "send": "1"})
    edit = owner_client.post(url(site), {**form_data(summary="Changed"), "save": "1"})
    page = owner_client.get(url(site))

    assert len(delivered(mailoutbox)) == 1
    update = StatusUpdate.objects.get()
    assert (update.summary, update.sent_at) == ("On track.", sent_at)
    for response in (again, edit):
        assert response.status_code == 302
        assert any("can't be edited or sent again" in text for text in texts(response))
    assert page.status_code == 200
    assert b'data-testid="update-sent"' in page.content
    assert all(field.disabled for field in page.context["form"].fields.values())


def test_no_contact_refuses_to_send(owner_client: Browser, site, mailoutbox):
    response = owner_client.post(url(site), {**form_data(summary="Kept"), "send": "1"})

    assert response.status_code == 302
    assert response.url == url(site)
    assert delivered(mailoutbox) == []
    update = StatusUpdate.objects.get()
    assert update.sent_at is None
    assert update.summary == "Kept"
    assert any("has no contact" in text for text in texts(response))


def test_user_text_is_escaped_in_the_html_body(owner_client: Browser, site, contacts, mailoutbox):
    owner_client.post(url(site), {**form_data(summary="<script>alert(1)</script> & co"), "send": "1"})

    (email,) = delivered(mailoutbox)
    html = email.alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>alert(1)</script> & co" in email.body  # the text part is not HTML


def test_another_studio_gets_404_and_nothing_happens(charlie_client: Browser, site, contacts, mailoutbox):
    assert charlie_client.get(url(site)).status_code == 404
    assert charlie_client.post(url(site), {**form_data(), "send": "1"}).status_code == 404
    assert charlie_client.post(url(site), {**form_data(), "save": "1"}).status_code == 404
    assert not StatusUpdate.objects.exists()
    assert delivered(mailoutbox) == []


def test_resources_of_another_studio_are_rejected(
    owner_client: Browser, site, contacts, other_studio, studio, mailoutbox
):
    theirs = Resource.objects.create(studio=other_studio, kind="faq", title="Theirs")
    owner_client.post(url(site), {**form_data(), "save": "1"})
    update = StatusUpdate.objects.get()

    form = StatusUpdateForm(data={**form_data(), "resources": [theirs.pk]}, instance=update, studio=studio)
    response = owner_client.post(url(site), {**form_data(), "resources": [theirs.pk], "send": "1"})

    assert not form.is_valid()
    assert "resources" in form.errors
    assert response.status_code == 200
    assert "resources" in response.context["form"].errors
    assert delivered(mailoutbox) == []
    assert not update.resources.exists()
    assert StatusUpdate.objects.get().sent_at is None


def test_the_friday_list_shows_the_due_projects_and_their_drafts(owner_client: Browser, studio, site, contacts):
    other = ProjectFactory(
        client=ClientFactory(studio=studio, name="Zed Cafe"), title="Cafe menu", active_from=date(2026, 11, 1)
    )
    ProjectFactory(client=site.client, title="Never begun")  # no active_from: never due
    ProjectFactory(client=ClientFactory(studio=studio), status="lead", active_from=date(2026, 12, 1), title="Later")
    owner_client.post(url(site), {**form_data(), "save": "1"})

    response = owner_client.get(reverse("projects:friday"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(project, update is not None) for project, update in rows] == [(site, True), (other, False)]
    assert response.context["week"] == WEEK
    assert url(site).encode() in response.content
    assert url(other).encode() in response.content
    assert b"Not started" in response.content  # the badge of the project with no draft yet
    assert b"Later" not in response.content
    assert b"Never begun" not in response.content


def test_the_friday_list_of_another_studio_is_its_own(charlie_client: Browser, site):
    response = charlie_client.get(reverse("projects:friday"))

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert b"Bakery site" not in response.content


@pytest.mark.parametrize("count", [3, 30])
def test_the_friday_list_query_count_is_constant(owner_client: Browser, studio, count, django_assert_max_num_queries):
    for index in range(count):
        client = ClientFactory(studio=studio)
        ContactFactory(client=client)
        project = ProjectFactory(client=client, active_from=date(2026, 11, 1))
        if index % 2:
            StatusUpdate.objects.create(project=project, week=WEEK, sent_at=FRIDAY if index % 4 == 1 else None)
    owner_client.get(reverse("projects:index"))  # warm the session

    with django_assert_max_num_queries(9):
        response = owner_client.get(reverse("projects:friday"))

    assert len(response.context["rows"]) == count
    assert sum(update is not None for _, update in response.context["rows"]) == count // 2


def test_an_update_sent_on_friday_evening_waits_for_monday_morning(owner_client: Browser, site, contacts, studio):
    owner_client.get(url(site))
    with time_machine.travel(datetime(2026, 11, 20, 19, 30, tzinfo=ZoneInfo("Europe/Berlin")), tick=False):
        response = owner_client.post(url(site), {**form_data(), "send": "1"})

    queued = OutboxEmail.objects.get()
    assert queued.send_after == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (queued.client, queued.project, queued.idempotency_key) == (
        site.client,
        site,
        f"status-update:{StatusUpdate.objects.get().pk}",
    )
    assert any("leaves Monday 09:00" in text for text in texts(response))
