"""The freelancer's proposal pages: a project's proposals and agreements, a proposal's editor. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import proposals as services
from billing.models import Agreement, Proposal
from billing.pdf import agreement_pdf
from billing.proposal_forms import AgreementRevisionForm, ItemForm, ItemFormSet, ProposalForm
from billing.sending import _filename
from kernel.access import get_for_member, scoped, studio_required
from projects.models import Project


def _proposals(request: HttpRequest):
    return scoped(request, Proposal).select_related("project__client", "studio")


@studio_required
def proposal_list(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = get_for_member(request, Project.objects.select_related("client"), pk=project_pk)
    agreements = list(
        scoped(request, Agreement).filter(project=project).select_related("countersigned_by").order_by("-version")
    )
    return render(
        request,
        "billing/proposal_list.html",
        {
            "project": project,
            "proposals": list(_proposals(request).filter(project=project)),
            "agreements": agreements,
            "latest": agreements[0] if agreements else None,
            "revision_form": AgreementRevisionForm(initial={"text": agreements[0].text}) if agreements else None,
        },
    )


@studio_required
@require_POST
def proposal_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = get_for_member(request, Project.objects.select_related("client", "studio"), pk=project_pk)
    proposal = services.proposal_create(project=project, now=timezone.now())
    messages.success(request, _("Proposal drafted from the quote: check it, then send it."))
    return redirect("billing:proposal", pk=proposal.pk)


@studio_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_for_member(request, _proposals(request), pk=pk)
    suggested = services.suggested_markup(proposal.project)
    editable = proposal.status in (Proposal.Status.DRAFT, Proposal.Status.SENT)
    if request.method == "POST" and editable:
        form = ProposalForm(request.POST, suggested_markup=suggested)
        formset = ItemFormSet(request.POST, prefix="items")
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                services.proposal_update(
                    proposal=proposal, title=data["title"], intro=data["intro"], valid_until=data["valid_until"],
                    deposit_percent=data["deposit_percent"], agreement_text=data["agreement_text"],
                    markup_percent=form.markup_percent(proposal.markup_percent), items=formset.specs(),
                )  # fmt: skip
            except services.ProposalError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Proposal saved."))
                return redirect("billing:proposal", pk=proposal.pk)
    else:
        form = ProposalForm(initial=ProposalForm.initial_for(proposal), suggested_markup=suggested)
        formset = ItemFormSet(initial=[ItemForm.initial_for(item) for item in proposal.items.all()], prefix="items")
    items = list(proposal.items.all())
    totals, _segments, text = services.proposal_agreement(proposal, items)
    return render(
        request,
        "billing/proposal_detail.html",
        {
            "proposal": proposal,
            "project": proposal.project,
            "items": [(item, services.marked_up(item.unit_price_minor, proposal.markup_percent)) for item in items],
            "totals": totals,
            "agreement_text": text,
            "form": form,
            "formset": formset,
            "editable": editable,
            "suggested_markup": suggested,
            "expired": services.expired(proposal, timezone.now()),
        },
    )


def _act(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    proposal = get_for_member(request, _proposals(request), pk=pk)
    try:
        action(proposal)
    except services.ProposalError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("billing:proposal", pk=proposal.pk)


@studio_required
@require_POST
def proposal_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda p: services.proposal_send(proposal=p, now=timezone.now(), by=request.user),
                _("Proposal sent: the client gets a link to it in their portal."))  # fmt: skip


@studio_required
@require_POST
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda p: services.proposal_withdraw(proposal=p), _("Proposal withdrawn."))


def _agreement(request: HttpRequest, pk: int) -> Agreement:
    return get_for_member(request, Agreement.objects.select_related("project__client", "studio"), pk=pk)


@studio_required
@require_POST
def agreement_countersign(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    try:
        services.agreement_countersign(agreement=agreement, by=request.user, now=timezone.now())
    except services.ProposalError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Countersigned: both sides get the PDF."))
    return redirect("billing:proposals", project_pk=agreement.project_id)


@studio_required
@require_POST
def agreement_revise(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    form = AgreementRevisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The agreement cannot be empty."))
        return redirect("billing:proposals", project_pk=agreement.project_id)
    try:
        services.agreement_revise(agreement=agreement, text=form.cleaned_data["text"], now=timezone.now())
    except services.ProposalError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("New version saved: the client is asked to sign it in the portal."))
    return redirect("billing:proposals", project_pk=agreement.project_id)


@studio_required
def agreement_download(request: HttpRequest, pk: int) -> HttpResponse:
    return agreement_pdf_response(_agreement(request, pk))


def agreement_pdf_response(agreement: Agreement) -> HttpResponse:
    name = _filename(_("Agreement %(project)s v%(version)s") % {"project": agreement.project.title,
                                                                 "version": agreement.version})  # fmt: skip
    response = HttpResponse(agreement_pdf(agreement), content_type="application/pdf")
    # A Cyrillic or accented title needs RFC 6266's filename*=: a raw non-ASCII header is RFC 2047-encoded
    # by Django, which browsers do not read (Chromium then shows the PDF instead of saving it).
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response
