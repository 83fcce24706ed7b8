"""Bringing people into a studio: the invitation (``kernel.invitations``) and the email that carries its link."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from comms.mail import studio_email_send
from kernel.invitations import invitation_create
from kernel.links import absolute_url
from kernel.models import Invitation, Studio, User


@transaction.atomic
def invitation_send(*, studio: Studio, email: str, invited_by: User | None, now: datetime) -> Invitation:
    """Invite ``email`` to ``studio`` and queue the email with the link; an open one is replaced.

    Raises ``MembershipError`` when the address already belongs to a member.
    """
    invitation, token = invitation_create(studio=studio, email=email, invited_by=invited_by, now=now)
    studio_email_send(
        studio=studio,
        to=[invitation.email],
        template="member-invite",
        idempotency_key=f"invitation:{invitation.pk}",
        context={
            "inviter_name": (invited_by.name or invited_by.email) if invited_by else studio.name,
            "accept_url": absolute_url("invitation", token=token),
            "expires_on": invitation.expires_at.astimezone(studio.zoneinfo).date().isoformat(),
        },
        secrets=[token],
    )
    return invitation
