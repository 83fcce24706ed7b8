"""ESP webhooks (inbound mail and delivery tracking): our gate and payload log around anymail's views.

Order of work for ``POST /hooks/<esp>/inbound/`` (and ``/tracking/``):

1. Authentication, before anything is stored. ``ANYMAIL["WEBHOOK_SECRET"]`` is required (HTTP
   basic auth, "user:password"; any of several is accepted): unset or not matching → 403. The
   ESP's own signature check (Mailgun signing key, Postal key…, per anymail's settings) runs next
   and also answers 403. Amazon SNS gets the 401 challenge it needs before it sends credentials.
2. The request body is stored as a ``WebhookPayload`` before it is parsed.
3. Anymail's own view parses it and sends its ``inbound``/``tracking`` signal; our receivers
   (``on_inbound`` here, ``comms.tracking.on_tracking``) file the mail through
   ``comms.inbound.receive`` or update the outbox row.

Answers, chosen so that the ESP retries only what a retry can fix:

- 200: filed; also for mail to an address no studio has (payload kept ``failed`` with the
  reason, replayable once the address is fixed): the ESP retrying it for days cannot help.
- 400: a body anymail cannot parse, or a message ``receive`` cannot file: payload ``failed``.
- 500: anything unexpected (a database outage…): payload ``failed``, the ESP retries later.
  Also, with nothing stored, when the ESP's signing key anymail needs is not configured.
  A retry or a replay of mail already filed is harmless: ``receive`` is idempotent on Message-ID.
- 413: a body over ``INBOUND_MAX_BODY_SIZE`` (``kernel.edge``; tracking URLs: ``MAX_REQUEST_BODY_SIZE``),
  or over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` here (nothing stored).

A body stored but left "received" (the database went away between storing and filing it) is
processed again by the ``stranded-webhook-payloads`` sweep (``replay_stranded``).

Where an ESP posts the raw message in a form field (Mailgun's "mime" route, SendGrid's raw
option), ``receive`` gets those bytes unchanged; otherwise it gets anymail's parsed message
serialized again (``as_bytes``).

``replay_webhook_payload`` (and ``manage.py replay_webhooks``) runs a stored payload again;
it was authenticated when it arrived, so validators are not run a second time.
"""

from __future__ import annotations

import email.errors
import logging
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailInsecureWebhookWarning,
    AnymailNotSupportedWarning,
    AnymailWebhookValidationFailure,
)
from anymail.signals import AnymailInboundEvent
from anymail.utils import get_anymail_setting, get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView, AmazonSESTrackingWebhookView
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.brevo import BrevoInboundWebhookView, BrevoTrackingWebhookView
from anymail.webhooks.mailersend import MailerSendInboundWebhookView, MailerSendTrackingWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView, MailgunTrackingWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView, MailjetTrackingWebhookView
from anymail.webhooks.mandrill import MandrillCombinedWebhookView
from anymail.webhooks.postal import PostalInboundWebhookView, PostalTrackingWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView, PostmarkTrackingWebhookView
from anymail.webhooks.resend import ResendTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView, SendGridTrackingWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView, SparkPostTrackingWebhookView
from anymail.webhooks.unisender_go import UnisenderGoTrackingWebhookView
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadhandler import load_handler
from django.core.handlers.wsgi import WSGIRequest
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

import comms.inbound
from comms.models import RawEmail, WebhookPayload
from comms.routing import studio_for_recipients

logger = logging.getLogger("rapport.webhooks")


@dataclass(frozen=True)
class Esp:
    slug: str
    name: str
    inbound: type[AnymailCoreWebhookView] | None
    tracking: type[AnymailCoreWebhookView] | None
    hint: str | Promise  # the setup steps, shown in the freelancer's language
    inbound_path: str = "inbound"  # Mailgun posts the raw MIME only to a URL containing "mime"


