"""Where project files' bytes live: the ``files`` entry of ``STORAGES`` (local under var/, or S3)."""

from __future__ import annotations

import secrets

from django.core.files.storage import Storage, storages


def file_storage() -> Storage:
    return storages["files"]


def storage_name(*, studio_id: int, project_id: int, name: str) -> str:
    """A key nobody can guess or collide with; the safe name stays at the end for the stores' own listings."""
    return f"studios/{studio_id}/projects/{project_id}/{secrets.token_urlsafe(16)}/{name}"
