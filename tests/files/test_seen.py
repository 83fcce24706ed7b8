"""files.seen: the client's unseen files, and marking them seen (one, a project's, or all), studio-scoped."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from files.models import ProjectFile
from files.seen import files_mark_seen, unseen_client_files
from tests.factories import ClientFactory, ProjectFactory
from tests.files.rows import project_file

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def files(studio, other_studio):
    website = ProjectFactory(client=ClientFactory(studio=studio), title="Website")
    menu = ProjectFactory(client=website.client, title="Menu")
    foreign = ProjectFactory(client=ClientFactory(studio=other_studio))
    return {
        "logo": project_file(website, "logo.png", created_at=NOW - timedelta(hours=2)),
        "texts": project_file(menu, "texts.docx", created_at=NOW - timedelta(hours=1)),
        "mockup": project_file(website, "mockup.png", side=ProjectFile.Side.STUDIO, created_at=NOW),
        "foreign": project_file(foreign, "theirs.png", created_at=NOW),
    }


def test_unseen_lists_only_the_studios_client_files_newest_first(studio, files):
    assert [kept.name for kept in unseen_client_files(studio)] == ["texts.docx", "logo.png"]


def test_mark_seen_by_pks_by_project_or_all(studio, files):
    later = NOW + timedelta(minutes=5)
    assert files_mark_seen(studio=studio, now=later, pks=[files["logo"].pk, files["foreign"].pk]) == 1
    assert files_mark_seen(studio=studio, now=later, pks=[files["logo"].pk]) == 0  # seen already
    assert files_mark_seen(studio=studio, now=later, project=files["texts"].project) == 1
    assert not unseen_client_files(studio).exists()
    files["foreign"].refresh_from_db()
    assert files["foreign"].seen_at is None
    files["logo"].refresh_from_db()
    assert files["logo"].seen_at == later


def test_the_seen_views_are_scoped_to_the_studio(owner_client, studio, files):
    foreign = reverse("files:seen", kwargs={"pk": files["foreign"].pk})
    assert owner_client.post(foreign).status_code == 404
    assert owner_client.get(reverse("files:seen", kwargs={"pk": files["logo"].pk})).status_code == 405

    response = owner_client.post(reverse("files:seen", kwargs={"pk": files["logo"].pk}))
    assert response.status_code == 302
    assert response.url == reverse("today")
    assert [kept.name for kept in unseen_client_files(studio)] == ["texts.docx"]

    assert owner_client.post(reverse("files:seen_all"), HTTP_HX_REQUEST="true").content == b""
    assert not unseen_client_files(studio).exists()
    files["foreign"].refresh_from_db()
    assert files["foreign"].seen_at is None


def test_the_seen_views_need_a_member(client, files):
    response = client.post(reverse("files:seen_all"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
