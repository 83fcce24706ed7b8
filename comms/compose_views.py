"""Compose, reply and acknowledge; the coach panel beside the form; undo; log a call or an email."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Client
from comms import compose, drafts
from comms.forms import CoachForm, ComposeForm, LogForm
from comms.inbox_views import in_studio_time
from comms.models import Message, OutboxEmail
from kernel.access import get_for_member, query_pk, studio_required
from kernel.dates import long_datetime

# Posted with the form when it showed the quiet-hours choice: an unticked "Send now" then means "hold".
QUIET_SHOWN = "quiet_shown"
COMPOSE_FIELDS = ("client", "to", "cc", "subject", "body", "template", "language", "project", "requires_action",
                  "promised_by", "send_now", "token", "from_draft")  # fmt: skip


def _from_query(request: HttpRequest, queryset: QuerySet | type[Model], name: str) -> Any:
    """The studio's object whose pk is in ``?name=``; None when absent, 404 when foreign or malformed."""
    pk = query_pk(request, name)
    return None if pk is None else get_for_member(request, queryset, pk=pk)


def _reply_to(request: HttpRequest) -> Message | None:
    return _from_query(request, Message.objects.select_related("client", "thread", "project"), "reply_to")


@studio_required
@in_studio_time
def compose_page(request: HttpRequest) -> HttpResponse:
    """GET: a new email, a reply (?reply_to=), an acknowledgment (&template=acknowledgment) or an app's
    draft for a client (?draft=kind:id). POST: send."""
    reply_to = _reply_to(request)
    if request.method == "POST":
        return _post(request, reply_to)
    studio, now = request.studio, timezone.now()
    restored = _from_query(request, OutboxEmail.objects.select_related("client", "project", "reply_to_message"),
                           "restore")  # fmt: skip
    reference = request.GET.get("draft", "").strip()
    if restored is not None:
        reply_to = restored.reply_to_message
        initial = compose.restored_values(restored)
    elif reference:
        client_draft = drafts.load(studio, reference)
        if client_draft is None:
            raise Http404
        initial = compose.draft_values(client_draft, reference)
    else:
        client = _from_query(request, Client, "client") or (reply_to.client if reply_to else None)
        template = request.GET.get("template", "")
        if template and template not in dict(compose.template_choices(studio)):
            messages.warning(request, _("There is no template “%(key)s”.") % {"key": template})
            template = ""
        initial = compose.initial_values(
            studio, client=client, reply_to=reply_to, template=template,
            language=request.GET.get("language", ""), sender=request.user, now=now,
        )  # fmt: skip
    acknowledgment = initial.get("template") == compose.ACKNOWLEDGMENT_TEMPLATE
    if acknowledgment and not initial.get("promised_by"):
        initial["promised_by"] = compose.default_promise(studio, reply_to, now)
    form = ComposeForm(initial=initial, studio=studio, acknowledgment=acknowledgment)
    report = compose.coach_report(initial["subject"], initial["body"], bool(initial.get("requires_action")))
    return _render(request, form, reply_to=reply_to, client=initial.get("client"), report=report)


