"""The studio's side of project files."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from files.downloads import download_response
from files.models import ProjectFile
from kernel.access import get_for_member, studio_required


@studio_required
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    return download_response(get_for_member(request, ProjectFile, pk=pk))
