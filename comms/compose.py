"""Writing to clients from the dashboard: compose, reply, acknowledge, log a call.

Plain functions, no request objects: the views in ``comms.compose_views`` and ``comms.inbox_views``
only read forms and call these. Everything that leaves goes through ``comms.outbox.enqueue``, so
quiet hours (R5), cool-off (R6) and undo are all just ``send_after``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Client
from clients.services import client_create
from comms import coach, drafts, email_templates, outbox, scheduling
from comms.conversation import assign_client, client_for_address, record_message, reply_due
from comms.models import Commitment, Message, OutboxEmail
from kernel.dates import long_date
from kernel.models import Studio, User

# Every composed email waits this long before the worker may send it, so "Undo" can stop it.
UNDO_SECONDS = 30
UNDO_WINDOW = timedelta(seconds=UNDO_SECONDS)

ACKNOWLEDGMENT_TEMPLATE = "acknowledgment"
HEAT_CODES = frozenset({"heat"})
SPLIT_CODES = frozenset({"too_long", "several_topics"})


class Kind(StrEnum):
    EMAIL = "email"
    REPLY = "reply"
    ACKNOWLEDGMENT = "acknowledgment"


class HeatChoice(StrEnum):
    """What the freelancer chose when the coach found heat (R6). Empty: not asked yet."""

    NONE = ""
    LATER = "later"
    MORNING = "morning"
    ANYWAY = "anyway"


class Timing(StrEnum):
    """Why an email leaves when it does; the confirmation message says it."""

    UNDO = "undo"
    QUIET_HOURS = "quiet_hours"
    BEFORE_DUE = "before_due"
    """Outside working hours, but holding it would miss the reply's due time: it goes now."""
    HELD_PAST_DUE = "held_past_due"
    """Outside working hours and the freelancer chose to hold it past the reply's due time."""
    COOL_OFF = "cool_off"


# --- Addresses (pure) ------------------------------------------------------------------------


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """Split "a@x.com, Ann <b@y.org>; c@z" into (valid addresses, invalid entries), order kept, deduplicated.

    Valid means what the outbox accepts (Django's ``validate_email`` on the address part).
    """
    valid: list[str] = []
    invalid: list[str] = []
    for entry in re.split(r"[,;\n]+", text or ""):
        entry = entry.strip()
        if not entry:
            continue
        address = parseaddr(entry)[1].strip()
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(entry)
            continue
        if address.lower() not in {known.lower() for known in valid}:
            valid.append(address)
    return valid, invalid


def reply_subject(subject: str) -> str:
    subject = (subject or "").strip()
    return subject if re.match(r"^\s*re\s*:", subject, re.IGNORECASE) else f"Re: {subject}".strip()


def quoted(message: Message, tz, *, language: str = "en") -> str:
    """The message's new text quoted for a reply, with an attribution line in the reply's language."""
    when = message.sent_at.astimezone(tz)
    sender = message.from_name or message.from_email
    lines = (message.text_new or message.text or "").strip().splitlines()
    quote = "\n".join(f"> {line}" if line else ">" for line in lines)
    with translation.override(language):
        attribution = _("On %(date)s %(time)s, %(sender)s wrote:") % {
            "date": long_date(when.date()),
            "time": f"{when:%H:%M}",
            "sender": sender,
        }
    return f"{attribution}\n{quote}"


def format_promise(at: datetime, tz) -> str:
    """How a promised date reads in an email: "Tuesday 24 November 2026, 18:00"."""
    local = at.astimezone(tz)
    return f"{long_date(local.date())}, {local:%H:%M}"


# --- Compose defaults ------------------------------------------------------------------------


def default_recipients(client: Client | None, reply_to: Message | None) -> list[str]:
    """A reply goes to the sender; new mail to the client's primary contact (all contacts if none is primary)."""
    if reply_to is not None and reply_to.from_email:
        return [reply_to.from_email]
    if client is None:
        return []
    contacts = list(client.contacts.all())
    primary = [contact.email for contact in contacts if contact.is_primary]
    return primary or [contact.email for contact in contacts]


