"""Every link in an email and every URL on Settings → Mail sources starts with SITE_URL (issue 14 §5)."""

import pytest
from django.core import mail
from django.urls import reverse

from comms.models import OutboxEmail
from projects.portal_links import send_link
from tests.factories import ClientFactory, ContactFactory

SERVED_FROM = "http://127.0.0.1:8141"


@pytest.fixture(autouse=True)
def _served_from(settings):
    settings.SITE_URL = SERVED_FROM


def test_a_password_reset_link_uses_the_site_url_not_the_request_host(client, owner):
    client.post(reverse("password_reset"), {"email": owner.email}, HTTP_HOST="testserver")

    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    assert link.startswith(f"{SERVED_FROM}/accounts/reset/")


def test_an_invitation_link_uses_the_site_url(owner_client, studio, settings):
    settings.EMAIL_BACKEND = "comms.backends.OutboxBackend"

    owner_client.post(reverse("member_add"), {"email": "new.person@example.com"})

    invite = OutboxEmail.objects.get(kind="member-invite")
    assert f"{SERVED_FROM}/invitations/" in invite.text
    assert "http://testserver" not in invite.text


def test_a_portal_link_uses_the_site_url(studio, owner):
    contact = ContactFactory(client=ClientFactory(studio=studio), email="lena@harbor.example")

    email = send_link(contact, by=owner)

    assert f"{SERVED_FROM}/portal/enter/" in email.text


def test_mail_sources_show_webhook_urls_on_the_site_url(owner_client):
    html = owner_client.get(reverse("mailsources:index")).content.decode()

    assert "http://USER:PASSWORD@127.0.0.1:8141/hooks/" in html
    assert "127.0.0.1:8000" not in html


def test_a_site_url_with_a_path_keeps_it_in_webhook_urls(owner_client, settings):
    settings.SITE_URL = "https://studio.example/rapport"

    html = owner_client.get(reverse("mailsources:index")).content.decode()

    assert "https://USER:PASSWORD@studio.example/rapport/hooks/" in html
