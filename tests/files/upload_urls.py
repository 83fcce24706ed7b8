"""A tiny upload view for tests/files/test_uploads.py, mounted over the site's own URLs."""

from django.http import HttpResponse
from django.urls import include, path

from files.uploads import refuse_oversized_upload

seen: list[tuple[str, int]] = []


@refuse_oversized_upload
def upload_view(request):
    upload = request.FILES.get("file")
    seen.append((upload.name, upload.size) if upload else ("", 0))
    return HttpResponse("kept")


urlpatterns = [
    path("test-upload/", upload_view, name="test_upload"),
    path("", include("crm.urls")),
]