def _post(request: HttpRequest, reply_to: Message | None) -> HttpResponse:
    studio = request.studio
    acknowledgment = request.POST.get("template", "") == compose.ACKNOWLEDGMENT_TEMPLATE
    form = ComposeForm(request.POST, studio=studio, acknowledgment=acknowledgment)
    if "apply_template" in request.POST:
        return _apply_template(request, form, reply_to)
    valid = form.is_valid()
    client = form.cleaned_data.get("client")
    if not valid:
        report = compose.coach_report(request.POST.get("subject", ""), request.POST.get("body", ""),
                                      bool(request.POST.get("requires_action")))  # fmt: skip
        return _render(request, form, reply_to=reply_to, client=client, report=report)
    draft = form.draft(reply_to=reply_to)
    report = compose.coach_report(draft.subject, draft.body, draft.requires_action)
    choice = request.POST.get("heat_choice", "")
    if choice not in set(compose.HeatChoice):
        choice = compose.HeatChoice.NONE
    if compose.asks_for_cool_off(report, choice):
        return _render(request, form, reply_to=reply_to, client=client, report=report, ask_cool_off=True)
    token = form.cleaned_data["token"]
    key = drafts.idempotency_key(form.cleaned_data["from_draft"], token) if form.client_draft else f"compose:{token}"
    try:
        scheduled = compose.send_composed(
            studio, draft, user=request.user, send_now=_send_now_choice(request, form), heat_choice=choice,
            idempotency_key=key,
        )  # fmt: skip
    except ValueError as error:
        form.add_error(None, str(error))
        return _render(request, form, reply_to=reply_to, client=client, report=report)
    if scheduled.email.status == OutboxEmail.Status.CANCELLED:  # the form sent again after an undo
        messages.info(request, _("You undid this email earlier; retry it from the Outbox if it should go after all."))
        return redirect("comms:outbox_email", pk=scheduled.email.pk)
    messages.success(request, _confirmation(request, scheduled))
    if form.client_draft is not None:
        if form.client_draft.on_queued is not None:
            form.client_draft.on_queued(scheduled.email)
        return redirect(form.client_draft.back_url)
    if reply_to is not None:
        return redirect("comms:message", pk=reply_to.pk)
    if draft.client is not None:
        return redirect("clients:detail", pk=draft.client.pk)
    return redirect("comms:inbox")


def _send_now_choice(request: HttpRequest, form: ComposeForm) -> bool | None:
    """True/False when Compose showed the quiet-hours choice (or it was ticked), None when it made none."""
    if form.cleaned_data["send_now"]:
        return True
    return False if QUIET_SHOWN in request.POST else None


def _apply_template(request: HttpRequest, form: ComposeForm, reply_to: Message | None) -> HttpResponse:
    """Fill subject and body from the chosen template, keeping everything else the freelancer entered."""
    studio = request.studio
    form.is_valid()  # for the cleaned values of the fields that are valid; errors are not shown
    data = form.cleaned_data
    values = {name: request.POST.get(name, "") for name in COMPOSE_FIELDS}
    values["requires_action"] = bool(request.POST.get("requires_action"))
    values["send_now"] = bool(request.POST.get("send_now")) if QUIET_SHOWN in request.POST else None
    key = data.get("template") or ""
    acknowledgment = key == compose.ACKNOWLEDGMENT_TEMPLATE
    promised_by = data.get("promised_by") or (compose.default_promise(studio, reply_to, timezone.now())
                                              if acknowledgment else None)  # fmt: skip
    values["promised_by"] = promised_by
    if key:
        values["subject"], values["body"] = compose.templated_text(
            studio, key, data.get("language") or "en", client=data.get("client"), to=data.get("to") or [],
            reply_to=reply_to, project=data.get("project"), sender=request.user, promised_by=promised_by,
        )  # fmt: skip
        values["requires_action"] = values["requires_action"] or compose.coach.has_next_steps(values["body"])
    form = ComposeForm(initial=values, studio=studio, acknowledgment=acknowledgment)
    report = compose.coach_report(values["subject"], values["body"], values["requires_action"])
    return _render(request, form, reply_to=reply_to, client=data.get("client"), report=report)


def _render(
    request: HttpRequest,
    form: ComposeForm,
    *,
    reply_to: Message | None,
    client: Client | None,
    report: compose.CoachReport,
    ask_cool_off: bool = False,
) -> HttpResponse:
    studio, now = request.studio, timezone.now()
    hold = compose.quiet_hold(studio, now, reply_to)
    if hold is not None and QUIET_SHOWN not in request.POST:
        _default_send_now(form, hold.misses_due)
    context = {
        "form": form,
        "client_draft": form.client_draft,
        "reply_to": reply_to,
        "client": client,
        "contacts": list(client.contacts.all()) if client is not None else [],
        "report": report,
        "acknowledgment": form.acknowledgment,
        "hold": hold,
        "ask_cool_off": ask_cool_off,
        "cool_off": compose.cool_off_times(studio, now) if ask_cool_off else None,
        "cool_off_hours": studio.cool_off_hours,
        "undo_seconds": compose.UNDO_SECONDS,
    }
    return render(request, "comms/compose.html", context, status=200)


