"""Downloads are never public: a studio member, the client's portal visitor, or a signed link that expires.

Every other request for a file id (another studio's, another client's, a lead's, an id past the
database's range, no session) is a 404 or the sign-in page; the bytes always come as an attachment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import Client as Browser
from django.urls import reverse
from moto import mock_aws

from clients.models import Contact
from files.models import ProjectFile
from files.services import file_upload
from files.signing import signed_url
from projects.models import Project
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import ClientFactory, ContactFactory, ProjectFactory

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HUGE_IDS = [2**63, 2**64, 10**30]


def upload(project: Project, data: bytes = PNG, name: str = "logo.png") -> ProjectFile:
    return file_upload(project=project, side=ProjectFile.Side.CLIENT, upload=ContentFile(data, name=name), now=NOW)


def log_into_portal(contact: Contact) -> Browser:
    browser = Browser()
    link, _token = issue_link(contact)
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    return browser


def body(response) -> bytes:
    """The streamed bytes; the response (and the stored file it reads) closed."""
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def assert_attachment(response, *, name: str, content_type: str) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert name in response["Content-Disposition"]
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in response["Cache-Control"]


@pytest.fixture
def project(studio) -> Project:
    return ProjectFactory(client=ClientFactory(studio=studio, name="Bakery Blum"), status=Project.Status.IN_PROGRESS)


@pytest.fixture
def contact(project) -> Contact:
    return ContactFactory(client=project.client, email="anna@blum.example")


@pytest.fixture
def kept(project) -> ProjectFile:
    return upload(project)


# --- the studio's side --------------------------------------------------------------------------------


def test_a_studio_member_downloads_the_file_as_an_attachment(owner_client, kept, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = owner_client.get(reverse("files:download", kwargs={"pk": kept.pk}))

    assert_attachment(response, name="logo.png", content_type="image/png")
    assert body(response) == PNG


def test_an_svg_is_only_ever_an_attachment_in_a_sandbox(owner_client, project):
    drawing = upload(project, SVG, "icon.svg")

    response = owner_client.get(reverse("files:download", kwargs={"pk": drawing.pk}))

    assert_attachment(response, name="icon.svg", content_type="image/svg+xml")
    assert "sandbox" in response["Content-Security-Policy"]
    assert body(response) == SVG


def test_another_studios_member_and_strangers_get_nothing(charlie_client, kept):
    url = reverse("files:download", kwargs={"pk": kept.pk})

    assert charlie_client.get(url).status_code == 404
    anonymous = Browser().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("pk", HUGE_IDS)
def test_ids_past_the_databases_range_are_a_404(owner_client, pk):
    assert owner_client.get(f"/files/{pk}/download/").status_code == 404


# --- the portal -----------------------------------------------------------------------------------------


def test_a_portal_visitor_downloads_their_projects_file(contact, kept):
    response = log_into_portal(contact).get(reverse("portal:file_download", kwargs={"pk": kept.pk}))

    assert_attachment(response, name="logo.png", content_type="image/png")
    assert body(response) == PNG


def test_a_portal_visitor_reaches_no_other_clients_or_studios_file(studio, other_studio, contact, project):
    neighbour = ProjectFactory(client=ClientFactory(studio=studio), status=Project.Status.IN_PROGRESS)
    elsewhere = ProjectFactory(client=ClientFactory(studio=other_studio), status=Project.Status.IN_PROGRESS)
    lead = ProjectFactory(client=project.client, status=Project.Status.LEAD)
    cancelled = ProjectFactory(client=project.client, status=Project.Status.CANCELLED)
    visitor = log_into_portal(contact)

    for hidden in (upload(neighbour), upload(elsewhere), upload(lead), upload(cancelled)):
        assert visitor.get(reverse("portal:file_download", kwargs={"pk": hidden.pk})).status_code == 404
    for pk in HUGE_IDS:
        assert visitor.get(f"/portal/files/{pk}/download/").status_code == 404


def test_without_a_portal_session_the_download_goes_to_the_link_expired_page(kept, owner_client):
    url = reverse("portal:file_download", kwargs={"pk": kept.pk})

    for browser in (Browser(), owner_client):  # a studio member is no portal visitor either
        response = browser.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:expired")


# --- signed links ---------------------------------------------------------------------------------------


def test_a_signed_link_works_without_a_session_and_then_expires(kept, settings):
    settings.RAPPORT_FILE_LINK_SECONDS = 600
    with time_machine.travel(NOW, tick=False) as clock:
        url = signed_url(kept, now=NOW)
        assert url.startswith("/files/s/")

        clock.move_to(NOW + timedelta(seconds=600))
        response = Browser().get(url)
        assert_attachment(response, name="logo.png", content_type="image/png")
        assert body(response) == PNG

        clock.move_to(NOW + timedelta(seconds=601))
        expired = Browser().get(url)
        assert expired.status_code == 410
        assert "This download link has expired" in expired.content.decode()


def test_an_altered_or_made_up_signed_link_is_a_404(kept, project):
    other = upload(project)
    with time_machine.travel(NOW, tick=False):
        token = signed_url(kept, now=NOW).split("/")[-2]
        value, made, signature = token.split(":")
        forged = [f"{other.pk}:{made}:{signature}", f"{value}:{made}x:{signature}", "1:abc:def", "nonsense", "a" * 500]
        for bad in forged:
            assert Browser().get(reverse("files:signed", kwargs={"token": bad})).status_code == 404


def test_a_signed_link_to_a_deleted_file_is_a_404(kept):
    with time_machine.travel(NOW, tick=False):
        url = signed_url(kept, now=NOW)
        ProjectFile.objects.filter(pk=kept.pk).delete()
        assert Browser().get(url).status_code == 404


def test_the_expired_link_page_speaks_russian(kept):
    with time_machine.travel(NOW, tick=False) as clock:
        url = signed_url(kept, now=NOW)
        clock.move_to(NOW + timedelta(days=1))
        response = Browser().get(url, headers={"accept-language": "ru"})
    assert response.status_code == 410
    assert "Срок действия этой ссылки" in response.content.decode()


# --- a store that signs URLs (S3, in-process moto) ------------------------------------------------------


@pytest.fixture
def s3_files(settings):
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="rapport-files")
        settings.STORAGES = {
            **settings.STORAGES,
            "files": {
                "BACKEND": "files.storage.PrivateS3Storage",
                "OPTIONS": {
                    "bucket_name": "rapport-files",
                    "region_name": "us-east-1",
                    "access_key": "testing",
                    "secret_key": "testing",
                    "public_endpoint_url": "https://files.example.com",
                    "addressing_style": "path",
                    "signature_version": "s3v4",
                    "default_acl": None,
                    "querystring_auth": True,
                    "querystring_expire": 300,
                    "file_overwrite": False,
                },
            },
        }
        yield


def test_with_s3_both_sides_redirect_to_a_presigned_attachment_url(s3_files, project, contact, owner_client):
    kept = upload(project, name="логотип.png")
    studio_side = owner_client.get(reverse("files:download", kwargs={"pk": kept.pk}))
    portal_side = log_into_portal(contact).get(reverse("portal:file_download", kwargs={"pk": kept.pk}))

    for response in (studio_side, portal_side):
        assert response.status_code == 302
        assert response["Cache-Control"] == "private, no-store"
        url = urlsplit(response["Location"])
        query = parse_qs(url.query)
        # Signed for the address browsers reach the store at (MinIO behind a proxy), not the app's own.
        assert (url.scheme, url.netloc) == ("https", "files.example.com")
        assert url.path.startswith(f"/rapport-files/studios/{project.studio_id}/projects/{project.pk}/")
        assert int(query["X-Amz-Expires"][0]) <= 300
        assert query["response-content-disposition"][0].startswith("attachment;")
        assert "filename*=utf-8''%D0%BB" in query["response-content-disposition"][0]
        assert query["response-content-type"] == ["image/png"]
        assert "X-Amz-Signature" in query
