"""The Mail sources page: where a studio's client mail comes in from (owners only)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comms.imap import check_connection
from comms.models import ImapAccount, WebhookPayload
from comms.routing import bcc_address, inbound_address
from comms.source_forms import ImapAccountForm
from comms.webhooks import ESPS, webhook_secrets
from kernel.access import owner_required

FAILED_WEBHOOKS_SHOWN = 10


@owner_required
def index(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    account = ImapAccount.objects.filter(studio=studio).first()
    form = ImapAccountForm(request.POST or None, instance=account or ImapAccount(studio=studio))
    check = None
    if request.method == "POST" and form.is_valid():
        if "test" in request.POST:
            try:
                check = check_connection(**form.connection_settings())
            except ValidationError as exc:
                form.add_error("password", exc)
        else:
            form.save()
            messages.success(request, _("Mailbox settings saved."))
            return redirect("mailsources:index")
    return render(
        request,
        "comms/mail_sources.html",
        {
            "inbound_address": inbound_address(studio),
            "bcc_address": bcc_address(studio),
            "webhooks": webhook_rows(),
            "webhook_secret_set": bool(webhook_secrets()),
            "failed_webhooks": list(
                WebhookPayload.objects.filter(studio=studio, status=WebhookPayload.Status.FAILED)
                .only("pk", "esp", "kind", "error", "received_at", "studio_id")
                .order_by("-received_at", "-pk")[:FAILED_WEBHOOKS_SHOWN]
            ),
            "pipe_command": f"python manage.py receive_email --studio {studio.slug}",
            "account": account,
            "form": form,
            "check": check,
            "password_typed": bool(request.method == "POST" and request.POST.get("password")),
        },
    )


@owner_required
@require_POST
def imap_delete(request: HttpRequest) -> HttpResponse:
    deleted, _rows = ImapAccount.objects.filter(studio=request.studio).delete()
    if deleted:
        messages.success(request, _("Mailbox removed: Rapport no longer checks it."))
    return redirect("mailsources:index")


def webhook_rows() -> list[dict[str, str]]:
    """Each ESP's webhook URLs, with the basic-auth placeholder the ESP must be given."""
    site = urlsplit(settings.SITE_URL)
    base = f"{site.scheme}://USER:PASSWORD@{site.netloc}{site.path}"
    rows = []
    for esp in ESPS.values():
        rows.append(
            {
                "name": esp.name,
                "hint": esp.hint,
                "inbound": base + reverse(f"hooks:{esp.inbound_path}", kwargs={"esp": esp.slug}) if esp.inbound else "",
                "tracking": base + reverse("hooks:tracking", kwargs={"esp": esp.slug}) if esp.tracking else "",
            }
        )
    return rows
