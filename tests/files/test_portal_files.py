"""The portal's files section: the client uploads content, approves a deliverable or asks for changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from comms.models import Message
from files.models import ProjectFile
from files.reviews import deliverable_share
from files.services import file_upload
from projects.models import PortalActivity, Project
from tests.factories import ClientFactory, ContactFactory, ProjectFactory
from tests.files.helpers import PNG, log_into_portal, png, upload

NOW = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
Kind = PortalActivity.Kind


@pytest.fixture(autouse=True)
def _frozen_and_fresh():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


@pytest.fixture
def customer(studio):
    return ClientFactory(studio=studio, name="Bakery Blum")


@pytest.fixture
def anna(customer):
    return ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)


@pytest.fixture
def project(customer):
    return ProjectFactory(client=customer, title="New bakery website", status=Project.Status.IN_PROGRESS)


@pytest.fixture
def visitor(anna) -> Browser:
    return log_into_portal(Browser(), anna)


def project_url(project) -> str:
    return reverse("portal:project", kwargs={"pk": project.pk})


def share(project, name="home.png", title="Homepage", previous=None):
    return deliverable_share(project=project, upload=png(name), now=NOW, title=title, previous=previous)


def test_the_project_page_shows_deliverables_and_the_clients_own_files(visitor, project, anna):
    first = share(project)
    second = share(project, name="home-2.png", previous=first)
    mine = file_upload(project=project, side="client", upload=png("logo.png"), now=NOW, contact=anna, note="Our logo")

    html = visitor.get(project_url(project)).content.decode()

    assert 'id="files"' in html
    assert "Homepage" in html
    assert "version 2" in html
    assert "waiting for your approval" in html
    assert reverse("portal:file_download", args=[second.pk]) in html
    assert reverse("portal:file_download", args=[first.pk]) in html  # the older version, listed under it
    assert reverse("portal:file_approve", args=[second.pk]) in html
    assert reverse("portal:file_approve", args=[first.pk]) not in html
    assert reverse("portal:file_changes", args=[second.pk]) in html
    assert "Our logo" in html
    assert reverse("portal:file_download", args=[mine.pk]) in html


def test_the_client_uploads_several_files_at_once_with_a_note(visitor, project, anna):
    response = visitor.post(
        reverse("portal:file_upload", args=[project.pk]),
        {
            "uploads": [upload("logo.png"), upload("notes.txt", "Привет".encode(), "text/plain")],
            "note": "For the header",
        },
    )

    assert response.status_code == 302
    assert response.url == project_url(project) + "#your-files"
    kept = list(
        ProjectFile.objects.order_by("name").values_list("name", "side", "note", "uploaded_by_contact", "seen_at")
    )
    assert kept == [
        ("logo.png", "client", "For the header", anna.pk, None),
        ("notes.txt", "client", "For the header", anna.pk, None),
    ]
    assert not PortalActivity.objects.exists()  # Today lists new client files on its own


def test_a_refused_file_shows_its_reason_keeps_the_note_and_the_good_ones(visitor, project):
    response = visitor.post(
        reverse("portal:file_upload", args=[project.pk]),
        {"uploads": [upload("logo.png"), upload("photo.jpg", PNG, "image/jpeg")], "note": "Two files"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "“photo.jpg” does not contain what its name says" in html
    assert "Two files" in html
    assert list(ProjectFile.objects.values_list("name", flat=True)) == ["logo.png"]


def test_an_upload_without_a_file_is_an_error(visitor, project):
    response = visitor.post(reverse("portal:file_upload", args=[project.pk]), {"note": "Forgot it"})

    assert response.status_code == 400
    assert "Forgot it" in response.content.decode()


def test_approving_from_the_portal_twice_is_one_approval(visitor, project, anna):
    file = share(project)
    approve = reverse("portal:file_approve", args=[file.pk])

    assert visitor.post(approve).status_code == 302
    assert visitor.post(approve).status_code == 302

    file.refresh_from_db()
    assert (file.review, file.reviewed_by_contact) == ("approved", anna)
    assert PortalActivity.objects.filter(kind=Kind.FILE_APPROVED).count() == 1


def test_an_older_version_cannot_be_approved_from_the_portal(visitor, project):
    first = share(project)
    share(project, name="home-2.png", previous=first)

    visitor.post(reverse("portal:file_approve", args=[first.pk]))

    first.refresh_from_db()
    assert first.review == "pending"
    assert not first.is_current
    assert not PortalActivity.objects.filter(kind=Kind.FILE_APPROVED).exists()


def test_asking_for_changes_needs_a_comment_and_lands_in_the_inbox_with_a_reply_clock(visitor, owner_client, project):
    file = share(project)
    changes = reverse("portal:file_changes", args=[file.pk])

    empty = visitor.post(changes, {f"c{file.pk}-comment": "  "})
    assert empty.status_code == 400
    assert "Tell us what should change." in empty.content.decode()
    assert not Message.objects.exists()

    sent = visitor.post(changes, {f"c{file.pk}-comment": "The logo should be bigger."})
    assert sent.status_code == 302

    message = Message.objects.get()
    assert message.needs_reply
    assert message.reply_due_at is not None
    assert message.channel == Message.Channel.PORTAL
    assert message.project_id == project.pk
    inbox = owner_client.get(reverse("comms:inbox")).content.decode()
    assert "Changes asked: Homepage (version 1)" in inbox
    assert reverse("comms:message", args=[message.pk]) in inbox
    files_page = owner_client.get(reverse("files:project", args=[project.pk])).content.decode()
    assert "The logo should be bigger." in files_page


@pytest.mark.parametrize("size", [1, 6])
def test_the_portal_project_page_stays_within_its_queries(visitor, project, anna, django_assert_max_num_queries, size):
    for number in range(size):
        first = share(project, name=f"d{number}.png", title=f"Design {number}")
        share(project, name=f"d{number}b.png", previous=first)
        file_upload(project=project, side="client", upload=png(f"c{number}.png"), now=NOW, contact=anna)
    visitor.get(project_url(project))

    with django_assert_max_num_queries(9):
        assert visitor.get(project_url(project)).status_code == 200


def test_every_file_url_is_a_404_for_somebody_elses_files(visitor, project, customer, studio, other_studio, anna):
    own = share(project)
    own_upload = file_upload(project=project, side="client", upload=png(), now=NOW, contact=anna)
    sibling_lead = ProjectFactory(client=customer, status=Project.Status.LEAD)
    neighbour = ProjectFactory(client=ClientFactory(studio=studio))
    stranger = ProjectFactory(client=ClientFactory(studio=other_studio))
    foreign_projects = [sibling_lead, neighbour, stranger]
    foreign_files = [share(other, name="theirs.png") for other in foreign_projects]
    foreign_files += [file_upload(project=other, side="client", upload=png(), now=NOW) for other in foreign_projects]
    before = list(ProjectFile.objects.order_by("pk").values_list("pk", "review", "is_current"))
    counts = (Message.objects.count(), PortalActivity.objects.count())
    data = {"comment": "x", **{f"c{file.pk}-comment": "x" for file in foreign_files}, "uploads": [upload()]}

    tried = 0
    for name in ("file_approve", "file_changes", "file_download"):
        for file in foreign_files:
            url = reverse(f"portal:{name}", args=[file.pk])
            assert visitor.get(url).status_code in (404, 405), url
            assert visitor.post(url, data).status_code in (404, 405), url
            assert 404 in (visitor.get(url).status_code, visitor.post(url, data).status_code), url
            tried += 1
    for other in foreign_projects:
        url = reverse("portal:file_upload", args=[other.pk])
        assert visitor.post(url, {"uploads": [upload()]}).status_code == 404, url
        tried += 1
    # a client's own upload is no deliverable: it cannot be approved or sent back
    for name in ("file_approve", "file_changes"):
        assert visitor.post(reverse(f"portal:{name}", args=[own_upload.pk]), data).status_code == 404

    assert tried == 3 * len(foreign_files) + len(foreign_projects)
    assert list(ProjectFile.objects.order_by("pk").values_list("pk", "review", "is_current")) == before
    assert (Message.objects.count(), PortalActivity.objects.count()) == counts
    response = visitor.get(reverse("portal:file_download", args=[own.pk]))
    response.close()
    assert response.status_code == 200


def test_a_portal_download_is_an_attachment_never_shown_inline(visitor, project, anna):
    mine = file_upload(project=project, side="client", upload=png("logo.png"), now=NOW, contact=anna)

    response = visitor.get(reverse("portal:file_download", args=[mine.pk]))

    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    response.close()


def test_the_files_section_in_russian(studio, project, anna):
    customer = project.client
    customer.language = "ru"
    customer.save()
    share(project)
    browser = log_into_portal(Browser(), anna)

    html = browser.get(project_url(project)).content.decode()

    assert "Файлы" in html
    assert "Одобрить" in html
    assert "ждёт вашего одобрения" in html
