"""The client's dossier shows each file sent either way and each review on its timeline (composed in desk)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from files.models import ProjectFile
from tests.factories import ClientFactory, ContactFactory, MessageFactory, PaymentFactory, ProjectFactory
from tests.files.rows import project_file

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_uploads_both_ways_and_reviews_are_on_the_timeline_newest_first(owner_client, studio, other_studio):
    bakery = ClientFactory(studio=studio, name="Acme Bakery")
    olga = ContactFactory(client=bakery, name="Olga Baker")
    website = ProjectFactory(client=bakery, title="Bakery website")
    PaymentFactory(client=bakery, amount_minor=100_000, paid_on=date(2026, 11, 10))
    project_file(website, "logo.png", created_at=NOW - timedelta(days=20), uploaded_by_contact=olga)
    project_file(
        website, "brief.pdf", created_at=NOW - timedelta(days=15), source_message=MessageFactory(thread__client=bakery)
    )
    first = project_file(
        website, "home.png", title="Homepage", side=ProjectFile.Side.STUDIO, created_at=NOW - timedelta(days=8),
        is_current=False, review=ProjectFile.Review.CHANGES, reviewed_at=NOW - timedelta(days=6),
        reviewed_by_contact=olga, review_comment="Bigger logo, please",
    )  # fmt: skip
    project_file(
        website, "home-v2.png", title="Homepage", side=ProjectFile.Side.STUDIO, created_at=NOW - timedelta(days=3),
        version=2, previous=first, review=ProjectFile.Review.APPROVED, reviewed_at=NOW - timedelta(days=1),
        reviewed_by_contact=olga,
    )  # fmt: skip
    project_file(ProjectFactory(client=ClientFactory(studio=other_studio)), "foreign.png", created_at=NOW)

    response = owner_client.get(reverse("clients:detail", args=[bakery.pk]))

    timeline = response.context["timeline"]
    assert [(entry.kind, entry.title) for entry in timeline] == [
        ("file-approved", "Approved: Homepage"),
        ("file-out", "Version 2 sent: Homepage"),
        ("file-changes", "Changes asked: Homepage"),
        ("file-out", "File sent: Homepage"),
        ("payment", timeline[4].title),
        ("file-in", "File from the client: brief.pdf"),
        ("file-in", "File from the client: logo.png"),
    ]
    assert timeline[2].detail == "Bakery website · Olga Baker · Bigger logo, please"
    assert timeline[5].detail == "Bakery website · saved from an email"
    assert timeline[6].detail == "Bakery website · Olga Baker"
    page = response.content.decode()
    assert f'href="{reverse("files:project", kwargs={"pk": website.pk})}"' in page
    assert "foreign.png" not in page


def test_the_files_cost_one_query_whatever_their_number(owner_client, studio):
    bakery = ClientFactory(studio=studio)
    website = ProjectFactory(client=bakery)
    contact = ContactFactory(client=bakery)
    project_file(website, "a.png", created_at=NOW, uploaded_by_contact=contact)
    url = reverse("clients:detail", args=[bakery.pk])
    owner_client.get(url)
    with CaptureQueriesContext(connection) as few:
        owner_client.get(url)
    for index in range(10):
        project_file(website, f"f{index}.png", created_at=NOW, uploaded_by_contact=contact)
    with CaptureQueriesContext(connection) as many:
        owner_client.get(url)
    assert len(many) == len(few)
