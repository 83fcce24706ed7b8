"""Upload views refuse a body too large for one file before reading it, and stop one that grows past it."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.middleware.csrf import get_token
from django.test import Client as Browser
from django.test import RequestFactory
from django.views.decorators.http import require_POST

from files.uploads import FORM_OVERHEAD, refuse_oversized_upload, request_limit
from kernel.access import studio_required
from projects.portal_access import portal_required
from tests.files import upload_urls

TWO_GB = 2 * 1024**3


class UnreadableInput(io.RawIOBase):
    """A wsgi.input that fails the test if anything reads the body."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


class CountingInput(io.BytesIO):
    """A wsgi.input that remembers how much of the body was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.consumed += len(line)
        return line


@pytest.fixture(autouse=True)
def _test_view():
    upload_urls.seen.clear()
    return


def never_called(request):
    raise AssertionError("the view ran")


def test_the_decorator_refuses_a_declared_2_gb_body_without_reading_it(rf: RequestFactory):
    environ = rf._base_environ(
        PATH_INFO="/upload/",
        REQUEST_METHOD="POST",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(TWO_GB),
        **{"wsgi.input": UnreadableInput()},
    )

    response = refuse_oversized_upload(never_called)(WSGIRequest(environ))

    assert response.status_code == 413
    assert response["Connection"] == "close"
    assert "Too much to send at once" in response.content.decode()
    assert "50 MB" in response.content.decode()


@pytest.mark.urls("tests.files.upload_urls")
@pytest.mark.django_db
def test_through_the_whole_stack_a_2_gb_upload_gets_a_worded_413_in_the_users_language():
    response = Browser().generic(
        "POST",
        "/test-upload/",
        headers={"accept-language": "ru"},
        **{
            "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
            "CONTENT_LENGTH": str(TWO_GB),
            "wsgi.input": UnreadableInput(),
        },
    )

    assert response.status_code == 413
    assert "Слишком много для одной отправки" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert upload_urls.seen == []


@pytest.mark.urls("tests.files.upload_urls")
@pytest.mark.django_db
def test_an_upload_view_takes_files_larger_than_the_sites_ordinary_body_limit(settings):
    settings.MAX_REQUEST_BODY_SIZE = 1000  # every other page: 1 kB
    settings.RAPPORT_FILE_MAX_BYTES = 200_000
    browser = Browser(enforce_csrf_checks=True)
    token = csrf_token(browser)

    response = browser.post(
        "/test-upload/",
        {"file": SimpleUploadedFile("photo.jpg", b"x" * 150_000), "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 200
    assert upload_urls.seen == [("photo.jpg", 150_000)]
    assert Browser().post("/test-upload/", {"file": SimpleUploadedFile("a.jpg", b"x" * 10)}).status_code == 200
    assert Browser().post("/accounts/login/", {"x": "y" * 5000}).status_code == 413  # the others keep theirs


@pytest.mark.urls("tests.files.upload_urls")
@pytest.mark.django_db
def test_the_csrf_check_still_applies_to_an_upload_view(settings):
    browser = Browser(enforce_csrf_checks=True)

    response = browser.post("/test-upload/", {"file": SimpleUploadedFile("a.jpg", b"x" * 10)})

    assert response.status_code == 403
    assert upload_urls.seen == []


@pytest.mark.urls("tests.files.upload_urls")
@pytest.mark.django_db
def test_a_body_that_lies_about_its_length_stops_being_read_once_the_file_passes_the_limit(settings):
    settings.RAPPORT_FILE_MAX_BYTES = 10_000
    boundary = "xyz"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    payload = head + b"x" * 250_000 + f"\r\n--{boundary}--\r\n".encode()
    stream = CountingInput(payload)

    # The declared length is under the limit + overhead (as a server passing a chunked body on may say)…
    assert len(payload) < 10_000 + FORM_OVERHEAD
    response = Browser().generic(
        "POST",
        "/test-upload/",
        **{
            "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
            "CONTENT_LENGTH": str(len(payload)),
            "wsgi.input": stream,
        },
    )

    # …but the file is over the limit: reading stops soon after it, and the view never runs.
    assert response.status_code == 413
    assert upload_urls.seen == []
    assert stream.consumed < 10_000 + 2 * 64 * 1024 < len(payload)  # a chunk or two past the limit, not all of it
    assert "Too much to send at once" in response.content.decode()


def csrf_token(browser: Browser) -> str:
    """A CSRF token and its cookie for ``browser``, as a page with a form would give."""
    request = RequestFactory().get("/")
    token = get_token(request)
    browser.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    return token


def test_the_marks_reach_the_outermost_view_under_the_access_decorators(settings):
    settings.RAPPORT_FILE_MAX_BYTES = 7_000_000
    for access in (studio_required, portal_required):
        view = access(require_POST(refuse_oversized_upload(never_called)))
        assert view.csrf_exempt is True
        assert view.request_body_limit() == request_limit() == 7_000_000 + FORM_OVERHEAD
