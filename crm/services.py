"""Writes of the studio core: signup, studios and their members."""

from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template import loader
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from comms.mailbox import STUDIO_HEADER
from crm.models import Membership, Studio, User


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
    studio = Studio.objects.create(name=name, slug=unique_studio_slug(name), timezone=timezone, **fields)
    Membership.objects.create(studio=studio, user=owner, role=Membership.Role.OWNER)
    return studio


@transaction.atomic
def user_signup(*, name: str, email: str, password: str, studio_name: str, timezone: str) -> User:
    user = User.objects.create_user(email=email, password=password, name=name)
    studio_create(name=studio_name, timezone=timezone, owner=user, sender_name=name, sender_email=email)
    return user


class InviteForm(PasswordResetForm):
    """Django's password-reset email, marked as the studio's so the outbox files it under the studio."""

    def __init__(self, studio: Studio, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.studio = studio

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        EmailMultiAlternatives(
            subject, body, from_email, [to_email], headers={STUDIO_HEADER: str(self.studio.pk)}
        ).send()


def member_add(*, studio: Studio, email: str, request: HttpRequest) -> Membership:
    """Add a person to the studio; a new account gets an email to choose its password."""
    user, created = User.objects.get_or_create(email=email.lower())
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, added = Membership.objects.get_or_create(studio=studio, user=user)
    if not added:
        raise MembershipError(f"{email} is already a member of {studio.name}.")
    if created:
        reset = InviteForm(studio, data={"email": email})
        reset.is_valid()
        # Django only mails users with a usable password; a fresh invite has none yet.
        reset.get_users = lambda _email: [user]  # type: ignore[method-assign]
        reset.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="registration/invite_subject.txt",
            email_template_name="registration/invite_email.txt",
            extra_email_context={"studio": studio},
        )
    return membership


def member_remove(*, membership: Membership) -> None:
    if membership.role == Membership.Role.OWNER:
        owners = Membership.objects.filter(studio=membership.studio, role=Membership.Role.OWNER)
        if owners.count() <= 1:
            raise MembershipError("A studio needs at least one owner: add another owner first.")
    membership.delete()
