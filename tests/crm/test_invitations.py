"""Nobody joins a studio without saying yes: an invitation, accepted by the invited address only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from comms.models import OutboxEmail
from comms.outbox import deliver_due
from kernel.invitations import hash_token
from kernel.models import Invitation, Membership, Studio, User
from tests.factories import ClientFactory, UserFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def invite(owner_client: Client, email: str) -> str:
    """The owner invites ``email``; returns the path of the link in the email."""
    response = owner_client.post(reverse("member_add"), {"email": email})
    assert response.status_code == 302
    row = OutboxEmail.objects.filter(kind="member-invite").latest("pk")
    assert "/invitations/" in row.text  # the link rests sealed: the row shows it masked
    deliver_due()
    delivered = next(message for message in mail.outbox if message.to == row.to)
    return re.search(r"https?://[^/\s]+(/invitations/[^\s]+/)", delivered.body).group(1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_an_existing_account_sees_nothing_of_the_studio_until_it_accepts(
    frozen, owner_client: Client, studio: Studio
) -> None:
    ClientFactory(studio=studio, name="Secret Bakery")
    bob = UserFactory(email="bob@elsewhere.example")
    bob_client = Client()
    bob_client.force_login(bob)

    path = invite(owner_client, "Bob@Elsewhere.example")

    assert not Membership.objects.filter(user=bob).exists()
    assert bob_client.get(reverse("today")).url == reverse("studio_create")
    assert bob_client.get(reverse("clients:index")).status_code == 302
    assert "Secret Bakery" not in bob_client.get(reverse("search") + "?q=Secret").content.decode()

    page = bob_client.get(path)  # a GET shows the invitation and changes nothing
    assert page.status_code == 200
    assert studio.name in page.content.decode()
    assert not Membership.objects.filter(user=bob).exists()

    response = bob_client.post(path)

    assert response.url == reverse("today")
    assert Membership.objects.get(user=bob).studio == studio
    assert Membership.objects.get(user=bob).role == Membership.Role.MEMBER
    assert "Secret Bakery" in bob_client.get(reverse("clients:index")).content.decode()
    assert bob_client.get(path).status_code == 404  # used once


def test_a_person_without_an_account_creates_one_on_the_invitation_page(
    frozen, owner_client: Client, studio: Studio
) -> None:
    path = invite(owner_client, "new.person@example.com")
    anonymous = Client()

    page = anonymous.get(path)
    assert 'name="password"' in page.content.decode()

    weak = anonymous.post(path, {"name": "New Person", "password": "short"})
    assert weak.status_code == 200
    assert not User.objects.filter(email="new.person@example.com").exists()

    response = anonymous.post(path, {"name": "New Person", "password": "a-long-enough-passphrase-42"})

    assert response.url == reverse("today")
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password("a-long-enough-passphrase-42")
    assert Membership.objects.filter(user=user, studio=studio).exists()
    assert anonymous.get(reverse("today")).status_code == 200


def test_an_account_holder_must_sign_in_as_the_invited_address(
    frozen, owner_client: Client, studio: Studio, charlie: User
) -> None:
    bob = UserFactory(email="bob@elsewhere.example")
    path = invite(owner_client, bob.email)

    page = Client().get(path)
    assert reverse("login") in page.content.decode()
    assert Client().post(path, {"name": "Mallory", "password": "a-long-enough-passphrase-42"}).status_code == 200
    bob.refresh_from_db()
    assert bob.check_password("correct-horse-battery")  # the page never sets a password for an account

    charlie_client = Client()
    charlie_client.force_login(charlie)
    charlie_client.post(path)
    assert not Membership.objects.filter(studio=studio, user__in=[bob, charlie]).exists()


def test_only_a_hash_of_the_token_is_stored(frozen, owner_client: Client) -> None:
    path = invite(owner_client, "bob@elsewhere.example")
    token = path.rstrip("/").rsplit("/", 1)[1]

    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token)
    assert token not in str(Invitation.objects.values().get())


def test_an_expired_or_cancelled_invitation_lets_nobody_in(frozen, owner_client: Client, studio: Studio) -> None:
    bob = UserFactory(email="bob@elsewhere.example")
    bob_client = Client()
    bob_client.force_login(bob)
    path = invite(owner_client, bob.email)

    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        assert bob_client.get(path).status_code == 404
        bob_client.post(path)
    assert not Membership.objects.filter(user=bob).exists()

    path = invite(owner_client, bob.email)  # a new invitation replaces the old one
    assert Invitation.objects.filter(accepted_at__isnull=True).count() == 1
    owner_client.post(reverse("invitation_cancel", args=[Invitation.objects.get().pk]))
    assert bob_client.post(path).status_code == 404
    assert not Membership.objects.filter(user=bob).exists()


def test_the_owner_sees_pending_invitations_and_members_cannot_invite(
    frozen, owner_client: Client, studio: Studio, member: User
) -> None:
    invite(owner_client, "pending@example.com")
    assert "pending@example.com" in owner_client.get(reverse("settings")).content.decode()

    member_client = Client()
    member_client.force_login(member)
    assert member_client.post(reverse("member_add"), {"email": "x@example.com"}).status_code == 404
    assert "pending@example.com" not in member_client.get(reverse("settings")).content.decode()


def test_inviting_a_member_again_is_refused(frozen, owner_client: Client, member: User) -> None:
    response = owner_client.post(reverse("member_add"), {"email": member.email.upper()}, follow=True)
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_invitation_page_and_email_are_in_russian(frozen, owner_client: Client, studio: Studio) -> None:
    path = invite(owner_client, "new.person@example.com")
    page = Client(headers={"accept-language": "ru"}).get(path).content.decode()
    assert f"Вступить в студию {studio.name}" in page
    assert "Создать аккаунт и вступить" in page
