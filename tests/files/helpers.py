"""Small helpers for the files tests: real bytes that pass the checks, a portal session."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser

from projects.portal_access import SESSION_KEY, issue_link

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 8


def png(name: str = "logo.png") -> ContentFile:
    return ContentFile(PNG, name=name)


def upload(name: str = "logo.png", data: bytes = PNG, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def log_into_portal(browser: Browser, contact) -> Browser:
    link, _token = issue_link(contact)
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    return browser
