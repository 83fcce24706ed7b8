"""Today's "New files from your clients": unseen client files, newest first, with download, files page and seen."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from desk.today import section_counts
from files.models import ProjectFile
from tests.factories import ClientFactory, ContactFactory, ProjectFactory
from tests.files.rows import project_file

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def client_files(studio, count: int, *, start_at: int = 0) -> list[ProjectFile]:
    made = []
    for index in range(start_at, start_at + count):
        client = ClientFactory(studio=studio, name=f"Client {index}")
        contact = ContactFactory(client=client, name=f"Contact {index}")
        project = ProjectFactory(client=client, title=f"Site {index}")
        made.append(
            project_file(
                project,
                f"file-{index}.png",
                created_at=NOW - timedelta(minutes=90 - index),
                uploaded_by_contact=contact,
            )
        )
    return made


def test_today_lists_the_clients_unseen_files_newest_first(owner_client, studio, other_studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    ann = ContactFactory(client=bakery, name="Ann Baker")
    website = ProjectFactory(client=bakery, title="Bakery website")
    logo = project_file(
        website, "logo.png", title="New logo", created_at=NOW - timedelta(hours=3), uploaded_by_contact=ann
    )
    texts = project_file(website, "texts.docx", created_at=NOW - timedelta(minutes=20))
    project_file(website, "seen.png", created_at=NOW - timedelta(hours=1), seen_at=NOW)
    project_file(website, "mockup.png", side=ProjectFile.Side.STUDIO, created_at=NOW)
    project_file(ProjectFactory(client=ClientFactory(studio=other_studio)), "foreign.png", created_at=NOW)

    page = owner_client.get(reverse("today")).content.decode()

    section = page[page.index('data-testid="client-files"') :]
    section = section[: section.index("</section>")]
    assert "New files from your clients" in section
    assert section.index("texts.docx") < section.index("New logo")
    assert "Ann&#x27;s Bakery · Bakery website · Ann Baker · 3\xa0hours ago" in section
    assert reverse("files:download", kwargs={"pk": logo.pk}) in section
    assert reverse("files:seen", kwargs={"pk": texts.pk}) in section
    assert reverse("files:project", kwargs={"pk": website.pk}) in section
    assert reverse("files:seen_all") in section
    assert section.count('data-testid="client-file"') == 2
    for absent in ("seen.png", "mockup.png", "foreign.png"):
        assert absent not in page


def test_the_count_joins_the_one_query_of_counts(studio):
    client_files(studio, 3)
    with CaptureQueriesContext(connection) as queries:
        counts = section_counts(studio, now=NOW)
    assert counts["files"] == 3
    assert len(queries) == 1


def test_today_keeps_a_constant_number_of_queries_with_files(owner_client, studio, django_assert_max_num_queries):
    client_files(studio, 2)
    owner_client.get(reverse("today"))
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse("today")).status_code == 200
    client_files(studio, 12, start_at=2)
    with django_assert_max_num_queries(len(few)):
        page = owner_client.get(reverse("today")).content.decode()
    assert page.count('data-testid="client-file"') == 8
    with django_assert_max_num_queries(len(few)):
        assert owner_client.get(reverse("today_counts")).status_code == 200


def test_the_counts_endpoint_refreshes_the_files_badge(owner_client, studio):
    client_files(studio, 3)
    fragment = owner_client.get(reverse("today_counts")).content.decode()
    assert 'id="today-n-files"' in fragment
    assert ">3</span>" in fragment


def test_marking_a_file_seen_takes_it_off_today(owner_client, studio):
    [first, second] = client_files(studio, 2)
    owner_client.post(reverse("files:seen", kwargs={"pk": first.pk}), {"next": reverse("today")})
    page = owner_client.get(reverse("today")).content.decode()
    assert "file-0.png" not in page
    assert "file-1.png" in page
    owner_client.post(reverse("files:seen_all"))
    page = owner_client.get(reverse("today")).content.decode()
    assert "file-1.png" not in page
    assert "No new files from your clients." in page
