"""The digest's "New files from your clients": the files nobody has seen yet, in English and in Russian."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from comms.models import OutboxEmail
from desk.digest import client_files, digest_sections, sweep_daily_digest
from files.models import ProjectFile
from tests.factories import ClientFactory, ContactFactory, ProjectFactory
from tests.files.rows import project_file

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = date(2026, 11, 25)
AT_EIGHT = datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN)  # the studio's digest hour (the default)


@pytest.fixture(autouse=True)
def a_clock_the_day_before():
    with time_machine.travel(AT_EIGHT - timedelta(hours=16), tick=False):
        yield


@pytest.fixture
def website(studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    return ProjectFactory(client=bakery, title="Bakery website")


def tick(now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        return sweep_daily_digest(now)


def test_the_digest_lists_the_clients_unseen_files(studio, owner, website, other_studio):
    ann = ContactFactory(client=website.client, name="Ann Baker")
    project_file(
        website, "logo.png", title="New logo", created_at=AT_EIGHT - timedelta(hours=14), uploaded_by_contact=ann
    )
    project_file(website, "texts.docx", created_at=AT_EIGHT - timedelta(days=3))
    project_file(website, "seen.png", created_at=AT_EIGHT - timedelta(hours=2), seen_at=AT_EIGHT)
    project_file(website, "mockup.png", side=ProjectFile.Side.STUDIO, created_at=AT_EIGHT - timedelta(hours=1))
    project_file(ProjectFactory(client=ClientFactory(studio=other_studio)), "foreign.png", created_at=AT_EIGHT)

    assert tick(AT_EIGHT) == 1

    [digest] = OutboxEmail.objects.filter(kind="digest")
    text = digest.text
    assert "NEW FILES FROM YOUR CLIENTS (2)" in text
    assert text.index("New logo") < text.index("texts.docx")
    assert "Ann's Bakery · Bakery website · Ann Baker · 14\xa0hours ago" in text
    assert f"http://127.0.0.1:8000/files/project/{website.pk}/" in text
    for absent in ("seen.png", "mockup.png", "foreign.png"):
        assert absent not in text
    assert "Ann&#x27;s Bakery · Bakery website" in digest.html


def test_a_file_stays_in_the_digest_until_it_is_seen(studio, owner, website):
    kept = project_file(website, "logo.png", created_at=AT_EIGHT - timedelta(days=2))
    assert [line["title"] for line in client_files(studio, now=AT_EIGHT)] == ["logo.png"]
    ProjectFile.objects.filter(pk=kept.pk).update(seen_at=AT_EIGHT)
    assert client_files(studio, now=AT_EIGHT) == []
    assert digest_sections(studio, today=WEDNESDAY, now=AT_EIGHT) == []  # nothing else to say: no digest


def test_the_files_section_in_russian(studio, owner, website):
    project_file(website, "логотип.png", created_at=AT_EIGHT - timedelta(hours=3))
    with translation.override("ru"):
        [section] = digest_sections(studio, today=WEDNESDAY, now=AT_EIGHT)
    assert section["title"] == "Новые файлы от клиентов"
    assert section["items"][0]["title"] == "логотип.png"
    assert section["items"][0]["detail"].endswith("3\xa0часа назад")
