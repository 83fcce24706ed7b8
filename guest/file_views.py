"""Project files in the guest portal: a visitor downloads the files of their client's visible projects.

Any other file id (another client's, another studio's, a lead's or a cancelled project's, an id
past the database's range) is a 404. The file itself is never public: the download is streamed by
the app or redirected to a presigned URL that lives minutes (``files.downloads``).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from files.downloads import file_response
from files.models import ProjectFile
from kernel.access import MAX_ID
from projects.portal_access import portal_required, visitor_projects


def visitor_files(visitor):
    """The files a portal visitor may download: those of their client's visible projects."""
    return ProjectFile.objects.filter(studio=visitor.studio, project__in=visitor_projects(visitor))


@portal_required
@require_GET
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    if pk > MAX_ID:
        raise Http404
    return file_response(get_object_or_404(visitor_files(request.portal), pk=pk))