# Every ESP anymail 13 can receive from; tracking-only ones at the end.
ESPS: dict[str, Esp] = {
    esp.slug: esp
    for esp in [
        Esp(
            "mailgun",
            "Mailgun",
            MailgunInboundWebhookView,
            MailgunTrackingWebhookView,
            _(
                "Receiving → Routes: forward() to the inbound URL (its “mime” ending gets the raw message). "
                "Set ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY."
            ),
            inbound_path="inbound_mime",
        ),
        Esp(
            "postmark",
            "Postmark",
            PostmarkInboundWebhookView,
            PostmarkTrackingWebhookView,
            _("Inbound stream → Settings: webhook URL; tick “Include raw email content in JSON payload”."),
        ),
        Esp(
            "sendgrid",
            "SendGrid",
            SendGridInboundWebhookView,
            SendGridTrackingWebhookView,
            _(
                "Settings → Inbound Parse: add your MX host and the inbound URL; "
                "tick “POST the raw, full MIME message”."
            ),
        ),
        Esp(
            "mailjet",
            "Mailjet",
            MailjetInboundWebhookView,
            MailjetTrackingWebhookView,
            _("Parse API: create a parse route whose Url is the inbound URL."),
        ),
        Esp(
            "mandrill",
            "Mandrill",
            MandrillCombinedWebhookView,
            MandrillCombinedWebhookView,
            _("Inbound → Routes: post to the inbound URL. Set ANYMAIL_MANDRILL_WEBHOOK_KEY (and _WEBHOOK_URL)."),
        ),
        Esp(
            "sparkpost",
            "SparkPost",
            SparkPostInboundWebhookView,
            SparkPostTrackingWebhookView,
            _("Relay webhook (inbound domain) with the inbound URL as target, basic auth in the URL."),
        ),
        Esp(
            "amazon_ses",
            "Amazon SES",
            AmazonSESInboundWebhookView,
            AmazonSESTrackingWebhookView,
            _("Receipt rule → SNS action; subscribe the inbound URL to the topic (confirmed automatically)."),
        ),
        Esp(
            "brevo",
            "Brevo",
            BrevoInboundWebhookView,
            BrevoTrackingWebhookView,
            _("Inbound parsing webhook (created through Brevo's API) with the inbound URL."),
        ),
        Esp(
            "mailersend",
            "MailerSend",
            MailerSendInboundWebhookView,
            MailerSendTrackingWebhookView,
            _("Domains → Inbound routing: forward to the inbound URL. Set ANYMAIL_MAILERSEND_INBOUND_SECRET."),
        ),
        Esp(
            "postal",
            "Postal",
            PostalInboundWebhookView,
            PostalTrackingWebhookView,
            _("Routes: HTTP endpoint with the inbound URL, format “full raw message”. Set ANYMAIL_POSTAL_WEBHOOK_KEY."),
        ),
        Esp(
            "resend", "Resend", None, ResendTrackingWebhookView, _("Webhooks: the tracking URL (delivery events only).")
        ),
        Esp(
            "unisender_go",
            "Unisender Go",
            None,
            UnisenderGoTrackingWebhookView,
            _("Webhooks: the tracking URL (delivery events only)."),
        ),
    ]
}

# Never stored with a payload: they carry credentials, not mail.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-csrftoken"})

# What anymail's parsers raise on bodies they cannot read: the sender's problem, a 400.
MALFORMED = (
    AnymailError,
    AnymailConfigurationError,  # e.g. a tracking webhook pointed at the inbound URL
    SuspiciousOperation,
    MultiPartParserError,
    email.errors.MessageError,
    ValueError,  # json and base64 errors included
    KeyError,
    IndexError,
    TypeError,
    AttributeError,  # JSON of the wrong shape (a list where an object was expected…)
)


class ProcessingError(Exception):
    """Our side failed while filing a parsed event (not the payload's fault): answered with 500."""


@dataclass
class PayloadOutcome:
    """What the receivers did with the events of one payload."""

    handled: int = 0
    ignored: list[str] = field(default_factory=list)  # tracking events for mail we did not send
    unrouted: list[str] = field(default_factory=list)  # inbound mail for an address no studio has
    errors: list[str] = field(default_factory=list)  # inbound mail receive() could not file
    studio_id: int | None = None  # the studio inbound mail is addressed to


_outcome: ContextVar[PayloadOutcome | None] = ContextVar("webhook_outcome", default=None)


def current_outcome() -> PayloadOutcome | None:
    """The outcome collector of the payload being processed, or None outside our webhook views."""
    return _outcome.get()


