"""Recording a client's payment, and telling the freelancer what it did to a project's deposit."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from clients import services
from clients.forms import PaymentForm
from clients.models import Client
from kernel.access import get_for_member, safe_next, studio_required
from projects.models import Project
from projects.services import deposit_complete


@studio_required
def payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    form = PaymentForm(request.POST or None, studio=request.studio, client=client, initial=request.GET.dict())
    back = safe_next(request, reverse("clients:detail", args=[client.pk]))
    if request.method == "POST" and form.is_valid():
        fields = form.payment_fields()
        project = fields["project"]
        waiting = project is not None and project.status == Project.Status.AWAITING_DEPOSIT
        services.payment_record(client=client, by=request.user, **fields)
        messages.success(request, _("Payment recorded. Tiers update tonight."))
        if waiting:
            project.refresh_from_db(fields=["status"])
            if project.status == Project.Status.IN_PROGRESS:
                messages.success(
                    request,
                    _("The deposit for %(project)s is complete: work has started and %(client)s is told by email.")
                    % {"project": project.title, "client": client.name},
                )
            elif deposit_complete(project):
                messages.info(
                    request,
                    _("The deposit for %(project)s is paid in full: start the work from the project page.")
                    % {"project": project.title},
                )
        return redirect(back)
    return render(
        request, "clients/form.html", {"form": form, "client": client, "back": back, "title": _("Record a payment")}
    )
