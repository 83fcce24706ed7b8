"""Studio isolation: a member of one studio never reaches another studio's rows."""

import pytest
from django.test import Client
from django.urls import reverse

from comms.models import MailboxEmail, OutboxEmail
from kernel.models import Membership, Studio
from tests.factories import OutboxEmailFactory


@pytest.fixture
def studio_email(studio: Studio) -> MailboxEmail:
    return MailboxEmail.objects.create(studio=studio, from_email="a@x.example", to="b@y.example", subject="Private")


@pytest.fixture
def outbox_email(studio: Studio) -> OutboxEmail:
    return OutboxEmailFactory(studio=studio, subject="Private")


def test_a_member_of_another_studio_gets_404_on_this_studios_objects(
    charlie_client: Client, studio, owner, studio_email
):
    membership = Membership.objects.get(studio=studio, user=owner)

    assert charlie_client.get(reverse("comms:mailbox_email", args=[studio_email.pk])).status_code == 404
    assert charlie_client.get(reverse("comms:mailbox_email_html", args=[studio_email.pk])).status_code == 404
    outbox_email = OutboxEmailFactory(studio=studio)
    assert charlie_client.get(reverse("comms:outbox_email", args=[outbox_email.pk])).status_code == 404
    assert charlie_client.get(reverse("comms:outbox_email_html", args=[outbox_email.pk])).status_code == 404
    assert charlie_client.post(reverse("comms:outbox_cancel", args=[outbox_email.pk])).status_code == 404
    outbox_email.refresh_from_db()
    assert outbox_email.status == OutboxEmail.Status.QUEUED
    assert charlie_client.post(reverse("member_remove", args=[membership.pk])).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_settings_always_show_the_members_own_studio(charlie_client: Client, studio, other_studio):
    response = charlie_client.get(reverse("settings"))

    assert response.context["studio"] == other_studio
    assert "Northlight" not in response.content.decode()


def test_lists_show_only_the_studios_own_rows(charlie_client: Client, studio_email, outbox_email):
    for tab in ("scheduled", "mailbox"):
        response = charlie_client.get(reverse("comms:outbox"), {"tab": tab})

        assert "Private" not in response.content.decode()


def test_the_owner_sees_their_own_rows(owner_client: Client, studio_email, outbox_email):
    assert "Private" in owner_client.get(reverse("comms:outbox")).content.decode()
    assert "Private" in owner_client.get(reverse("comms:outbox"), {"tab": "mailbox"}).content.decode()
    assert owner_client.get(reverse("comms:outbox_email", args=[outbox_email.pk])).status_code == 200
    assert owner_client.get(reverse("comms:mailbox_email", args=[studio_email.pk])).status_code == 200


def test_the_not_found_page_is_friendly(charlie_client: Client, studio_email, settings):
    settings.DEBUG = False
    response = charlie_client.get(reverse("comms:mailbox_email", args=[studio_email.pk]))

    assert "find that page" in response.content.decode()
    assert "Private" not in response.content.decode()


@pytest.mark.parametrize(
    "url_name", ["today", "clients:index", "projects:index", "comms:inbox", "comms:outbox", "reports", "settings"]
)
def test_every_section_in_the_navigation_opens(owner_client: Client, url_name: str, django_assert_max_num_queries):
    # Today and Reports gather one query per section (Today one more in the yearly card's month); the rest
    # stay lean. Each is constant in data size (tests/crm/test_today.py, tests/crm/test_reports.py).
    with django_assert_max_num_queries({"today": 20, "reports": 14}.get(url_name, 8)):
        response = owner_client.get(reverse(url_name))
    assert response.status_code == 200