# --- authentication ---------------------------------------------------------------------------


def webhook_secrets() -> list[str]:
    """The configured ``ANYMAIL["WEBHOOK_SECRET"]`` values ("user:password"); empty means refuse all."""
    configured = get_anymail_setting("webhook_secret", default=[])
    if isinstance(configured, str):
        configured = [configured]
    return [str(secret) for secret in configured or [] if secret]


def basic_auth_matches(request: HttpRequest, secrets: list[str]) -> bool:
    given = get_request_basic_auth(request)
    if given is None or not secrets:
        return False
    # Compare with every secret (constant time each), so the answer's timing says nothing about which.
    matches = [constant_time_compare(given, secret) for secret in secrets]
    return any(matches)


# --- views ------------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def inbound(request: HttpRequest, esp: str) -> HttpResponse:
    return handle(request, esp=esp, kind=WebhookPayload.Kind.INBOUND)


@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def tracking(request: HttpRequest, esp: str) -> HttpResponse:
    return handle(request, esp=esp, kind=WebhookPayload.Kind.TRACKING)


def handle(request: HttpRequest, *, esp: str, kind: str) -> HttpResponse:
    """Authenticate, store, then let anymail parse and signal (see the module docstring)."""
    view_class = _view_class(esp, kind)
    if view_class is None:
        raise Http404("No such webhook.")
    secrets = webhook_secrets()
    if not secrets:
        logger.warning("Refused %s %s webhook: ANYMAIL_WEBHOOK_SECRET is not set", esp, kind)
        return HttpResponse("Webhook secret not configured.", status=403, content_type="text/plain")
    if esp == "amazon_ses" and "authorization" not in request.headers:
        # Amazon SNS sends credentials only after a 401 challenge.
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Basic realm="Rapport webhooks"'
        return response
    if not basic_auth_matches(request, secrets):
        logger.warning("Refused %s %s webhook: missing or wrong basic auth", esp, kind)
        return HttpResponse("Forbidden.", status=403, content_type="text/plain")
    if request.method == "HEAD":  # some ESPs check the URL answers when it is configured
        return HttpResponse()
    try:
        body = request.body  # read before anymail touches request.POST, so it can be stored
    except RequestDataTooBig:
        logger.warning("Refused %s %s webhook: body larger than DATA_UPLOAD_MAX_MEMORY_SIZE", esp, kind)
        return HttpResponse("Payload too large.", status=413, content_type="text/plain")
    try:
        view = _anymail_view(view_class, request, esp=esp)
    except AnymailConfigurationError as exc:
        logger.error("Cannot check the %s %s webhook: %s", esp, kind, exc)
        return HttpResponse("Webhook not configured.", status=500, content_type="text/plain")

    payload_error = ""
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure as exc:
        logger.warning("Refused %s %s webhook: %s", esp, kind, exc)
        return HttpResponse("Forbidden.", status=403, content_type="text/plain")
    except MALFORMED as exc:  # some validators parse the body first (Amazon SNS)
        payload_error = error_summary(exc)

    payload = WebhookPayload.objects.create(
        esp=esp,
        kind=kind,
        content_type=request.content_type or "",
        headers=stored_headers(request),
        body=body,
    )
    if payload_error:
        payload_fail(payload, payload_error)
        return HttpResponse("Malformed payload.", status=400, content_type="text/plain")
    return process(payload, view, request)


def _view_class(esp: str, kind: str) -> type[AnymailCoreWebhookView] | None:
    spec = ESPS.get(esp)
    return getattr(spec, kind, None) if spec else None


def _anymail_view(view_class: type[AnymailCoreWebhookView], request: HttpRequest, **kwargs: Any) -> Any:
    """Anymail's view, set up for ``request`` (what ``as_view`` does, kept so validators can run first)."""
    with warnings.catch_warnings():
        # Our own check requires the secret; SendGrid's views warn on every instantiation.
        warnings.simplefilter("ignore", AnymailInsecureWebhookWarning)
        warnings.simplefilter("ignore", AnymailNotSupportedWarning)
        view = view_class()
    view.setup(request, **kwargs)
    return view


def stored_headers(request: HttpRequest) -> dict[str, str]:
    return {name: value[:4000] for name, value in request.headers.items() if name.lower() not in SECRET_HEADERS}