def _default_send_now(form: ComposeForm, misses_due: bool) -> None:
    """Tick "Send now" when holding the reply would pass its due time (R5), the first time it is shown."""
    if form.is_bound:
        form.data = form.data.copy()
        form.data["send_now"] = "on" if misses_due else ""
    else:
        form.initial["send_now"] = misses_due


def _when(moment) -> str:
    return long_datetime(timezone.localtime(moment), with_year=False)


def _confirmation(request: HttpRequest, scheduled: compose.Scheduled) -> SafeString:
    """The success message: when the email leaves and why, with an Undo button (a POST form)."""
    email = scheduled.email
    if scheduled.timing == compose.Timing.COOL_OFF:
        text = _("Cooling off: “%(subject)s” waits until %(when)s and asks you once more before it leaves.")
    elif scheduled.timing == compose.Timing.QUIET_HOURS:
        text = _("Outside your working hours: “%(subject)s” leaves %(when)s, when your working hours start.")
    elif scheduled.timing == compose.Timing.BEFORE_DUE:
        text = _(
            "Outside your working hours, but holding “%(subject)s” until %(opening)s would pass its due time, "
            "%(due)s: it leaves in %(seconds)s seconds."
        )
    elif scheduled.timing == compose.Timing.HELD_PAST_DUE:
        text = _("As you chose, “%(subject)s” waits until %(when)s, after its due time, %(due)s.")
    else:
        text = _("“%(subject)s” leaves in %(seconds)s seconds.")
    hold = scheduled.hold
    text %= {
        "subject": email.subject,
        "when": _when(scheduled.send_after),
        "seconds": compose.UNDO_SECONDS,
        "opening": _when(hold.opening) if hold is not None else "",
        "due": _when(hold.due) if hold is not None and hold.due is not None else "",
    }
    if scheduled.commitment is not None:
        text += " " + _("Promise tracked: the full answer by %(when)s.") % {
            "when": _when(scheduled.commitment.promised_by)
        }
    return format_html(
        '{} <form method="post" action="{}" class="d-inline">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="btn btn-link p-0 align-baseline">{}</button></form>',
        text,
        reverse("comms:undo", args=[email.pk]),
        get_token(request),
        _("Undo"),
    )


@studio_required
@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop a composed email in its undo window (or while it waits); its text comes back in the form."""
    email = get_for_member(request, OutboxEmail, pk=pk)
    if compose.undo(email):
        messages.success(request, _("Undone: nothing was sent. Your text is back in the form."))
        return redirect(f"{reverse('comms:compose')}?restore={email.pk}")
    messages.warning(request, _("Too late to undo: it is %(status)s.") % {"status": email.get_status_display()})
    return redirect("comms:outbox_email", pk=email.pk)


@studio_required
@require_POST
def coach_panel(request: HttpRequest) -> HttpResponse:
    """The coach's findings for the draft being typed (htmx, from the compose form)."""
    form = CoachForm(request.POST)
    report = compose.CoachReport()
    if form.is_valid():
        data = form.cleaned_data
        report = compose.coach_report(data["subject"], data["body"], data["requires_action"])
    return render(request, "comms/_coach.html", {"report": report})


@studio_required
@in_studio_time
def log_message(request: HttpRequest) -> HttpResponse:
    """Log a call, meeting or email that happened outside Rapport."""
    client = _from_query(request, Client, "client")
    form = LogForm(request.POST or None, studio=request.studio, initial={"client": client} if client else {})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        message = compose.log_interaction(
            request.studio, client=data["client"], channel=data["channel"], direction=data["direction"],
            when=data["when"], subject=data["subject"], summary=data["summary"], user=request.user,
        )  # fmt: skip
        text = _("Logged: %(subject)s.") % {"subject": message.subject}
        if message.direction == Message.Direction.OUTBOUND:
            text += " " + _("Any open reply clocks for %(client)s are stopped.") % {"client": data["client"].name}
        messages.success(request, text)
        return redirect("clients:detail", pk=data["client"].pk)
    return render(request, "comms/log_message.html", {"form": form, "client": client})
