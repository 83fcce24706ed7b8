"""Writes of the studio core: signup, studios, their settings and members (invitations: ``kernel.invitations``)."""

from collections.abc import Collection
from datetime import datetime

from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from kernel.models import Membership, Studio, User
from kernel.signals import studio_calendar_changed
from kernel.sweeps import SCHEDULE_FIELDS, schedules_reset


class MembershipError(Exception):
    """A membership change the rules refuse; the message is shown to the user."""


def unique_studio_slug(name: str) -> str:
    base = slugify(name)[:40] or "studio"
    slug = base
    while Studio.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(5, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


@transaction.atomic
def studio_create(*, name: str, timezone: str, owner: User, **fields: object) -> Studio:
    """A new studio with ``owner`` as its owner, due at once for every scheduled job."""
    studio = Studio.objects.create(name=name, slug=unique_studio_slug(name), timezone=timezone, **fields)
    Membership.objects.create(studio=studio, user=owner, role=Membership.Role.OWNER)
    schedules_reset(studio)
    return studio


@transaction.atomic
def studio_settings_save(studio: Studio, *, changed: Collection[str], now: datetime) -> None:
    """Save an owner's edit of the studio's settings; ``changed`` names the model fields edited.

    Settings that move the local hours make every scheduled job due again (``SCHEDULE_FIELDS``), and
    ``studio_calendar_changed`` tells the apps that keep dates placed by them.
    """
    studio.settings_saved_at = now
    studio.save()
    if SCHEDULE_FIELDS.intersection(changed):
        schedules_reset(studio, now)
    studio_calendar_changed.send(sender=Studio, studio=studio, changed=frozenset(changed), now=now)


@transaction.atomic
def user_signup(*, name: str, email: str, password: str, studio_name: str, timezone: str) -> User:
    user = User.objects.create_user(email=email, password=password, name=name)
    studio_create(name=studio_name, timezone=timezone, owner=user, sender_name=name, sender_email=email)
    return user


def member_remove(*, membership: Membership) -> None:
    if membership.role == Membership.Role.OWNER:
        owners = Membership.objects.filter(studio=membership.studio, role=Membership.Role.OWNER)
        if owners.count() <= 1:
            raise MembershipError("A studio needs at least one owner: add another owner first.")
    membership.delete()
