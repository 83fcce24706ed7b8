"""The freelancer's page of a project's files: deliverables with versions, the client's files, the timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from comms.models import OutboxEmail
from files.models import ProjectFile
from files.reviews import deliverable_approve, deliverable_ask_changes, deliverable_share
from files.services import file_upload
from projects.models import Project
from tests.factories import ClientFactory, ContactFactory, ProjectFactory
from tests.files.helpers import PDF, png, upload

NOW = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def project(studio):
    customer = ClientFactory(studio=studio, name="Bakery Blum")
    ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)
    return ProjectFactory(client=customer, title="New bakery website", status=Project.Status.IN_PROGRESS)


def url(project) -> str:
    return reverse("files:project", kwargs={"pk": project.pk})


def fill(project, size: int):
    anna = project.client.contacts.get()
    for number in range(size):
        first = deliverable_share(project=project, upload=png(f"d{number}.png"), now=NOW, title=f"Design {number}")
        second = deliverable_share(project=project, upload=png(f"d{number}b.png"), now=NOW, previous=first)
        deliverable_approve(file=second, contact=anna, now=NOW)
        third = deliverable_share(project=project, upload=png(f"e{number}.png"), now=NOW, title=f"Extra {number}")
        deliverable_ask_changes(file=third, contact=anna, comment="Bigger", now=NOW, studio_address="s@x.example")
        file_upload(project=project, side="client", upload=png(f"c{number}.png"), now=NOW, contact=anna, note="Logo")


def test_the_page_groups_versions_lists_client_files_and_the_timeline_and_marks_them_seen(owner_client, project):
    anna = project.client.contacts.get()
    first = deliverable_share(project=project, upload=png("home.png"), now=NOW - timedelta(hours=3), title="Homepage")
    deliverable_ask_changes(
        file=first, contact=anna, comment="Warmer colours", now=NOW - timedelta(hours=2), studio_address="s@x.example"
    )
    second = deliverable_share(project=project, upload=png("home-2.png"), now=NOW - timedelta(hours=1), previous=first)
    deliverable_approve(file=second, contact=anna, now=NOW)
    theirs = file_upload(
        project=project,
        side="client",
        upload=png("logo.png"),
        now=NOW - timedelta(minutes=30),
        contact=anna,
        note="Our logo",
    )

    response = owner_client.get(url(project))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="deliverable"') == 1
    assert "home-2.png" in html
    assert "home.png" in html
    assert "1 older version" in html
    assert "Warmer colours" in html
    assert "Our logo" in html
    assert "logo.png" in html
    kinds = [part.split('"')[0] for part in html.split('data-testid="timeline-')[1:]]
    assert kinds == ["approved", "client_upload", "studio_upload", "changes", "studio_upload"]
    assert reverse("files:download", args=[second.pk]) in html
    theirs.refresh_from_db()
    assert theirs.seen_at == NOW


@pytest.mark.parametrize("size", [1, 6])
def test_the_page_takes_a_fixed_number_of_queries(owner_client, project, django_assert_max_num_queries, size):
    fill(project, size)
    owner_client.get(url(project))

    with django_assert_max_num_queries(8):
        assert owner_client.get(url(project)).status_code == 200


def test_another_studios_project_and_files_are_404(charlie_client, project):
    file = deliverable_share(project=project, upload=png(), now=NOW)
    pk = project.pk

    assert charlie_client.get(url(project)).status_code == 404
    assert charlie_client.post(reverse("files:upload", args=[pk]), {"new-file": upload()}).status_code == 404
    assert (
        charlie_client.post(reverse("files:version", args=[file.pk]), {f"v{file.pk}-file": upload()}).status_code == 404
    )
    assert charlie_client.get(reverse("files:delete", args=[file.pk])).status_code == 404
    assert charlie_client.post(reverse("files:delete", args=[file.pk])).status_code == 404
    assert ProjectFile.objects.count() == 1


def test_uploading_a_deliverable_asks_for_approval_by_default(owner_client, project):
    response = owner_client.post(
        reverse("files:upload", args=[project.pk]),
        {"new-title": "Moodboard", "new-note": "First ideas", "new-file": upload("mood.pdf", PDF, "application/pdf"),
         "new-ask_review": "on"},
    )  # fmt: skip

    kept = ProjectFile.objects.get()
    assert response.status_code == 302
    assert response.url == url(project) + f"#file-{kept.pk}"
    assert (kept.title, kept.note, kept.side, kept.review) == ("Moodboard", "First ideas", "studio", "pending")
    assert OutboxEmail.objects.filter(kind="deliverable-review", project=project).count() == 1
    page = owner_client.get(url(project)).content.decode()
    checkbox = re.search(r'<input type="checkbox" name="new-ask_review"[^>]*>', page)
    assert checkbox is not None
    assert "checked" in checkbox.group(0)


def test_a_refused_file_re_renders_the_page_with_the_error_and_keeps_what_was_typed(owner_client, project):
    anna = project.client.contacts.get()
    file_upload(project=project, side="client", upload=png("logo.png"), now=NOW, contact=anna, note="Our logo")

    response = owner_client.post(
        reverse("files:upload", args=[project.pk]),
        {"new-title": "Mock-up", "new-note": "Look at the header", "new-file": upload("mock.jpg")},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "does not contain what its name says" in html
    assert 'value="Mock-up"' in html
    assert "Look at the header" in html
    assert "Our logo" in html  # the rest of the page is still there
    assert ProjectFile.objects.count() == 1


def test_a_new_version_replaces_the_current_one_and_an_invalid_one_shows_its_error(owner_client, project):
    first = deliverable_share(project=project, upload=png("home.png"), now=NOW, title="Homepage")
    version = reverse("files:version", args=[first.pk])

    bad = owner_client.post(version, {f"v{first.pk}-note": "Tweaks"})
    assert bad.status_code == 400
    assert "Tweaks" in bad.content.decode()

    good = owner_client.post(version, {f"v{first.pk}-note": "Tweaks", f"v{first.pk}-file": upload("home-2.png")})
    assert good.status_code == 302
    second = ProjectFile.objects.get(is_current=True)
    assert (second.version, second.previous, second.title, second.review) == (2, first, "Homepage", "")
    # the replaced version takes no new version
    assert owner_client.post(version, {f"v{first.pk}-file": upload("x.png")}).status_code == 404


def test_deleting_asks_first(owner_client, project):
    file = deliverable_share(project=project, upload=png("home.png"), now=NOW, title="Homepage")
    delete = reverse("files:delete", args=[file.pk])

    confirm = owner_client.get(delete)
    assert confirm.status_code == 200
    assert "Delete “Homepage”?" in confirm.content.decode()
    assert ProjectFile.objects.exists()

    assert owner_client.post(delete).status_code == 302
    assert not ProjectFile.objects.exists()


def test_the_project_page_links_to_its_files(owner_client, project):
    html = owner_client.get(reverse("projects:detail", args=[project.pk])).content.decode()

    assert f'href="{url(project)}"' in html


def test_a_replaced_version_no_longer_reads_as_waiting_for_the_client(owner_client, project):
    # The client can only review the current version; the older one kept "pending" and said "waiting for the client".
    first = deliverable_share(project=project, upload=png("home.png"), now=NOW, title="Homepage")
    assert first.review == ProjectFile.Review.PENDING
    second = deliverable_share(project=project, upload=png("home-2.png"), now=NOW, previous=first)
    html = owner_client.get(url(project)).content.decode()
    older = html.split(f'id="file-{first.pk}"', 1)[1].split("</li>", 1)[0]
    assert "waiting for the client" not in older
    current = html.split(f'id="file-{second.pk}"', 1)[1].split("</h3>", 1)[0]
    assert "waiting for the client" in current
