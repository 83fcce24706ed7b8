"""Sending a stored file to someone allowed to have it: always as a download, never rendered by the browser.

Nothing in the files store is public. A store that signs URLs (S3) gets a redirect to a presigned
URL that lives ``PRESIGNED_SECONDS`` and makes the store answer with ``Content-Disposition:
attachment`` and the type read from the bytes; any other store is read and streamed by the app.
Callers have already decided that the request may have the file.
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

from files.models import ProjectFile
from files.storage import file_storage, signs_urls

PRESIGNED_SECONDS = 300

# The bytes are never shown in the app's origin: no sniffing, no scripts, no plugins, no framing.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}


def download_response(file: ProjectFile) -> FileResponse:
    """The file's bytes, streamed from the store by the app."""
    response = FileResponse(
        file_storage().open(file.storage_name, "rb"),
        as_attachment=True,
        filename=file.name,
        content_type=file.content_type,
    )
    for header, value in DOWNLOAD_HEADERS.items():
        response.headers[header] = value
    return response


def presigned_url(file: ProjectFile) -> str | None:
    """A short-lived URL at which the store itself hands out the file as a download; None for a store that can't."""
    storage = file_storage()
    if not signs_urls(storage):
        return None
    return storage.url(
        file.storage_name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(as_attachment=True, filename=file.name),
            "ResponseContentType": file.content_type,
            "ResponseCacheControl": "private, no-store",
        },
        expire=PRESIGNED_SECONDS,
    )


def file_response(file: ProjectFile) -> HttpResponse:
    """The download of ``file``: a redirect to a presigned URL when the store signs URLs, else the bytes."""
    url = presigned_url(file)
    if url is None:
        return download_response(file)
    response = HttpResponseRedirect(url)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the signed URL is the key: it names no page of ours
    return response