def default_promise(studio: Studio, message: Message | None, now: datetime) -> datetime:
    """When an acknowledgment promises the full answer: the reply due time + one more business day."""
    base = now
    if message is not None and message.reply_due_at is not None:
        base = max(message.reply_due_at, now)
    return reply_due(studio, base, urgent=False)


def template_variables(
    studio: Studio,
    *,
    client: Client | None,
    to: list[str],
    project: models.Model | None = None,
    sender: User | None = None,
    promised_by: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The whitelisted values a template may use (``email_templates.ALLOWED_VARIABLES``); blanks show as [name]."""
    contact = None
    if client is not None:
        contacts = list(client.contacts.all())
        wanted = {address.lower() for address in to}
        contact = next((c for c in contacts if c.email.lower() in wanted), None) or next(iter(contacts), None)
    first_names = contact.name.split() if contact else []
    deadline = getattr(project, "deadline_on", None)
    values = {
        "client_name": client.name if client else "",
        "contact_first_name": first_names[0] if first_names else "",
        "project_name": project.title if project else "",
        "sender_name": studio.sender_name or (getattr(sender, "name", "") or studio.name),
        "studio_name": studio.name,
        "today": long_date(studio.local_now(now).date()),
        "promised_date": format_promise(promised_by, studio.zoneinfo) if promised_by else "",
        "deadline": long_date(deadline) if deadline else "",
        "payment_options": studio.payment_options,
    }
    return {key: value for key, value in values.items() if key in email_templates.ALLOWED_VARIABLES}


def apply_template(
    studio: Studio,
    key: str,
    language: str,
    *,
    client: Client | None,
    to: list[str],
    project: models.Model | None = None,
    sender: User | None = None,
    promised_by: datetime | None = None,
) -> tuple[str, str]:
    """(subject, text) of the studio's template ``key`` in ``language`` (else English) with the client's values."""
    try:
        subject, body, _name = email_templates.template_for(studio, key, language)
    except email_templates.UnknownTemplate:
        subject, body, _name = email_templates.template_for(studio, key, "en")
    with translation.override(language):  # its dates in the email's language, not the freelancer's
        variables = template_variables(
            studio, client=client, to=to, project=project, sender=sender, promised_by=promised_by
        )
    rendered = email_templates.render(subject, body, variables)
    return rendered.subject, rendered.text


def template_choices(studio: Studio) -> list[tuple[str, str]]:
    """(key, name) of every template the studio can use, one entry per key: its name in the active
    language when it has one, else its first language's."""
    seen: dict[str, str] = {}
    active = translation.get_language() or "en"
    for choice in email_templates.available_templates(studio):
        if choice.key not in seen or choice.language == active:
            seen[choice.key] = choice.name
    return list(seen.items())


_MARKER = re.compile(r"\[([a-z_][a-z0-9_]*)\]")


def unfilled_placeholders(text: str) -> list[str]:
    """Template values left blank, shown as ``[name]`` in the text: they must not reach the client."""
    own = "\n".join(line for line in (text or "").splitlines() if not line.lstrip().startswith(">"))
    names = (match.group(1) for match in _MARKER.finditer(own))
    return list(dict.fromkeys(name for name in names if name in email_templates.ALLOWED_VARIABLES))


def default_project(client: Client | None, reply_to: Message | None) -> models.Model | None:
    """The project a new email is about: the replied mail's, else the client's one active project.

    Projects sit above comms, so their model is reached through the client's relation, not imported.
    """
    if reply_to is not None and reply_to.project_id:
        return reply_to.project
    if client is None:
        return None
    projects = client.projects
    active = list(projects.filter(status__in=projects.model.ACTIVE_STATUSES)[:2])
    return active[0] if len(active) == 1 else None


def templated_text(
    studio: Studio,
    key: str,
    language: str,
    *,
    client: Client | None,
    to: list[str],
    reply_to: Message | None = None,
    project: models.Model | None = None,
    sender: User | None = None,
    promised_by: datetime | None = None,
) -> tuple[str, str]:
    """(subject, body) for the compose form from template ``key``: a reply keeps "Re: …" and quotes the mail."""
    subject, body = apply_template(
        studio, key, language, client=client, to=to, project=project, sender=sender, promised_by=promised_by
    )
    if reply_to is not None:
        subject = reply_subject(reply_to.subject)
        body = f"{body.rstrip()}\n\n{quoted(reply_to, studio.zoneinfo, language=language)}"
    return subject, body


def initial_values(
    studio: Studio,
    *,
    client: Client | None,
    reply_to: Message | None,
    template: str = "",
    language: str = "",
    project: models.Model | None = None,
    sender: User | None = None,
    now: datetime | None = None,
) -> dict:
    """The compose form's starting values for a new email, a reply or an acknowledgment."""
    now = now or timezone.now()
    language = language or (client.language if client is not None else "en")
    project = project or default_project(client, reply_to)
    to = default_recipients(client, reply_to)
    promised_by = default_promise(studio, reply_to, now) if template == ACKNOWLEDGMENT_TEMPLATE else None
    if template:
        subject, body = templated_text(
            studio, template, language, client=client, to=to, reply_to=reply_to, project=project,
            sender=sender, promised_by=promised_by,
        )  # fmt: skip
    else:
        subject = reply_subject(reply_to.subject) if reply_to is not None else ""
        body = f"\n\n{quoted(reply_to, studio.zoneinfo, language=language)}" if reply_to is not None else ""
    return {
        "to": ", ".join(to),
        "subject": subject,
        "body": body,
        "template": template,
        "language": language,
        "client": client,
        "project": project,
        "promised_by": promised_by,
        "requires_action": bool(template) and coach.has_next_steps(body),
    }


def draft_values(client_draft: drafts.ClientDraft, reference: str) -> dict:
    """The compose form's starting values for a draft another app wrote for the client."""
    return {
        "to": ", ".join(client_draft.to),
        "cc": ", ".join(client_draft.cc),
        "subject": client_draft.subject,
        "body": client_draft.body,
        "template": "",
        "language": client_draft.language,
        "client": client_draft.client,
        "project": client_draft.project,
        "from_draft": reference,
        "requires_action": coach.has_next_steps(client_draft.body),
    }


def restored_values(email: OutboxEmail) -> dict:
    """The compose form's values from a cancelled email: undo gives the text back."""
    return {
        "from_draft": drafts.reference_of(email),
        "to": ", ".join(email.to),
        "cc": ", ".join(email.cc),
        "subject": email.subject,
        "body": email.text,
        "template": email.template,
        "client": email.client,
        "project": email.project,
        "requires_action": coach.has_next_steps(email.text),
    }


# --- The coach, for the compose page ---------------------------------------------------------


@dataclass(frozen=True)
class CoachReport:
    findings: list = field(default_factory=list)
    split: list[str] = field(default_factory=list)
    checked: bool = False  # False for an empty draft: nothing was read yet

    @property
    def heat(self) -> bool:
        return any(finding.code in HEAT_CODES for finding in self.findings)


def coach_report(subject: str, body: str, requires_action: bool) -> CoachReport:
    """The coach's findings, and the per-topic split it proposes when there is more than one topic."""
    if not (subject or "").strip() and not (body or "").strip():
        return CoachReport()
    findings = list(coach.review(subject or "", body or "", requires_action))
    parts = coach.split_by_topic(body or "") if any(_is_split(f) for f in findings) else []
    return CoachReport(findings=findings, split=parts if len(parts) > 1 else [], checked=True)


def _is_split(finding) -> bool:
    return finding.code in SPLIT_CODES


def asks_for_cool_off(report: CoachReport, choice: str) -> bool:
    """True when the coach found heat and the freelancer has not chosen what to do yet (R6)."""
    return report.heat and not choice


def _working_time_from(studio: Studio, moment: datetime) -> datetime:
    """``moment`` if it is working time, else the studio's next opening (R5)."""
    return scheduling.quiet_hours_send_after(
        moment, tz=studio.zoneinfo, working_hours=studio.working_hours, holidays=studio.holiday_spec
    )


def cool_off_times(studio: Studio, now: datetime) -> scheduling.CoolOff:
    """The two cool-off send times offered for a heated email; "later" also waits for working hours."""
    options = scheduling.cool_off_options(
        now,
        hours=studio.cool_off_hours or 1,
        tz=studio.zoneinfo,
        working_hours=studio.working_hours,
        holidays=studio.holiday_spec,
    )
    return scheduling.CoolOff(later=_working_time_from(studio, options.later), next_morning=options.next_morning)


def quiet_hours_until(studio: Studio, now: datetime) -> datetime | None:
    """The next opening when ``now`` is outside working hours (R5), else None."""
    opening = _working_time_from(studio, now)
    return opening if opening > now else None


def reply_deadline(reply_to: Message | None) -> datetime | None:
    """When the answer to ``reply_to`` is due: its open reply clock, else its earliest open promise (R15)."""
    if reply_to is None:
        return None
    if reply_to.is_open and reply_to.reply_due_at is not None:
        return reply_to.reply_due_at
    return (
        Commitment.objects.filter(message=reply_to, fulfilled_at__isnull=True)
        .order_by("promised_by")
        .values_list("promised_by", flat=True)
        .first()
    )


@dataclass(frozen=True)
class QuietHold:
    """Outside working hours: the email would wait until ``opening``; ``due`` is the reply's due time, if any."""

    opening: datetime
    due: datetime | None = None

    @property
    def misses_due(self) -> bool:
        """Holding it would deliver the reply after its due time (R5: then it goes now by default)."""
        return self.due is not None and self.opening > self.due


def quiet_hold(studio: Studio, now: datetime, reply_to: Message | None) -> QuietHold | None:
    """What quiet hours would do to an email written ``now``: None inside working hours.

    ``due`` is kept only while it is ahead: a reply already late is not made late by holding it.
    """
    opening = quiet_hours_until(studio, now)
    if opening is None:
        return None
    due = reply_deadline(reply_to)
    return QuietHold(opening=opening, due=due if due is not None and due > now else None)


# --- Sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What the freelancer wrote. ``promised_by`` makes it an acknowledgment with a commitment (R15)."""

    to: list[str]
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)
    client: Client | None = None
    project: models.Model | None = None
    reply_to: Message | None = None
    template: str = ""
    language: str = "en"
    requires_action: bool = False
    promised_by: datetime | None = None

    @property
    def kind(self) -> Kind:
        if self.promised_by is not None:
            return Kind.ACKNOWLEDGMENT
        return Kind.REPLY if self.reply_to is not None else Kind.EMAIL


