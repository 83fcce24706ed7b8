"""The studio's side of project files, and the short-lived signed links (``files.signing``)."""

from __future__ import annotations

from django.core.signing import BadSignature, SignatureExpired
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from files.downloads import file_response
from files.models import ProjectFile
from files.signing import file_id_from_token
from kernel.access import MAX_ID, get_for_member, studio_required


@studio_required
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    if pk > MAX_ID:
        raise Http404
    return file_response(get_for_member(request, ProjectFile, pk=pk))


@require_GET
def signed(request: HttpRequest, token: str) -> HttpResponse:
    """A signed link's file, to whoever holds the link, while it lasts; an expired link says so (410)."""
    try:
        pk = file_id_from_token(token, now=timezone.now())
    except SignatureExpired:
        response = render(request, "files/link_expired.html", status=410)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    except BadSignature as error:
        raise Http404 from error
    if pk > MAX_ID:
        raise Http404
    return file_response(get_object_or_404(ProjectFile, pk=pk))
