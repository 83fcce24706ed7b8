"""Keeping an upload: the bytes are checked, stored under a key nobody guesses, and read back whole."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.base import ContentFile

from files.checks import FileRefused, content_type, safe_name
from files.models import ProjectFile
from files.services import file_upload
from files.storage import file_storage
from tests.factories import ProjectFactory

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\logo.png", "logo.png"),
        (".htaccess", "htaccess"),
        ("бриф клиента.docx", "бриф клиента.docx"),
        ("", "file"),
        ("a\x00b\nc.txt", "abc.txt"),
    ],
)
def test_safe_name_keeps_only_the_files_own_name(raw, safe):
    assert safe_name(raw) == safe


def test_bytes_must_match_the_name():
    assert content_type(name="logo.png", head=PNG) == "image/png"
    assert content_type(name="notes.txt", head="Привет".encode()) == "text/plain"
    with pytest.raises(FileRefused, match="does not contain what its name says"):
        content_type(name="logo.jpg", head=PNG)
    with pytest.raises(FileRefused, match="not a kind of file"):
        content_type(name="setup.exe", head=b"MZ\x90\x00" + b"\x00" * 200)


@time_machine.travel(NOW, tick=False)
def test_an_upload_is_stored_and_read_back(db):
    project = ProjectFactory()
    kept = file_upload(
        project=project, side=ProjectFile.Side.CLIENT, upload=ContentFile(PNG, name="../logo.png"), now=NOW
    )
    assert (kept.name, kept.content_type, kept.size) == ("logo.png", "image/png", len(PNG))
    assert kept.storage_name.startswith(f"studios/{project.studio_id}/projects/{project.pk}/")
    with file_storage().open(kept.storage_name, "rb") as stored:
        assert stored.read() == PNG
    assert kept.seen_at is None


@time_machine.travel(NOW, tick=False)
def test_a_new_version_replaces_the_current_one(db):
    project = ProjectFactory()
    first = file_upload(
        project=project,
        side=ProjectFile.Side.STUDIO,
        upload=ContentFile(PNG, name="home.png"),
        now=NOW,
        title="Homepage",
        ask_review=True,
    )
    second = file_upload(
        project=project,
        side=ProjectFile.Side.STUDIO,
        upload=ContentFile(PNG, name="home-v2.png"),
        now=NOW,
        previous=first,
        ask_review=True,
    )
    first.refresh_from_db()
    assert (second.version, second.title, second.is_current, first.is_current) == (2, "Homepage", True, False)
    assert second.review == ProjectFile.Review.PENDING
