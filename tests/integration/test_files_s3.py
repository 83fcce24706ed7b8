"""Project files in a real S3-compatible server: moto's S3 in server mode on 127.0.0.1 (a free port).

The app stores through django-storages (files.storage.PrivateS3Storage), a download redirects to
a presigned URL that an ordinary HTTP client fetches (same bytes, as an attachment), and the object
itself answers 403 to anyone without the signature. Skipped, with the reason, when the server
can't start here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.urls import reverse
from moto.server import ThreadedMotoServer

from files.models import ProjectFile
from files.services import file_delete, file_upload
from projects.models import Project
from tests.factories import ClientFactory, ProjectFactory

pytestmark = pytest.mark.integration

BUCKET = "rapport-files"
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 40


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    try:
        server.start()
        host, port = server.get_host_and_port()
    except Exception as error:  # any reason the server can't start is a reason to skip
        pytest.skip(f"moto's S3 server could not start on 127.0.0.1: {error}")
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3_files(settings, s3_endpoint: str):
    credentials = {"aws_access_key_id": "rapport-test", "aws_secret_access_key": "rapport-test-secret"}
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **credentials)
    try:
        client.create_bucket(Bucket=BUCKET)
    except ClientError as error:
        if error.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "files.storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": credentials["aws_access_key_id"],
                "secret_key": credentials["aws_secret_access_key"],
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
            },
        },
    }
    return client


def test_a_file_goes_to_s3_and_comes_back_only_through_a_presigned_url(s3_files, studio, owner_client):
    project = ProjectFactory(client=ClientFactory(studio=studio), status=Project.Status.IN_PROGRESS)
    kept = file_upload(project=project, side=ProjectFile.Side.CLIENT, upload=ContentFile(PDF, name="бриф.pdf"), now=NOW)
    stored = s3_files.get_object(Bucket=BUCKET, Key=kept.storage_name)
    assert stored["Body"].read() == PDF

    response = owner_client.get(reverse("files:download", kwargs={"pk": kept.pk}))
    assert response.status_code == 302
    presigned = response["Location"]

    fetched = requests.get(presigned, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == PDF
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%B1%D1%80%D0%B8%D1%84.pdf" in fetched.headers["Content-Disposition"]

    # The object itself is private: without the signature, nobody reads it.
    parts = urlsplit(presigned)
    anonymous = requests.get(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), timeout=10)
    assert anonymous.status_code == 403
    assert PDF not in anonymous.content


@pytest.mark.django_db(transaction=True)
def test_deleting_a_file_removes_its_object_after_commit(s3_files):
    project = ProjectFactory(status=Project.Status.IN_PROGRESS)
    kept = file_upload(project=project, side=ProjectFile.Side.STUDIO, upload=ContentFile(PDF, name="a.pdf"), now=NOW)
    again = file_upload(project=project, side=ProjectFile.Side.STUDIO, upload=ContentFile(PDF, name="a.pdf"), now=NOW)
    assert kept.storage_name != again.storage_name  # never overwritten

    file_delete(file=kept)

    with pytest.raises(ClientError) as missing:
        s3_files.head_object(Bucket=BUCKET, Key=kept.storage_name)
    assert missing.value.response["Error"]["Code"] == "404"
    assert s3_files.head_object(Bucket=BUCKET, Key=again.storage_name)["ContentLength"] == len(PDF)
