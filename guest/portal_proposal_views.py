"""The portal's proposal page (tick add-ons, see the sums change, sign and accept) and its agreement
versions (the signed ones with their audit trail and PDF; a new version to sign).

Rows are reached through the visitor's client only: another client's proposal or agreement is a 404.
The sums come from the server: the page's script looks them up in a table the server wrote, and the
accept recomputes everything from the rows.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing import proposals as services
from billing.models import Agreement, Proposal
from billing.proposal_forms import AcceptProposalForm, SignForm
from billing.proposal_views import agreement_pdf_response
from guest.portal_views import _client_ip
from projects import portal_activity
from projects.portal_access import PortalVisitor, portal_required, visitor_project

Kind = portal_activity.Kind
OPEN = (Proposal.Status.SENT, Proposal.Status.ACCEPTED)


def _visitor_proposal(request: HttpRequest, pk: int) -> Proposal:
    visitor: PortalVisitor | None = getattr(request, "portal", None)
    if visitor is None:
        raise Http404
    return get_object_or_404(
        Proposal.objects.filter(studio=visitor.studio, project__client=visitor.client, status__in=OPEN)
        .select_related("studio", "project__client"),
        pk=pk,
    )  # fmt: skip


def _visitor_agreements(request: HttpRequest):
    visitor: PortalVisitor = request.portal
    return Agreement.objects.filter(studio=visitor.studio, project__client=visitor.client).select_related(
        "project__client", "studio"
    )


def _signature(request: HttpRequest, name: str) -> services.Signature:
    return services.Signature(
        name=name,
        email=request.portal.contact.email,
        ip=_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[: services.USER_AGENT_MAX],
    )


def _proposal_page(
    request: HttpRequest, proposal: Proposal, *, form: AcceptProposalForm | None = None, chosen=None, status=200
) -> HttpResponse:
    items = list(proposal.items.all())
    agreement = proposal.agreements.order_by("version").first()
    if proposal.status == Proposal.Status.ACCEPTED:
        chosen = [item.pk for item in items if item.optional and item.selected]
    totals, segments, _text = services.proposal_agreement(proposal, items, chosen)
    if agreement is not None:
        segments = [(agreement.text, "")]  # what was signed, exactly
    chosen_ids = {item.pk for item in items if item.optional and services.chosen(item, chosen)}
    choices = services.every_choice(proposal, items)
    current = choices[services.choice_key(chosen_ids)]
    if form is None:
        form = AcceptProposalForm(
            initial={"full_name": request.portal.contact.name, "shown_total": totals.total_minor},
            option_ids=[item.pk for item in items if item.optional],
        )
    return render(
        request,
        "portal/proposal.html",
        {
            "proposal": proposal,
            "project": proposal.project,
            "items": [
                (item, services.marked_up(item.unit_price_minor, proposal.markup_percent), item.pk in chosen_ids)
                for item in items
            ],
            "has_addons": any(item.optional for item in items),
            "totals": current,
            "total_minor": totals.total_minor,
            "choices": choices,
            "segments": segments,
            "form": form,
            "expired": services.expired(proposal, timezone.now()),
            "agreement": agreement,
        },
        status=status,
    )


@portal_required
@require_GET
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    return _proposal_page(request, _visitor_proposal(request, pk))


@portal_required
@require_POST
def proposal_accept(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    current = _visitor_proposal(request, pk)
    back = redirect("portal:proposal", pk=current.pk)
    option_ids = list(current.items.filter(optional=True).values_list("pk", flat=True))
    form = AcceptProposalForm(request.POST, option_ids=option_ids)
    if not form.is_valid():
        chosen = [pk for pk in request.POST.getlist("options") if pk.isdigit() and int(pk) in option_ids]
        return _proposal_page(request, current, form=form, chosen=[int(pk) for pk in chosen], status=400)
    chosen = form.cleaned_data["options"]
    try:
        accepted = services.proposal_accept(
            proposal=current,
            chosen_ids=chosen,
            shown_total_minor=form.cleaned_data["shown_total"],
            signature=_signature(request, form.cleaned_data["full_name"]),
            now=timezone.now(),
        )
    except services.TotalChanged as error:
        messages.warning(request, str(error))
        form = AcceptProposalForm(
            initial={"full_name": form.cleaned_data["full_name"]}, option_ids=option_ids
        )  # the sums below are the server's, for the options ticked: look, then sign again
        return _proposal_page(request, current, form=form, chosen=chosen, status=409)
    except services.ProposalError as error:
        messages.error(request, str(error))
        return back
    if accepted.created:
        portal_activity.record(
            visitor,
            kind=Kind.PROPOSAL_ACCEPTED,
            summary=f"{current.title}: {accepted.agreement.signed_name}",
            project=current.project,
            url=reverse("billing:proposal", kwargs={"pk": current.pk}),
        )
        messages.success(request, _("Thank you: the proposal is accepted and the agreement signed."))
    else:
        messages.info(request, _("This proposal is already accepted."))
    return back


@portal_required
@require_GET
def agreements(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's proposals for the client and its agreement versions, newest first (an unsigned
    one can be signed here)."""
    project = visitor_project(request, pk)
    return render(
        request,
        "portal/agreements.html",
        {
            "project": project,
            "proposals": list(Proposal.objects.filter(project=project, status__in=OPEN)),
            "agreements": list(_visitor_agreements(request).filter(project=project).order_by("-version")),
            "form": SignForm(initial={"full_name": request.portal.contact.name}),
        },
    )


@portal_required
@require_POST
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(_visitor_agreements(request), pk=pk)
    back = redirect("portal:agreements", pk=agreement.project_id)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type your full name and tick “I agree” to sign."))
        return back
    try:
        signed, created = services.agreement_sign(
            agreement=agreement, signature=_signature(request, form.cleaned_data["full_name"]), now=timezone.now()
        )
    except services.ProposalError as error:
        messages.error(request, str(error))
        return back
    if created:
        portal_activity.record(
            request.portal,
            kind=Kind.AGREEMENT_SIGNED,
            summary=f"{signed.project.title}: v{signed.version}",
            project=signed.project,
            url=reverse("billing:proposals", kwargs={"project_pk": signed.project_id}),
        )
        messages.success(request, _("Thank you: the new version is signed."))
    return back


@portal_required
@require_GET
def agreement_download(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(_visitor_agreements(request).filter(signed_at__isnull=False), pk=pk)
    return agreement_pdf_response(agreement)
