"""R8: the client books a short call from the portal within working hours; both sides get an .ics
invitation by email, and the freelancer finds the call on Today and on the calls page.
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from projects.models import Call
from tests.factories import ProjectFactory
from tests.journeys.crossings import BERLIN, ann_at_the_bakery, in_russian, open_portal, section, worker_runs

WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
FIRST_SLOT = datetime(2026, 11, 18, 15, 0, tzinfo=BERLIN)  # four hours' notice, in working hours

TEXT = {
    "en": {
        "booked": "Your call is booked for Wednesday 18 November 2026, 15:00.",
        "invite": "Call booked for Wednesday 18 November 2026, 15:00: Which photos go on the home page",
        "calls_today": "Calls today",
    },
    "ru": {
        "booked": "Созвон назначен: среда, 18 ноября 2026, 15:00.",
        "invite": "Созвон назначен — среда, 18 ноября 2026, 15:00: Which photos go on the home page",
        "calls_today": "Созвоны сегодня",
    },
}


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


@pytest.mark.parametrize("language", ["en", "ru"])
@time_machine.travel(WEDNESDAY, tick=False)
def test_a_call_booked_in_the_portal_reaches_both_calendars_and_today(owner_client, ann, language):
    text = TEXT[language]
    ann.client.language = language
    ann.client.save(update_fields=["language"])
    if language == "ru":
        in_russian(owner_client)
    website = ProjectFactory(client=ann.client, title="Bakery website", active_from=date(2026, 10, 1))
    portal = open_portal(owner_client, ann)
    mail.outbox.clear()

    page = portal.get(reverse("portal:call_book")).content.decode()
    offered = re.findall(r'name="start" id="[^"]+" value="([^"]+)"', page)
    assert datetime.fromisoformat(offered[0]) == FIRST_SLOT
    assert all(9 <= datetime.fromisoformat(slot).astimezone(BERLIN).hour < 18 for slot in offered)
    booked = portal.post(
        reverse("portal:call_book"),
        {
            "duration": "15",
            "topic": "Which photos go on the home page",
            "project": str(website.pk),
            "start": offered[0],
        },
        follow=True,
    )
    assert text["booked"] in booked.content.decode()
    call = Call.objects.get()
    assert (call.starts_at, call.ends_at) == (FIRST_SLOT, FIRST_SLOT + timedelta(minutes=15))

    assert worker_runs() == 2
    invitations = {tuple(email.to): email for email in mail.outbox}
    to_client = invitations[("ann@bakery.example",)]
    to_studio = invitations[("owner@northlight.example",)]
    assert to_client.subject == text["invite"]
    for email in (to_client, to_studio):
        [(filename, ics, mimetype)] = email.attachments
        assert (filename, mimetype) == ("call.ics", "text/calendar; method=REQUEST")
        assert "METHOD:REQUEST" in ics
        assert f"DTSTART:{FIRST_SLOT.astimezone(UTC):%Y%m%dT%H%M%SZ}" in ics
        assert f"UID:{call.uid}" in ics

    today = section(owner_client.get(reverse("today")).content.decode(), "calls-today")
    assert text["calls_today"] in today
    assert "15:00–15:15 Acme Bakery" in today
    assert "Which photos go on the home page" in today
    calls_page = owner_client.get(reverse("calls:index")).content.decode()
    assert "Which photos go on the home page" in calls_page
    assert "Acme Bakery" in calls_page
