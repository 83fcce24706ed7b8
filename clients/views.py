from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import selectors, services
from clients.forms import ClientForm, ContactForm, PinForm, TouchpointForm
from clients.models import Client, Contact
from kernel.access import get_for_member, studio_required
from kernel.dates import month_name


def _local_today(request: HttpRequest) -> date:
    return request.studio.local_now().date()


@studio_required
def index(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in ("search", "status", "tier", "tag", "sort")}
    archived = request.GET.get("archived") == "1"
    today = _local_today(request)
    page = selectors.client_page(
        studio=request.studio,
        as_of=today,
        number=request.GET.get("page"),
        archived=archived,
        **{k: v for k, v in filters.items() if v},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clients/index.html",
        {
            "page": page,
            "filters": filters,
            "archived": archived,
            "statuses": Client.Status.choices,
            "tiers": Client.Tier.choices,
            "tags": selectors.STUDIO_TAGS(studio=request.studio.pk),
            "sorts": [
                ("name", _("Name")),
                ("revenue", _("12-month revenue")),
                ("recent", _("Last contact")),
                ("silent", _("Longest silence")),
            ],  # fmt: skip
            "query": query.urlencode(),
        },
    )


@studio_required
def create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        client = services.client_save(client=form.instance, studio=request.studio, tags=form.cleaned_data["tags_text"])
        messages.success(request, _("Client added. Add their contact person next."))
        return redirect("clients:contact_add", pk=client.pk)
    return render(request, "clients/form.html", {"form": form, "title": _("New client")})


@studio_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    form = ClientForm(request.POST or None, instance=client, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        services.client_save(client=form.instance, studio=request.studio, tags=form.cleaned_data["tags_text"])
        messages.success(request, _("Client saved."))
        return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/form.html", {"form": form, "client": client, "title": client.name})


@studio_required
@require_POST
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    services.client_archive(client=client)
    messages.success(request, _("%(name)s archived. Nothing was deleted; restore it any time.") % {"name": client})
    return redirect("clients:detail", pk=client.pk)


@studio_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    services.client_restore(client=client)
    messages.success(request, _("%(name)s restored.") % {"name": client})
    return redirect("clients:detail", pk=client.pk)


@studio_required
@require_POST
def pin(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    form = PinForm(request.POST)
    if form.is_valid():
        services.client_set_pin(client=client, pin=form.cleaned_data["tier_pin"])
        messages.success(request, _("Tier updated: %(reason)s") % {"reason": client.tier_reason})
    return redirect("clients:detail", pk=client.pk)


@studio_required
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    return _contact_form(request, client, Contact(client=client, studio=request.studio))


@studio_required
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    contact = get_for_member(request, Contact, pk=contact_pk, client=client)
    return _contact_form(request, client, contact)


def _contact_form(request: HttpRequest, client: Client, contact: Contact) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact, client=client)
    if request.method == "POST" and form.is_valid():
        services.contact_save(contact=form.instance, client=client, other_emails=form.cleaned_data["other_emails_text"])
        messages.success(request, _("Contact saved."))
        return redirect("clients:detail", pk=client.pk)
    title = contact.name if contact.pk else _("New contact for %(client)s") % {"client": client}
    return render(request, "clients/form.html", {"form": form, "client": client, "title": title})


@studio_required
def touchpoint_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_member(request, Client, pk=pk)
    form = TouchpointForm(request.POST or None, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        services.touchpoint_create(client=client, by=request.user, **form.cleaned_data)
        messages.success(request, _("Touchpoint logged."))
        return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/form.html", {"form": form, "client": client, "title": _("Log a touchpoint")})


@studio_required
def touchpoints(request: HttpRequest) -> HttpResponse:
    today = _local_today(request)
    return render(
        request,
        "clients/touchpoints.html",
        {
            "due": selectors.clients_due(studio=request.studio, today=today),
            "card_month": month_name(request.studio.yearly_card_month),
            "past_clients": selectors.past_clients_to_call(studio=request.studio),
            "today": today,
        },
    )
