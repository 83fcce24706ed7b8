"""Stripe: the studio's keys page (owners) and the webhook Stripe posts to, /hooks/stripe/<studio slug>/.

Thin: ``billing.stripe_pay`` stores, verifies and applies. The webhook is CSRF exempt (Stripe signs
it instead) and POST only; it never runs inside a request-wide transaction, so the raw body stays
stored even when what follows fails.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import services, stripe_pay
from billing.models import StripeEvent
from billing.stripe_forms import StripeKeysForm
from comms import secrets
from kernel.access import owner_required, scoped
from kernel.models import Studio

FAILED_SHOWN = 20


@owner_required
def stripe_settings(request: HttpRequest) -> HttpResponse:
    profile = services.billing_profile(request.studio)
    has_secret, has_webhook = bool(profile.stripe_secret_key_encrypted), bool(profile.stripe_webhook_secret_encrypted)
    form = StripeKeysForm(
        request.POST or None,
        initial={"publishable_key": profile.stripe_publishable_key},
        has_secret=has_secret,
        has_webhook_secret=has_webhook,
    )
    if request.method == "POST":
        if "remove" in request.POST:
            stripe_pay.stripe_keys_update(studio=request.studio, publishable="", remove=True, now=timezone.now())
            messages.success(request, _("Stripe keys removed: clients no longer see “Pay now”."))
            return redirect("billing:stripe")
        if form.is_valid():
            data = form.cleaned_data
            stripe_pay.stripe_keys_update(
                studio=request.studio,
                publishable=data["publishable_key"],
                secret=data["secret_key"],
                webhook_secret=data["webhook_secret"],
                now=timezone.now(),
            )
            messages.success(request, _("Stripe keys saved."))
            return redirect("billing:stripe")
    try:
        keys = stripe_pay.stripe_keys(profile)
        masked = {"secret": stripe_pay.mask(keys.secret), "webhook": stripe_pay.mask(keys.webhook_secret)}
    except secrets.SecretError:
        masked = {"secret": _("(cannot be read: enter it again)"), "webhook": _("(cannot be read: enter it again)")}
    failed = list(scoped(request, StripeEvent).filter(status=StripeEvent.Status.FAILED).defer("raw")[:FAILED_SHOWN])
    return render(
        request,
        "billing/stripe_settings.html",
        {
            "form": form,
            "profile": profile,
            "enabled": stripe_pay.stripe_enabled(profile),
            "masked_publishable": stripe_pay.mask(profile.stripe_publishable_key),
            "masked": masked,
            "webhook_url": request.build_absolute_uri(reverse("stripe_webhook", kwargs={"key": request.studio.slug})),
            "failed": failed,
        },
    )


@owner_required
@require_POST
def stripe_event_replay(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(scoped(request, StripeEvent), pk=pk)
    result = stripe_pay.stripe_event_replay(event=event, now=timezone.now())
    if result.event.status == StripeEvent.Status.FAILED:
        messages.error(request, _("Still failed: %(error)s") % {"error": result.event.error})
    else:
        messages.success(request, _("Event processed."))
    return redirect("billing:stripe")


@csrf_exempt
@transaction.non_atomic_requests
@require_POST
def webhook(request: HttpRequest, key: str) -> HttpResponse:
    studio = get_object_or_404(Studio, slug=key)
    result = stripe_pay.stripe_webhook_receive(
        studio=studio,
        body=request.body,
        signature=request.headers.get("Stripe-Signature", ""),
        now=timezone.now(),
    )
    if result.status_code != 200:
        return HttpResponse(result.event.error, status=result.status_code, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
