"""The Outbox page: what is scheduled, sent and failed, a preview of each email, and the freelancer's actions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from comms import outbox
from comms.models import MailboxEmail, OutboxEmail
from comms.views import sandboxed_email_html
from kernel.access import get_for_member, safe_next, scoped, studio_required

Status = OutboxEmail.Status
PER_PAGE = 50
# Attachment types downloaded as themselves; any other type is downloaded as application/octet-stream.
DOWNLOAD_TYPES = frozenset({"application/pdf", "text/calendar", "text/plain", "text/csv"})
DEV_MAILBOX_BACKEND = "comms.mailbox.MailboxBackend"

# tab → (statuses shown, ordering)
TABS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "scheduled": ((Status.QUEUED, Status.SENDING), ("send_after", "pk")),
    "attention": ((Status.NEEDS_ATTENTION,), ("-send_started_at", "-pk")),
    "sent": ((Status.SENT,), ("-sent_at", "-pk")),
    "failed": ((Status.FAILED,), ("-send_after", "-pk")),
    "cancelled": ((Status.CANCELLED,), ("-send_after", "-pk")),
}

# How a delivery status from ESP tracking (anymail's event types) is coloured; others are "light".
DELIVERY_TONES = {
    "delivered": "success",
    "opened": "success",
    "clicked": "success",
    "deferred": "warning",
    "autoresponded": "info",
    "bounced": "danger",
    "rejected": "danger",
    "failed": "danger",
    "complained": "danger",
    "unsubscribed": "danger",
}

# action → (function, message when done, message when the row was no longer in a state for it)
ACTIONS: dict[str, tuple[Any, Any, Any]] = {
    "cancel": (
        outbox.cancel,
        _("Cancelled: “%(subject)s” will not be sent. Retry queues it again."),
        _("“%(subject)s” can no longer be cancelled: it is %(status)s."),
    ),
    "retry": (
        outbox.retry,
        _("“%(subject)s” is queued again."),
        _("“%(subject)s” is %(status)s: only failed, cancelled or interrupted emails can be sent again."),
    ),
    "mark_sent": (
        outbox.mark_sent,
        _("Marked as sent: “%(subject)s” will not be sent again."),
        _("“%(subject)s” is %(status)s: only an interrupted email can be marked as sent."),
    ),
    "send_now": (
        outbox.send_now,
        _("“%(subject)s” leaves now."),
        _("“%(subject)s” is no longer waiting: it is %(status)s."),
    ),
    "confirm": (
        outbox.confirm,
        _("Confirmed: “%(subject)s” leaves now."),
        _("“%(subject)s” is no longer waiting for your confirmation: it is %(status)s."),
    ),
}


class CountedPaginator(Paginator):
    """A paginator told its total (already known from the tab counts), saving a COUNT query."""

    def __init__(self, object_list: QuerySet, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def tab_counts(emails: QuerySet[OutboxEmail]) -> dict[str, int]:
    """Rows per tab, in one query."""
    return emails.aggregate(
        **{tab: Count("pk", filter=Q(status__in=statuses)) for tab, (statuses, _ordering) in TABS.items()}
    )


@studio_required
def outbox_page(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "scheduled")
    dev_mailbox = settings.OUTBOX_DELIVERY_BACKEND == DEV_MAILBOX_BACKEND
    if tab not in TABS and tab != "mailbox":
        tab = "scheduled"
    counts = tab_counts(scoped(request, OutboxEmail))
    if tab == "mailbox":
        captured = scoped(request, MailboxEmail).defer("text_body", "html_body", "headers")
        page = Paginator(captured, PER_PAGE).get_page(request.GET.get("page"))
    else:
        statuses, ordering = TABS[tab]
        rows = (
            scoped(request, OutboxEmail)
            .filter(status__in=statuses)
            .order_by(*ordering)
            .defer("text", "html", "headers", "attachments")
        )
        page = CountedPaginator(rows, PER_PAGE, count=counts[tab]).get_page(request.GET.get("page"))
        now = timezone.now()
        for email in page:
            email.state = outbox.state_of(email, now)
            email.delivery_tone = DELIVERY_TONES.get(email.delivery_status, "light")
    context = {"tab": tab, "counts": counts, "page": page, "dev_mailbox": dev_mailbox or tab == "mailbox"}
    return render(request, "comms/outbox.html", context)


@studio_required
def outbox_email(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_for_member(request, OutboxEmail, pk=pk)
    email.state = outbox.state_of(email, timezone.now())
    email.delivery_tone = DELIVERY_TONES.get(email.delivery_status, "light")
    attachments = [
        {
            "index": index,
            "filename": item["filename"],
            "mimetype": item["mimetype"],
            "size": outbox.attachment_size(item),
        }
        for index, item in enumerate(email.attachments)
    ]
    context = {"email": email, "headers": outbox.rendered_headers(email), "attachments": attachments}
    return render(request, "comms/outbox_email.html", context)


@studio_required
def outbox_attachment(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One attachment of an outbox email, as a download (never shown inline: its type is not trusted)."""
    email = get_for_member(request, OutboxEmail.objects.only("pk", "studio", "attachments"), pk=pk)
    if index >= len(email.attachments):
        raise Http404
    attachment = email.attachments[index]
    content = outbox.attachment_bytes(attachment)
    if isinstance(content, str):
        content = content.encode()
    mimetype = attachment["mimetype"] if attachment["mimetype"] in DOWNLOAD_TYPES else "application/octet-stream"
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=attachment["filename"])
    response["X-Content-Type-Options"] = "nosniff"
    return response


@studio_required
@xframe_options_sameorigin
@sandboxed_email_html
def outbox_email_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML part alone, for a sandboxed iframe: no scripts, no remote loads."""
    email = get_for_member(request, OutboxEmail.objects.only("pk", "studio", "html"), pk=pk)
    return HttpResponse(email.html)


@require_POST
@studio_required
def outbox_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Cancel, retry, send now, confirm or mark as sent one email, then go back where the button was."""
    if action not in ACTIONS:
        raise Http404
    run, done_message, refused_message = ACTIONS[action]
    email = get_for_member(request, OutboxEmail, pk=pk)
    done = run(email)
    text = (done_message if done else refused_message) % {
        "subject": email.subject or _("(no subject)"),
        "status": email.get_status_display(),
    }
    (messages.success if done else messages.warning)(request, text)
    return redirect(safe_next(request, reverse("comms:outbox")))
