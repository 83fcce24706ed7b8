"""The client's dossier: contacts with their portal links, projects, money, timeline and recent mail."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.models import Invoice
from clients import selectors
from clients.forms import PinForm, TouchpointForm
from clients.models import Client
from comms.inbox import recent_mail
from desk.file_timeline import dossier_timeline
from kernel.access import get_for_member, studio_required
from kernel.dates import day_date
from projects import portal_links

INVOICES = 10


@studio_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client.objects.select_related("referred_by"), pk=pk)
    today = request.studio.local_now().date()
    in_touch = client.archived_at is None and client.status in selectors.IN_TOUCH_STATUSES
    next_touch = client.next_touch_on if in_touch else None
    return render(
        request,
        "clients/detail.html",
        {
            "client": client,
            "next_touch_day": day_date(next_touch) if next_touch else "",
            "touch_due": next_touch is not None and next_touch <= today,
            "contacts": portal_links.with_live_links(client.contacts.all()),
            "tags": client.tags.all(),
            "projects": client.projects.order_by("-created_at", "-pk"),
            "invoices": list(
                Invoice.objects.filter(studio=request.studio, client=client).order_by("-created_at", "-pk")[:INVOICES]
            ),
            "today": today,
            "totals": selectors.client_totals(client=client, as_of=today),
            "timeline": dossier_timeline(client=client, zone=request.studio.zoneinfo),
            "recent_mail": recent_mail(client),
            "markup": request.studio.markup_percent(client.difficulty),
            "touchpoint_form": TouchpointForm(studio=request.studio),
            "pin_form": PinForm(initial={"tier_pin": client.tier_pin}),
        },
    )
