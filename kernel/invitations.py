"""Joining a studio takes a yes: an owner invites an address, the person behind it accepts.

Until the invitation is accepted there is no membership, so the invitee sees nothing of the
studio. The link carries a token from ``secrets.token_urlsafe(32)``; only its SHA-256 is stored,
compared through the unique index (a hash of a random token: no timing to learn from). These are
the rules; the email that carries the link is ``desk.members.invitation_send``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from kernel.models import Invitation, Membership, Studio, User
from kernel.services import MembershipError
from kernel.tokens import hash_token, new_token

INVITATION_DAYS = 7


@transaction.atomic
def invitation_create(*, studio: Studio, email: str, invited_by: User | None, now: datetime) -> tuple[Invitation, str]:
    """Invite ``email`` to ``studio``, replacing an open invitation; the invitation and its raw token.

    Only the token's hash is stored: the caller puts the raw token in the link it sends, then forgets it.
    Raises ``MembershipError`` when the address already belongs to a member.
    """
    email = email.strip().lower()
    if Membership.objects.filter(studio=studio, user__email__iexact=email).exists():
        raise MembershipError(f"{email} is already a member of {studio.name}.")
    token = new_token()
    Invitation.objects.filter(studio=studio, email__iexact=email, accepted_at__isnull=True).delete()
    invitation = Invitation.objects.create(
        studio=studio,
        email=email,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    return invitation, token


def find_invitation(token: str, *, now: datetime) -> Invitation | None:
    """The open invitation a raw token belongs to, or None (unknown, accepted or expired)."""
    if not token or len(token) > 100:
        return None
    invitation = Invitation.objects.select_related("studio").filter(token_hash=hash_token(token)).first()
    return invitation if invitation is not None and invitation.is_open(now) else None


def invitation_accept(*, invitation: Invitation, user: User, now: datetime) -> Membership:
    """Make ``user`` a member of the invitation's studio: only the invited address may accept, once."""
    if user.email.lower() != invitation.email.lower():
        raise MembershipError("This invitation is for another address.")
    with transaction.atomic():
        # Of two accepts racing, only one finds the invitation open.
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now).update(
            accepted_at=now
        )
        if not claimed:
            raise MembershipError("This invitation is no longer valid.")
        membership, _ = Membership.objects.get_or_create(
            studio_id=invitation.studio_id, user=user, defaults={"role": Membership.Role.MEMBER}
        )
    return membership


def invitation_cancel(*, invitation: Invitation) -> None:
    invitation.delete()
