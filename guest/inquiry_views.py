"""The public inquiry pages (no login): `/inquiry/<studio slug>/` and its thank-you page.

Rate limits use Django's cache (a fixed window from the first counted submission): at most
`IP_LIMIT` inquiries per client IP per hour and `EMAIL_LIMIT` per email address per day, each
per studio. The client IP is `REMOTE_ADDR`: behind a reverse proxy the deployment must set it to
the visitor's address (e.g. gunicorn's forwarded-allow-ips, or the proxy's real-IP module), or
every visitor shares the proxy's limit.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guest.inquiry import lead_create_from_inquiry
from guest.inquiry_forms import InquiryForm
from kernel.models import Studio
from kernel.ratelimit import address_key, any_exceeded

logger = logging.getLogger("rapport.inquiry")

IP_LIMIT = 5
IP_WINDOW_SECONDS = 60 * 60
EMAIL_LIMIT = 3
EMAIL_WINDOW_SECONDS = 24 * 60 * 60


@require_http_methods(["GET", "POST"])
def inquiry_form(request: HttpRequest, slug: str) -> HttpResponse:
    studio = get_object_or_404(Studio, slug=slug)
    form = InquiryForm(request.POST if request.method == "POST" else None, studio=studio)
    status = 200
    if request.method == "POST":
        if form.is_honeypot_filled:
            # Look exactly like a success to the bot; create and send nothing.
            return redirect("inquiry:thanks", slug=studio.slug)
        if form.is_valid():
            if _rate_limited(studio=studio, ip=_remote_addr(request), email=form.cleaned_data["email"]):
                form.add_error(None, _too_many_message(studio))
                status = 429
            else:
                data = form.cleaned_data
                lead_create_from_inquiry(
                    studio=studio,
                    name=data["name"],
                    email=data["email"],
                    company=data["company"],
                    message=data["message"],
                    budget=form.budget_text(),
                    phone=data["phone"],
                    received_at=timezone.now(),
                )
                return redirect("inquiry:thanks", slug=studio.slug)
    return render(request, "clients/inquiry_form.html", {"form": form, "studio": studio}, status=status)


@require_GET
def inquiry_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    studio = get_object_or_404(Studio, slug=slug)
    return render(request, "clients/inquiry_thanks.html", {"studio": studio})


def _remote_addr(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def _rate_limited(*, studio: Studio, ip: str, email: str) -> bool:
    """Count this submission against both limits; True if either is exceeded.

    Fails open: with the cache (Redis) down, an inquiry is accepted rather than lost — the
    honeypot still stops the simplest bots, and the outage is logged.
    """
    return any_exceeded(
        (f"inquiry:ip:{studio.pk}:{ip}", IP_LIMIT, IP_WINDOW_SECONDS),
        (f"inquiry:email:{studio.pk}:{address_key(email)}", EMAIL_LIMIT, EMAIL_WINDOW_SECONDS),
        what="Inquiry",
    )


def _too_many_message(studio: Studio) -> str:
    if studio.sender_email:
        return _("Too many messages from you today — please email us directly at %(email)s.") % {
            "email": studio.sender_email
        }
    return _("Too many messages from you today — please try again tomorrow.")


urlpatterns: list[URLPattern] = [
    path("<slug:slug>/", inquiry_form, name="form"),
    path("<slug:slug>/thanks/", inquiry_thanks, name="thanks"),
]
