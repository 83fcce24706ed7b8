"""The Mail sources page: addresses, webhook URLs, pipe command and the IMAP mailbox form (owners only)."""

import socket

import pytest
from django.test import Client
from django.urls import reverse

from comms import source_views
from comms.imap import ConnectionCheck
from comms.models import ImapAccount
from comms.routing import bcc_address, inbound_address
from comms.secrets import decrypt, encrypt
from kernel.models import Studio, User

URL = reverse("mailsources:index")


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "host": "imap.example.com",
        "port": "993",
        "security": "ssl",
        "username": "me@northlight.example",
        "password": "app-password-123",
        "folder": "INBOX",
        "enabled": "on",
        "save": "Save",
    }
    return {**data, **overrides}


@pytest.fixture
def account(studio: Studio) -> ImapAccount:
    return ImapAccount.objects.create(
        studio=studio,
        host="imap.example.com",
        port=993,
        username="me@northlight.example",
        password_encrypted=encrypt("old-password"),
        uid_validity=42,
        last_uid=17,
    )


def test_the_page_shows_the_studios_addresses_webhooks_and_pipe_command(owner_client: Client, studio: Studio, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    settings.SITE_URL = "https://rapport.example.com"

    page = owner_client.get(URL).content.decode()

    assert inbound_address(studio) in page
    assert bcc_address(studio) in page
    assert "https://USER:PASSWORD@rapport.example.com/hooks/postmark/inbound/" in page
    assert "https://USER:PASSWORD@rapport.example.com/hooks/mailgun/inbound_mime/" in page
    assert "https://USER:PASSWORD@rapport.example.com/hooks/postmark/tracking/" in page
    assert "user:pass" not in page  # the secret itself is never shown
    assert "python manage.py receive_email --studio northlight" in page
    assert 'data-testid="webhook-secret-missing"' not in page


def test_the_page_warns_when_webhooks_cannot_work(owner_client: Client, settings):
    settings.ANYMAIL = {}

    assert 'data-testid="webhook-secret-missing"' in owner_client.get(URL).content.decode()


def test_members_anonymous_users_and_other_studios_do_not_see_it(
    client: Client, member: User, studio: Studio, charlie_client: Client
):
    assert client.get(URL).status_code == 302
    client.force_login(member)
    assert client.get(URL).status_code == 404
    assert client.post(URL, form_data()).status_code == 404
    assert not ImapAccount.objects.exists()

    page = charlie_client.get(URL).content.decode()  # charlie owns another studio: sees only its own
    assert inbound_address(studio) not in page
    assert "--studio elsewhere" in page


def test_the_settings_page_links_to_it_for_owners(owner_client: Client):
    assert URL in owner_client.get(reverse("settings")).content.decode()


def test_saving_creates_the_mailbox_with_the_password_encrypted(owner_client: Client, studio: Studio):
    response = owner_client.post(URL, form_data())

    assert response.status_code == 302
    account = ImapAccount.objects.get()
    assert account.studio == studio
    assert (account.host, account.port, account.security, account.enabled) == ("imap.example.com", 993, "ssl", True)
    assert "app-password-123" not in account.password_encrypted
    assert decrypt(account.password_encrypted) == "app-password-123"
    assert "app-password-123" not in owner_client.get(URL).content.decode()


def test_a_new_mailbox_needs_a_password(owner_client: Client):
    response = owner_client.post(URL, form_data(password=""))

    assert response.status_code == 200
    assert "Enter the mailbox password." in response.content.decode()
    assert not ImapAccount.objects.exists()


def test_a_blank_password_keeps_the_saved_one_and_the_poll_position(owner_client: Client, account: ImapAccount):
    owner_client.post(URL, form_data(password="", port="143", security="starttls", enabled=""))

    account.refresh_from_db()
    assert decrypt(account.password_encrypted) == "old-password"
    assert (account.port, account.security, account.enabled) == (143, "starttls", False)
    assert (account.uid_validity, account.last_uid) == (42, 17)


def test_pointing_at_another_mailbox_starts_polling_over(owner_client: Client, account: ImapAccount):
    ImapAccount.objects.filter(pk=account.pk).update(last_error="Login refused")

    owner_client.post(URL, form_data(password="", folder="Clients"))

    account.refresh_from_db()
    assert (account.folder, account.uid_validity, account.last_uid, account.last_error) == ("Clients", None, 0, "")


def test_cleartext_is_refused_for_a_remote_server(owner_client: Client):
    response = owner_client.post(URL, form_data(security="none", port="143"))

    assert "clear text" in response.content.decode()
    assert not ImapAccount.objects.exists()


def test_test_connection_reports_the_error_without_saving(owner_client: Client):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    response = owner_client.post(
        URL, form_data(host="127.0.0.1", port=str(port), security="none", test="Test connection", save="")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Cannot connect to 127.0.0.1:{port}" in page
    assert "The password you typed was not saved" in page
    assert not ImapAccount.objects.exists()


def test_test_connection_uses_the_saved_password_when_none_is_typed(
    owner_client: Client, account: ImapAccount, monkeypatch
):
    seen = {}

    def fake_check(**settings):
        seen.update(settings)
        return ConnectionCheck(ok=True, detail="Connected: INBOX holds 3 messages.")

    monkeypatch.setattr(source_views, "check_connection", fake_check)

    response = owner_client.post(URL, form_data(password="", test="Test connection", save=""))

    assert "Connected: INBOX holds 3 messages." in response.content.decode()
    assert seen["password"] == "old-password"
    assert seen["host"] == "imap.example.com"


def test_the_last_poll_and_its_error_are_shown(owner_client: Client, account: ImapAccount):
    ImapAccount.objects.filter(pk=account.pk).update(last_error="Login refused by imap.example.com:993: nope")

    page = owner_client.get(URL).content.decode()

    assert "Login refused by imap.example.com:993: nope" in page
    assert "Not checked yet." in page


def test_removing_the_mailbox(owner_client: Client, account: ImapAccount, other_studio: Studio):
    theirs = ImapAccount.objects.create(studio=other_studio, host="h", username="u")

    response = owner_client.post(reverse("mailsources:imap_delete"))

    assert response.status_code == 302
    assert list(ImapAccount.objects.all()) == [theirs]