def process(payload: WebhookPayload, view: Any, request: HttpRequest) -> HttpResponse:
    """Run anymail's view on ``request`` and record on ``payload`` what came of it."""
    outcome = PayloadOutcome()
    token = _outcome.set(outcome)
    try:
        response = view.dispatch(request, **view.kwargs)
    except ProcessingError as exc:
        logger.exception("Webhook payload #%s (%s %s) failed", payload.pk, payload.esp, payload.kind)
        payload_fail(payload, error_summary(exc.__cause__ or exc))
        return HttpResponse("Internal error; will be retried.", status=500, content_type="text/plain")
    except MALFORMED as exc:
        logger.warning("Webhook payload #%s (%s %s) is malformed: %s", payload.pk, payload.esp, payload.kind, exc)
        payload_fail(payload, error_summary(exc))
        return HttpResponse("Malformed payload.", status=400, content_type="text/plain")
    except Exception as exc:
        logger.exception("Webhook payload #%s (%s %s) failed", payload.pk, payload.esp, payload.kind)
        payload_fail(payload, error_summary(exc))
        return HttpResponse("Internal error; will be retried.", status=500, content_type="text/plain")
    finally:
        _outcome.reset(token)
        _note_studio(payload, outcome)

    if outcome.errors:
        payload_fail(payload, "; ".join(outcome.errors))
        return HttpResponse("Message could not be filed.", status=400, content_type="text/plain")
    if outcome.unrouted:
        # Answered 200 on purpose: a retry cannot help, and the payload waits here for a replay.
        payload_fail(payload, "; ".join(outcome.unrouted))
        return HttpResponse("No studio receives mail at this address.", content_type="text/plain")
    if response.status_code >= 400:
        payload_fail(payload, f"{payload.esp} webhook view answered HTTP {response.status_code}")
        return response
    note = "; ".join(f"Ignored: {reason}" for reason in outcome.ignored)
    WebhookPayload.objects.filter(pk=payload.pk).update(status=WebhookPayload.Status.PROCESSED, error=note)
    payload.status, payload.error = WebhookPayload.Status.PROCESSED, note
    return response


def _note_studio(payload: WebhookPayload, outcome: PayloadOutcome) -> None:
    """Link the payload to its studio, so that its failure shows on that studio's Mail sources page."""
    if outcome.studio_id is None or payload.studio_id == outcome.studio_id:
        return
    try:
        WebhookPayload.objects.filter(pk=payload.pk).update(studio_id=outcome.studio_id)
    except Exception:  # the database that just failed the payload may be gone: the sweep tries again
        logger.warning("Webhook payload #%s: could not note its studio", payload.pk, exc_info=True)
        return
    payload.studio_id = outcome.studio_id


def payload_fail(payload: WebhookPayload, error: str) -> None:
    WebhookPayload.objects.filter(pk=payload.pk).update(status=WebhookPayload.Status.FAILED, error=error)
    payload.status, payload.error = WebhookPayload.Status.FAILED, error


def error_summary(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:2000] if text else type(exc).__name__


# --- the inbound signal -------------------------------------------------------------------------


def inbound_recipients(message: Any) -> list[str]:
    """Where the mail was addressed, envelope first: that is how an ESP route or a forward reached us."""
    recipients = [message.envelope_recipient or ""]
    for header in ("Delivered-To", "X-Original-To", "To", "Cc", "Bcc"):
        recipients.extend(str(value) for value in message.get_all(header, []))
    return [recipient for recipient in recipients if recipient]


# Form fields in which an ESP posts the whole raw message.
RAW_MIME_FIELDS = ("body-mime", "email")  # Mailgun's "mime" route, SendGrid's "POST the raw MIME"