@dataclass(frozen=True)
class Scheduled:
    email: OutboxEmail
    send_after: datetime
    timing: Timing
    commitment: Commitment | None = None
    hold: QuietHold | None = None
    """Outside working hours: the opening it would wait for and the reply's due time."""


def send_composed(
    studio: Studio,
    draft: Draft,
    *,
    user: User | None,
    now: datetime | None = None,
    send_now: bool | None = None,
    heat_choice: str = HeatChoice.NONE,
    idempotency_key: str | None = None,
) -> Scheduled:
    """Queue the draft in the outbox; returns when it leaves and why.

    * cool-off chosen (``later``/``morning``): ``send_after`` is that time and the outbox asks once
      more before it leaves (``confirm_before_sending``);
    * otherwise outside working hours it waits for the next opening (R5), unless ``send_now``.
      ``send_now=None`` (no choice made) holds it only when that would not pass the reply's due
      time; holding past due takes an explicit ``send_now=False`` after Compose said so;
    * in every case it waits at least ``UNDO_WINDOW`` so "Undo" can stop it.
    An acknowledgment also records its promise as a ``Commitment``.
    """
    now = now or timezone.now()
    undo_until = now + UNDO_WINDOW
    confirm = False
    timing = Timing.UNDO
    send_after = undo_until
    hold = None
    if heat_choice in (HeatChoice.LATER, HeatChoice.MORNING):
        options = cool_off_times(studio, now)
        send_after = max(options.later if heat_choice == HeatChoice.LATER else options.next_morning, undo_until)
        confirm, timing = True, Timing.COOL_OFF
    elif not send_now and (hold := quiet_hold(studio, now, draft.reply_to)) is not None:
        if not hold.misses_due:
            send_after, timing = max(hold.opening, undo_until), Timing.QUIET_HOURS
        elif send_now is None:
            timing = Timing.BEFORE_DUE
        else:
            send_after, timing = max(hold.opening, undo_until), Timing.HELD_PAST_DUE

    reply_to = draft.reply_to
    project = draft.project or (reply_to.project if reply_to is not None else None)
    with transaction.atomic():
        email = outbox.enqueue(
            studio=studio,
            to=list(draft.to),
            cc=list(draft.cc),
            subject=draft.subject,
            text=draft.body,
            html=email_templates.email_html(draft.body),
            kind=str(draft.kind),
            idempotency_key=idempotency_key,
            send_after=send_after,
            template=draft.template,
            client=draft.client,
            project=project,
            reply_to_message=reply_to,
            confirm_before_sending=confirm,
            created_by=user,
        )
        commitment = None
        # A resubmitted form returns the first row: it already has its promise, or was undone (no promise).
        if draft.kind == Kind.ACKNOWLEDGMENT and draft.client is not None and email.status == OutboxEmail.Status.QUEUED:
            commitment = Commitment.objects.filter(outbox_email=email).first() or Commitment.objects.create(
                studio=studio,
                client=draft.client,
                message=reply_to,
                outbox_email=email,
                description=_commitment_description(draft),
                promised_by=draft.promised_by,
            )
    return Scheduled(email=email, send_after=email.send_after, timing=timing, commitment=commitment, hold=hold)


