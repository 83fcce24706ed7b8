"""The studio's settings page and its people: members, invitations, and the invitee's page."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from desk.members import invitation_send
from kernel.access import get_for_member, is_owner, owner_required, studio_required
from kernel.forms import InvitationAccountForm, MemberAddForm, StudioSettingsForm, reminder_hour_notes
from kernel.invitations import find_invitation, invitation_accept, invitation_cancel
from kernel.middleware import SESSION_STUDIO_KEY
from kernel.models import Invitation, Membership, User
from kernel.services import MembershipError, member_remove, studio_settings_save

# Saving one of these says what quiet hours will do to the reminder hours (so do the working hours).
REMINDER_HOUR_FIELDS = frozenset({"digest_hour", "friday_update_hour"})


@studio_required
def studio_settings(request: HttpRequest) -> HttpResponse:
    owner = is_owner(request)
    form = StudioSettingsForm(request.POST or None, instance=request.studio)
    if request.method == "POST":
        if not owner:
            messages.error(request, _("Only the studio's owners can change its settings."))
            return redirect("settings")
        if form.is_valid():
            studio_settings_save(form.save(commit=False), changed=form.changed_studio_fields(), now=timezone.now())
            messages.success(request, _("Settings saved."))
            if REMINDER_HOUR_FIELDS.intersection(form.changed_data) or any(
                name.endswith(("_open", "_close")) for name in form.changed_data
            ):
                for note in reminder_hour_notes(request.studio).values():
                    messages.warning(request, note)
            return redirect("settings")
        messages.error(request, _("Please correct the errors below; nothing was saved."))
    members = Membership.objects.filter(studio=request.studio).select_related("user").order_by("created_at")
    invitations = (
        Invitation.objects.filter(studio=request.studio, accepted_at__isnull=True, expires_at__gt=timezone.now())
        if owner
        else Invitation.objects.none()
    )
    return render(
        request,
        "crm/settings.html",
        {
            "form": form,
            "members": members,
            "invitations": invitations,
            "member_form": MemberAddForm(),
            "is_owner": owner,
        },
    )


@owner_required
@require_POST
def add_member(request: HttpRequest) -> HttpResponse:
    """Invite a person: they join the studio only when they accept (until then they see nothing of it)."""
    form = MemberAddForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"].lower()
        try:
            invitation_send(studio=request.studio, email=email, invited_by=request.user, now=timezone.now())
        except MembershipError:
            messages.error(request, _("%(email)s is already a member of the studio.") % {"email": email})
        else:
            messages.success(
                request, _("Invitation sent to %(email)s. They join when they accept it.") % {"email": email}
            )
    else:
        messages.error(request, " ".join(form.errors.get("email", [])))
    return redirect("settings")


@owner_required
@require_POST
def cancel_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_for_member(request, Invitation.objects.filter(accepted_at__isnull=True), pk=pk)
    invitation_cancel(invitation=invitation)
    messages.success(request, _("Invitation to %(email)s cancelled.") % {"email": invitation.email})
    return redirect("settings")


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page: a GET only shows the invitation, accepting it is a POST.

    Signed in as the invited address: one button. Not signed in, with an account: sign in first.
    Without an account: choose a name and password here, which accepts at once.
    """
    now = timezone.now()
    found = find_invitation(token, now=now)
    if found is None:
        response = render(request, "crm/invitation.html", {"invitation": None}, status=404)
        response.headers["Cache-Control"] = "no-store, private"
        return response
    account = User.objects.filter(email__iexact=found.email).first()
    has_account = account is not None and account.has_usable_password()
    user = request.user if request.user.is_authenticated else None
    form = None
    if user is None and not has_account:
        form = InvitationAccountForm(request.POST or None, email=found.email)
    if request.method == "POST":
        if user is not None and user.email.lower() == found.email.lower():
            return _accepted(request, found, user, now)
        if form is not None and form.is_valid():
            if account is None:
                account = User.objects.create_user(
                    email=found.email, password=form.cleaned_data["password"], name=form.cleaned_data["name"]
                )
            else:
                account.name = form.cleaned_data["name"]
                account.set_password(form.cleaned_data["password"])
                account.save(update_fields=["name", "password"])
            login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            return _accepted(request, found, account, now)
    response = render(
        request,
        "crm/invitation.html",
        {"invitation": found, "has_account": has_account, "form": form, "signed_in_as": user},
    )
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _accepted(request: HttpRequest, found: Invitation, user: User, now) -> HttpResponse:
    try:
        invitation_accept(invitation=found, user=user, now=now)
    except MembershipError:
        messages.error(request, _("This invitation is no longer valid."))
        return redirect("today")
    request.session[SESSION_STUDIO_KEY] = found.studio_id
    messages.success(request, _("Welcome to %(studio)s.") % {"studio": found.studio.name})
    return redirect("today")


@owner_required
@require_POST
def remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_for_member(request, Membership.objects.select_related("user"), pk=pk)
    try:
        member_remove(membership=membership)
    except MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(user)s removed from the studio.") % {"user": membership.user})
    return redirect("settings")
