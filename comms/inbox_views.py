"""The inbox (replies owed, promises, unmatched, automatic, all mail), one message and one thread."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from comms import compose
from comms.conversation import assign_client, bare_subject
from comms.forms import AssignForm
from comms.inbox import (
    INBOX_TABS,
    client_choices,
    clock_for,
    inbox_counts,
    inbox_page_rows,
    inbox_rows,
    with_clocks,
    with_promise_countdowns,
)
from comms.models import Message, OutboxEmail, Thread
from comms.sanitize import safe_html
from kernel.access import get_for_member, safe_next, studio_required

PER_PAGE = 25
TAB_LABELS = {
    "owed": gettext_lazy("Replies owed"),
    "promised": gettext_lazy("Promised"),
    "unmatched": gettext_lazy("Unmatched"),
    "automatic": gettext_lazy("Automatic"),
    "all": gettext_lazy("All mail"),
}


class CountedPaginator(Paginator):
    """A paginator told its total when the tab counts already know it: one COUNT query fewer."""

    def __init__(self, object_list, per_page: int, *, count: int | None = None) -> None:
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # `count` is a cached_property


def in_studio_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Forms read and pages show date-times in the studio's time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(request.studio.zoneinfo):
            return view(request, *args, **kwargs)

    return wrapper


@studio_required
@in_studio_time
def inbox(request: HttpRequest) -> HttpResponse:
    studio, now = request.studio, timezone.now()
    tab = request.GET.get("tab", "owed")
    if tab not in INBOX_TABS:
        tab = "owed"
    counts = inbox_counts(studio, now)
    paginator = CountedPaginator(inbox_rows(studio, tab), PER_PAGE, count=counts.get(tab))
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = inbox_page_rows(studio, tab, page.object_list, now)
    context: dict[str, Any] = {
        "tab": tab,
        "tabs": [(key, TAB_LABELS[key]) for key in INBOX_TABS],
        "page": page,
        "counts": counts,
        "now": now,
    }
    if tab == "owed":
        context["rows"] = with_clocks(page.object_list, now)
    elif tab == "promised":
        context["rows"] = with_promise_countdowns(page.object_list, now)
    else:
        context["rows"] = list(page.object_list)
    if tab == "unmatched" and context["rows"]:
        context["client_choices"] = client_choices(studio)
    return render(request, "comms/inbox.html", context)


@studio_required
@in_studio_time
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_for_member(request, Message.objects.select_related("client", "thread", "project"), pk=pk)
    now = timezone.now()
    context = {
        "message": message,
        "clock": clock_for(message, now),
        # Stored sanitized; sanitized again on the way out, in case a row was written by another path.
        "body_html": safe_html(message.safe_html),
        "shows_quote": message.text.strip() != (message.text_new or message.text).strip(),
        "scheduled": OutboxEmail.objects.filter(
            studio=request.studio, reply_to_message=message, status=OutboxEmail.Status.QUEUED
        ).order_by("send_after", "pk"),
        "commitments": message.commitments.order_by("promised_by"),
        "thread_size": message.thread.messages.count(),
        "call_topic": bare_subject(message.subject),
    }
    if message.client_id is None and message.direction == Message.Direction.INBOUND:
        context["client_choices"] = client_choices(request.studio)
        context["assign_form"] = AssignForm(
            studio=request.studio, initial={"contact_name": message.from_name, "client_name": message.from_name}
        )
    return render(request, "comms/message.html", context)


@studio_required
@in_studio_time
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_for_member(request, Thread.objects.select_related("client", "project"), pk=pk)
    now = timezone.now()
    entries = with_clocks(thread.messages.defer("safe_html").select_related("logged_by").order_by("sent_at", "pk"), now)
    return render(request, "comms/thread.html", {"thread": thread, "entries": entries})


@studio_required
@require_POST
def no_reply_needed(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_for_member(request, Message, pk=pk)
    if compose.no_reply_needed(message):
        messages.success(request, _("Marked as needing no reply: the clock stopped."))
    else:
        messages.info(request, _("This message had no open reply clock."))
    return redirect(safe_next(request, reverse("comms:message", args=[message.pk])))


@studio_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_for_member(request, Message.objects.select_related("studio"), pk=pk)
    back = safe_next(request, reverse("comms:message", args=[message.pk]))
    if message.client_id is not None:
        messages.info(request, _("This message is already filed under %(client)s.") % {"client": message.client})
        return redirect(back)
    form = AssignForm(request.POST, studio=request.studio)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    if form.cleaned_data["create"]:
        client = compose.client_from_sender(
            message,
            client_name=form.cleaned_data["client_name"],
            contact_name=form.cleaned_data["contact_name"],
        )
    else:
        client = form.cleaned_data["client"]
        assign_client(message, client)
    message.refresh_from_db()
    text = _("Filed under %(client)s.") % {"client": client.name}
    if message.is_open:
        text += " " + _("Its reply clock is running.")
    messages.success(request, text)
    return redirect(back)