def _commitment_description(draft: Draft) -> str:
    subject = (draft.reply_to.subject if draft.reply_to is not None else draft.subject) or _("your message")
    return _("Full answer to “%(subject)s”") % {"subject": subject[:250]}


def undo(email: OutboxEmail) -> bool:
    """Stop a queued email before it leaves; an acknowledgment's promise goes with it. False: too late."""
    with transaction.atomic():
        cancelled = outbox.cancel(email)
        if cancelled:
            Commitment.objects.filter(outbox_email=email, fulfilled_at__isnull=True).delete()
    return cancelled


# --- Inbox actions ---------------------------------------------------------------------------


def no_reply_needed(message: Message, *, now: datetime | None = None) -> bool:
    """Stop an open clock without a reply ("thanks!" needs none): replied_at = now, replied_by empty."""
    now = now or timezone.now()
    updated = Message.objects.open_clocks().filter(pk=message.pk).update(replied_at=now, replied_by=None)
    if updated:
        message.replied_at, message.replied_by = now, None
    return bool(updated)


def client_from_sender(
    message: Message, *, client_name: str = "", contact_name: str = "", status: str = Client.Status.LEAD
) -> Client:
    """Create a client and its primary contact from an unmatched message's sender, then assign the message.

    When a contact with that address exists by now (added since the mail arrived), its client is used.
    """
    studio = message.studio
    address = parseaddr(message.from_email)[1].strip()
    existing = client_for_address(studio, address) if address else None
    if existing is not None:
        assign_client(message, existing)
        return existing
    name = contact_name.strip() or message.from_name.strip() or address.split("@")[0] or _("Unknown sender")
    with transaction.atomic():
        client, _contact = client_create(
            studio=studio,
            name=(client_name.strip() or name)[:200],
            contact_name=name[:200],
            email=address,
            status=status,
        )
        assign_client(message, client)
    return client


def log_interaction(
    studio: Studio,
    *,
    client: Client,
    channel: str,
    direction: str,
    when: datetime,
    subject: str,
    summary: str,
    user: User | None,
) -> Message:
    """Record a call, meeting or email that happened outside Rapport.

    Outbound ("we contacted them") stops the client's open clocks like a reply; an inbound call
    starts no clock (only inbound email does, in ``record_message``).
    """
    studio_address = parseaddr(studio.from_email)[1]
    contacts = [contact.email for contact in client.contacts.all()[:1]]
    inbound = direction == Message.Direction.INBOUND
    message = record_message(
        studio,
        direction=direction,
        client=client,
        sent_at=when,
        subject=subject,
        from_email=(contacts[0] if contacts else "") if inbound else studio_address,
        to=[studio_address] if inbound else contacts,
        text=summary,
        channel=channel,
        logged_by=user,
    )
    return message
