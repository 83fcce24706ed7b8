"""Upload views refuse a body too large for one file before reading it, and stop one that grows past it.

``refuse_oversized_upload`` wraps a view that receives a file (the studio's and the portal's
upload pages). Three guards, each for a way a large body could get in:

1. The declared ``Content-Length`` over ``RAPPORT_FILE_MAX_BYTES`` + ``FORM_OVERHEAD`` is refused
   with a short 413 page before anything reads the body. ``kernel.edge.RequestSizeMiddleware``
   does the same check first, with this view's limit instead of the site-wide 2.5 MB: the
   decorator marks the view with ``request_body_limit``.
2. A ``LimitedUploadHandler`` is put first among the request's upload handlers, so a body whose
   file bytes pass ``RAPPORT_FILE_MAX_BYTES`` anyway (a server passing a chunked body on, a length
   that lies) stops being read there; the view then answers 413 without ever running.
3. ``files.services.file_upload`` checks the kept file's size once more (``files.checks.within_limits``).

Put it nearest the function, under the access decorator, so the 413 page speaks the visitor's
language and the marks reach the URL's view through ``functools.wraps``::

    @portal_required
    @require_http_methods(["GET", "POST"])
    @refuse_oversized_upload
    def file_upload_view(request, pk): ...

Upload handlers can only be changed before the body is parsed, and Django's CSRF check parses it
(the token may be a form field). So the wrapped view is exempt from the CSRF middleware and checked
inside, after the handler is in place, by the same CSRF middleware class the site uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import decorator_from_middleware

from kernel.middleware import CsrfViewMiddleware

logger = logging.getLogger("rapport.files")

# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD = 256 * 1024
STOPPED_ATTRIBUTE = "_rapport_upload_too_large"

View = Callable[..., HttpResponse]
csrf_protect = decorator_from_middleware(CsrfViewMiddleware)


def request_limit() -> int:
    """The largest request body an upload view accepts, in bytes."""
    return settings.RAPPORT_FILE_MAX_BYTES + FORM_OVERHEAD


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def too_large_response(request: HttpRequest) -> HttpResponse:
    """The short 413 page, in the request's language; the connection closes (the rest is not worth reading)."""
    response = render(request, "413.html", {"limit_mb": settings.RAPPORT_FILE_MAX_BYTES / 1024 / 1024}, status=413)
    response["Connection"] = "close"
    return response


class LimitedUploadHandler(FileUploadHandler):
    """Counts the file bytes of one request and stops reading once they pass ``limit``.

    It passes every chunk on unchanged to the next handler (memory or temporary file).
    """

    def __init__(self, request: HttpRequest, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            setattr(self.request, STOPPED_ATTRIBUTE, True)
            # connection_reset: stop here, don't read (and throw away) the rest of the body.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


def refuse_oversized_upload(view: View) -> View:
    """Wrap an upload view: 413 for a body too large for one file, before or while it is read."""

    @csrf_protect
    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH"}:
            request.FILES  # noqa: B018 -- parse now, through the limited handler, before the view looks
            if getattr(request, STOPPED_ATTRIBUTE, False):
                logger.warning("Stopped an upload past %s bytes for %s", settings.RAPPORT_FILE_MAX_BYTES, request.path)
                return too_large_response(request)
        return view(request, *args, **kwargs)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        length = declared_length(request)
        if length > request_limit():
            logger.warning("Refused a %s-byte upload for %s", length, request.path)
            return too_large_response(request)
        if request.method in {"POST", "PUT", "PATCH"}:
            request.upload_handlers.insert(0, LimitedUploadHandler(request, limit=settings.RAPPORT_FILE_MAX_BYTES))
        return checked(request, *args, **kwargs)

    wrapper.csrf_exempt = True  # checked inside, once the upload handler is in place
    wrapper.request_body_limit = request_limit
    return wrapper
