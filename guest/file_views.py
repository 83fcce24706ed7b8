"""A project file as a download for a portal visitor (a minimal view until the storage work lands).

Only files of the visitor's own projects; anything else is a 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from files.downloads import download_response
from files.models import ProjectFile
from projects.portal_access import portal_required, visitor_projects


def visitor_files(visitor):
    """The files of the visitor's projects (their client's, no lead or cancelled one)."""
    return ProjectFile.objects.filter(studio=visitor.studio, project__in=visitor_projects(visitor).values("pk"))


@portal_required
@require_GET
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    return download_response(get_object_or_404(visitor_files(request.portal), pk=pk))
