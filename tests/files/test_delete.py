"""Deleting a file: the row at once, the bytes after commit; a deliverable's versions stay one chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from files.models import ProjectFile
from files.services import file_delete, file_upload, studio_bytes_used
from files.storage import file_storage
from tests.factories import ProjectFactory

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def deliver(project, previous=None) -> ProjectFile:
    return file_upload(
        project=project,
        side=ProjectFile.Side.STUDIO,
        upload=ContentFile(PNG, name="home.png"),
        now=NOW,
        title="Homepage",
        previous=previous,
        ask_review=True,
    )


def state(*files: ProjectFile) -> list[tuple[int, int | None, bool]]:
    """(version, previous version's id, is current) of each file, read again."""
    rows = {row.pk: row for row in ProjectFile.objects.filter(pk__in=[f.pk for f in files])}
    return [(rows[f.pk].version, rows[f.pk].previous_id, rows[f.pk].is_current) for f in files]


@pytest.mark.django_db(transaction=True)
def test_the_bytes_go_once_the_row_is_gone_for_good():
    project = ProjectFactory()
    kept = deliver(project)
    storage = file_storage()

    with transaction.atomic():
        file_delete(file=kept)
        assert not ProjectFile.objects.filter(pk=kept.pk).exists()
        assert storage.exists(kept.storage_name)  # not before the commit

    assert not storage.exists(kept.storage_name)
    assert studio_bytes_used(project.studio) == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_delete_keeps_row_and_bytes():
    kept = deliver(ProjectFactory())

    def delete_then_fail() -> None:
        with transaction.atomic():
            file_delete(file=kept)
            raise RuntimeError("the page failed after the delete")

    with pytest.raises(RuntimeError):
        delete_then_fail()

    assert ProjectFile.objects.filter(pk=kept.pk).exists()
    assert file_storage().exists(kept.storage_name)


@pytest.mark.django_db
def test_deleting_the_current_version_makes_the_one_before_current_again(django_capture_on_commit_callbacks):
    project = ProjectFactory()
    first = deliver(project)
    second = deliver(project, previous=first)

    with django_capture_on_commit_callbacks(execute=True):
        file_delete(file=second)

    assert state(first) == [(1, None, True)]
    assert not file_storage().exists(second.storage_name)
    assert file_storage().exists(first.storage_name)


@pytest.mark.django_db
def test_deleting_a_middle_version_joins_the_chain_around_it(django_capture_on_commit_callbacks):
    project = ProjectFactory()
    first = deliver(project)
    second = deliver(project, previous=first)
    third = deliver(project, previous=second)

    with django_capture_on_commit_callbacks(execute=True):
        file_delete(file=second)

    assert state(first, third) == [(1, None, False), (3, first.pk, True)]


@pytest.mark.django_db
def test_deleting_the_first_version_leaves_the_rest_as_they_are(django_capture_on_commit_callbacks):
    project = ProjectFactory()
    first = deliver(project)
    second = deliver(project, previous=first)

    with django_capture_on_commit_callbacks(execute=True):
        file_delete(file=first)
        file_delete(file=first)  # a second click, or another tab: nothing more happens

    assert state(second) == [(2, None, True)]
