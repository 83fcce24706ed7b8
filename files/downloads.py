"""Sending a stored file to someone allowed to have it: always as a download, never rendered by the browser."""

from __future__ import annotations

from django.http import FileResponse

from files.models import ProjectFile
from files.storage import file_storage


def download_response(file: ProjectFile) -> FileResponse:
    response = FileResponse(
        file_storage().open(file.storage_name, "rb"),
        as_attachment=True,
        filename=file.name,
        content_type=file.content_type,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
