"""Issue 18, busy time in: the freelancer adds their private calendar; the client's portal no longer
offers the time it marks busy, the sweep keeps it current, and a calendar that stops answering is
flagged on the Calls page.
"""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from projects.models import BusyCalendar, Call
from tests.ics_server import ics, ics_server
from tests.journeys.crossings import BERLIN, ann_at_the_bakery, open_portal, sweeps_run

WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)
DENTIST = (datetime(2026, 11, 18, 15, 0, tzinfo=BERLIN), datetime(2026, 11, 18, 16, 0, tzinfo=BERLIN))
SECRET_PATH = "/calendar/ical/me%40example.com/private-0a1b2c3d/basic.ics"


def offered(portal) -> list[datetime]:
    page = portal.get(reverse("portal:call_book")).content.decode()
    return [datetime.fromisoformat(value) for value in re.findall(r'name="start" id="[^"]+" value="([^"]+)"', page)]


@pytest.fixture
def ann(studio):
    return ann_at_the_bakery(studio)


def test_a_busy_calendar_keeps_its_time_out_of_the_portal(owner_client, ann):
    with ics_server() as server, time_machine.travel(WEDNESDAY, tick=False) as clock:
        portal = open_portal(owner_client, ann)
        assert DENTIST[0] in offered(portal)  # four hours' notice: 15:00 is the first time on offer

        # The freelancer pastes their calendar's secret address on the Busy calendars page.
        calls_page = owner_client.get(reverse("calls:index")).content.decode()
        assert reverse("calls:calendars") in calls_page
        url = server.serve(SECRET_PATH, ics(DENTIST))
        added = owner_client.post(reverse("calls:calendars"), {"name": "Personal", "url": url}, follow=True)
        page = added.content.decode()
        assert "Calendar “Personal” added" in page
        assert "1 busy time ahead" in page
        assert "0a1b2c3d" not in page

        # The client no longer sees 15:00–15:45; 16:00 is offered, and a stale form cannot take 15:00.
        times = offered(portal)
        assert not any(DENTIST[0] <= slot < DENTIST[1] for slot in times)
        assert times[0] == DENTIST[1]
        refused = portal.post(
            reverse("portal:call_book"),
            {"duration": "15", "topic": "Photos", "start": DENTIST[0].isoformat()},
            follow=True,
        )
        assert not Call.objects.exists()
        assert "That time is no longer free" in refused.content.decode()

        # The dentist is cancelled; a beat tick 15 minutes later reads the calendar again.
        server.serve(SECRET_PATH, ics())
        clock.shift(timedelta(minutes=15))
        assert sweeps_run(WEDNESDAY + timedelta(minutes=15), "busy-calendars") == {"busy-calendars": 1}
        assert DENTIST[0] + timedelta(minutes=30) in offered(portal)  # 15:15 + four hours' notice: 15:30 is free

        # The calendar stops answering; after six hours without a good read the Calls page says so.
        server.serve(SECRET_PATH, b"", status=500)
        for minutes in (30, 60, 6 * 60 + 30):
            now = WEDNESDAY + timedelta(minutes=minutes)
            clock.move_to(now)
            sweeps_run(now, "busy-calendars")
        calendar = BusyCalendar.objects.get()
        assert calendar.last_error == BusyCalendar.Error.HTTP
        warning = owner_client.get(reverse("calls:index")).content.decode()
        assert "Rapport could not read “Personal” since Wednesday 18 November, 11:15" in warning
        assert "booking may offer times that are busy there" in warning