def posted_raw_mime(event: AnymailInboundEvent) -> bytes | None:
    """The raw message exactly as the ESP posted it in a form field, or None.

    Django decodes form fields as UTF-8 and anymail re-serializes what it parsed, so an 8-bit
    windows-1251 or KOI8-R body would arrive garbled; read as latin-1, the field gives back its
    bytes one for one, for ``receive`` to decode by the message's own charsets.
    """
    request = event.esp_event
    if not isinstance(request, HttpRequest) or not any(field in request.POST for field in RAW_MIME_FIELDS):
        return None
    if request.content_type == "multipart/form-data":
        handlers = [load_handler(path, request) for path in settings.FILE_UPLOAD_HANDLERS]
        fields, _files = MultiPartParser(request.META, BytesIO(request.body), handlers, "latin-1").parse()
    else:
        fields = QueryDict(request.body, encoding="latin-1")
    for name in RAW_MIME_FIELDS:
        if (value := fields.get(name)) is not None:
            return value.encode("latin-1")
    return None


def on_inbound(sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    """Receiver for ``anymail.signals.inbound`` (connected in ``CommsConfig.ready``)."""
    outcome = current_outcome()
    message = event.message
    recipients = inbound_recipients(message)
    studio = studio_for_recipients(recipients)
    if studio is None:
        reason = f"No studio receives mail at {', '.join(recipients) or '(no recipient)'}"
        logger.warning("%s inbound: %s", esp_name, reason)
        if outcome is not None:
            outcome.unrouted.append(reason)
        return
    if outcome is not None:
        outcome.studio_id = studio.pk
    try:
        raw = posted_raw_mime(event) or message.as_bytes()
        comms.inbound.receive(
            studio,
            raw,
            received_at=event.timestamp or timezone.now(),
            source=RawEmail.Source.WEBHOOK,
        )
    except comms.inbound.InboundError as exc:
        if outcome is None:
            raise
        outcome.errors.append(f"{exc} (raw email #{exc.raw_email_id})")
        return
    except Exception as exc:
        raise ProcessingError(str(exc)) from exc
    if outcome is not None:
        outcome.handled += 1


# --- replay -------------------------------------------------------------------------------------


def replay_webhook_payload(payload: WebhookPayload) -> WebhookPayload:
    """Process a stored payload again (after a fix: a new studio address, a parser fix…).

    Returns the payload with its new status and error. Mail already filed from it is not filed
    twice (``receive`` is idempotent on Message-ID).
    """
    view_class = _view_class(payload.esp, payload.kind)
    if view_class is None:
        payload_fail(payload, f"No {payload.kind} webhook for ESP {payload.esp!r}.")
        return payload
    request = _stored_request(payload)
    view = _anymail_view(view_class, request, esp=payload.esp)
    # It was authenticated when it arrived (the credentials are not stored, signatures may expire).
    view.validators = []
    view.basic_auth = []
    process(payload, view, request)
    return payload


def replay_stranded(now: datetime, *, limit: int = 50) -> int:
    """Process payloads left "received" (the database went away mid-request) for ``WEBHOOK_STRANDED_AFTER_MINUTES``.

    Each ends processed, or failed with the reason (shown on its studio's Mail sources page).
    Running it twice is harmless: ``receive`` files a message once per Message-ID.
    """
    cutoff = now - timedelta(minutes=settings.WEBHOOK_STRANDED_AFTER_MINUTES)
    stranded = WebhookPayload.objects.filter(status=WebhookPayload.Status.RECEIVED, received_at__lt=cutoff)
    done = 0
    for payload in stranded.order_by("received_at", "pk")[:limit]:
        logger.warning(
            "Webhook payload #%s (%s %s) was left unprocessed; processing it now", payload.pk, payload.esp, payload.kind
        )
        try:
            replay_webhook_payload(payload)
        except Exception as exc:
            logger.exception("Stranded webhook payload #%s could not be processed", payload.pk)
            payload_fail(payload, f"Left unprocessed, then failed again: {error_summary(exc)}")
        done += 1
    return done


def _stored_request(payload: WebhookPayload) -> WSGIRequest:
    body = bytes(payload.body)
    headers = {name.lower(): value for name, value in (payload.headers or {}).items()}
    path = reverse(f"hooks:{payload.kind}", kwargs={"esp": payload.esp})
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "replay.invalid",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "wsgi.input": BytesIO(body),
        "CONTENT_TYPE": headers.pop("content-type", payload.content_type),
        "CONTENT_LENGTH": str(len(body)),
    }
    headers.pop("content-length", None)
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    request = WSGIRequest(environ)
    request.body  # noqa: B018  read now, so parsers that want both the body and the form get both
    return request
