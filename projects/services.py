"""Writes for projects: status changes, launch follow-ups, moved dates, change requests, deposits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from clients.models import Payment
from comms.mail import studio_email_send
from comms.models import OutboxEmail
from comms.scheduling import quiet_hours_send_after
from kernel.dates import long_date
from kernel.i18n import supported_language
from kernel.models import Studio, User
from kernel.money import ZERO_DECIMAL_CURRENCIES, format_money
from kernel.sweeps import schedule_due_now
from projects.models import ActionItem, ChangeRequest, DeadlineChange, Installment, Milestone, Project
from projects.reminders import SURVEYS_JOB
from projects.update_email import client_contacts, split_recipients
from projects.workflow import transition_problem

logger = logging.getLogger("rapport.projects")
Status = Project.Status

MAINTENANCE_PERCENT = 5
MAINTENANCE_MINIMUM_UNITS = 50
MAINTENANCE_FOLLOWUP_DAYS = 3


class ProjectError(Exception):
    """A project write that can't happen; the message is written for the person who tried."""


def first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


# --- deposits ---------------------------------------------------------------------------------------


def deposit_received_minor(project: Project) -> int:
    """Net paid towards `project`: payments linked to it in its currency, refunds subtracted.

    Payments in another currency don't count: a sum across currencies means nothing.
    """
    total = Payment.objects.filter(project=project, currency=project.currency).aggregate(total=Sum("amount_minor"))[
        "total"
    ]
    return total or 0


def projects_awaiting_deposit(
    *, studio: Studio, today: date, limit: int | None = None
) -> list[tuple[Project, int, int]]:
    """The studio's projects awaiting their deposit: `(project, days_waiting, received_minor)`.

    Days waiting count from the local date the client accepted the agreement
    (`agreement_accepted_at`), else from the local date the project was created: no status
    history is stored, and `updated_at` moves with every edit. Never negative. Received is
    as in `deposit_received_minor`. Longest waiting first. One query, whatever the count.

    With `limit`, only the longest-waiting `limit` are read (by that moment, then title), so the
    payments are summed for those alone.
    """
    return awaiting_deposit_waits(awaiting_deposit_rows(studio=studio, limit=limit), studio=studio, today=today)


def awaiting_deposit_rows(*, studio: Studio, limit: int | None = None) -> QuerySet[Project]:
    """``projects_awaiting_deposit``'s one query: the projects with ``received_minor`` summed."""
    projects = Project.objects.filter(studio=studio, status=Status.AWAITING_DEPOSIT)
    if limit is not None:
        longest_waiting = projects.order_by(Coalesce("agreement_accepted_at", "created_at"), "title", "pk").values(
            "pk"
        )[:limit]
        projects = Project.objects.filter(pk__in=longest_waiting)
    return projects.select_related("client").annotate(
        received_minor=Coalesce(Sum("payments__amount_minor", filter=Q(payments__currency=F("currency"))), 0)
    )


def awaiting_deposit_waits(
    projects: Iterable[Project], *, studio: Studio, today: date
) -> list[tuple[Project, int, int]]:
    """``awaiting_deposit_rows`` as `(project, days_waiting, received_minor)`, longest waiting first."""
    rows = []
    for project in projects:
        project.studio = studio  # already loaded: spares a query per row in callers
        since = (project.agreement_accepted_at or project.created_at).astimezone(studio.zoneinfo).date()
        rows.append((project, max(0, (today - since).days), project.received_minor))
    rows.sort(key=lambda row: (-row[1], row[0].title, row[0].pk))
    return rows


def deposit_complete(project: Project) -> bool:
    """Whether a deposit is asked for and has been received in full (``deposit_received_minor``)."""
    due = project.deposit_due_minor
    return due > 0 and deposit_received_minor(project) >= due


WORK_STARTED_TEMPLATE = "work-started"  # templates/emails/work-started-*


def work_started_notify(*, project: Project, now: datetime) -> OutboxEmail | None:
    """Tell the client their deposit arrived and work has started, in their language (R11).

    To the primary contact, the others in Cc; outside working hours it waits for the next opening
    (R5). One email per project and local start date. None when the client has no contact.
    """
    studio = project.studio
    contacts = client_contacts(project)
    if not contacts:
        return None
    to, cc = split_recipients(contacts)
    language = supported_language(project.client.language)
    upcoming = project.milestones.filter(done_at__isnull=True).order_by(F("due_on").asc(nulls_last=True), "order")
    milestone = upcoming.first()
    with translation.override(language):
        context = {
            "first_name": (contacts[0].name.split() or [""])[0],
            "project_title": project.title,
            "deposit": format_money(project.deposit_due_minor, project.currency),
            "deadline": long_date(project.deadline_on) if project.deadline_on else "",
            "next_up": milestone.title if milestone else "",
        }
    return studio_email_send(
        studio=studio,
        to=to,
        cc=cc,
        template=WORK_STARTED_TEMPLATE,
        context=context,
        idempotency_key=f"{WORK_STARTED_TEMPLATE}:{project.pk}:{studio.local_now(now).date().isoformat()}",
        send_after=quiet_hours_send_after(
            now, tz=studio.zoneinfo, working_hours=studio.working_hours, holidays=studio.holiday_spec
        ),
        client=project.client,
        project=project,
        language=language,
    )


def work_started_email(project: Project) -> OutboxEmail | None:
    """The latest "work has started" email to the project's client (``work_started_notify``), if any."""
    return (
        OutboxEmail.objects.filter(studio_id=project.studio_id, project=project, kind=WORK_STARTED_TEMPLATE)
        .only("pk", "status", "send_after", "sent_at")
        .order_by("-created_at", "-pk")
        .first()
    )


def project_start_work(
    *, project: Project, by: User | None, now: datetime, override_reason: str = ""
) -> OutboxEmail | None:
    """Start work: In progress, as ``project_set_status`` allows it; raises ``ProjectError`` when it can't.

    When the project was awaiting a deposit that has now been paid in full, the client is told
    (``work_started_notify``) and that email is returned; None otherwise (a reason let it start,
    it wasn't waiting, or the client has no contact).
    """
    with transaction.atomic():
        current = Project.objects.select_for_update().values_list("status", flat=True).get(pk=project.pk)
        started = project_set_status(
            project=project, target=Status.IN_PROGRESS, by=by, now=now, override_reason=override_reason
        )
        if current != Status.AWAITING_DEPOSIT or not deposit_complete(started):
            return None
        return work_started_notify(project=started, now=now)


def start_work_on_deposit(sender: object, *, payment: Payment, by: User | None = None, now: datetime, **kwargs) -> None:
    """Receiver of ``clients.signals.payment_recorded``: a payment that completes a deposit starts work.

    Only when the studio says so (``Studio.start_work_on_deposit``); otherwise the project page
    offers to start. A project no longer awaiting its deposit is left alone. A start that fails is
    logged and undone, never the payment: the page then offers to start, as without the setting.
    """
    if payment.project_id is None:
        return
    project = Project.objects.select_related("studio", "client").get(pk=payment.project_id)
    if project.status != Status.AWAITING_DEPOSIT or not project.studio.start_work_on_deposit:
        return
    if not deposit_complete(project):
        return
    try:
        project_start_work(project=project, by=by, now=now)
    except (ProjectError, ValueError):
        logger.warning("Work on project %s did not start on its complete deposit", project.pk, exc_info=True)


# --- status -----------------------------------------------------------------------------------------


def project_set_status(
    *, project: Project, target: str, by: User | None, now: datetime, override_reason: str = ""
) -> Project:
    """Move `project` to `target`, or raise `ProjectError` saying why it can't (see `workflow`).

    Starting (entering In progress) without the full deposit needs `override_reason`; a reason
    recorded earlier for this project still counts. When a new reason is what lets it start,
    the reason, `by` and `now` are stored on the project. Dates are the studio's local date of
    `now`: entering an active status from a non-active one sets `active_from` and clears
    `active_until`; leaving for a non-active one sets `active_until` (inclusive: it was active
    that day). Launched sets `launched_on` and runs `project_launch_followups`; Completed
    sets `completed_on`. Entering Awaiting deposit sets `deposit_requested_at` to `now` (the
    reminders count from it); leaving it clears it. Returns the updated row; `project` is
    updated in place too.
    """
    reason = override_reason.strip()
    with transaction.atomic():
        # Race condition: someone may have moved it since it was loaded; decide on the locked row.
        locked = Project.objects.select_for_update().select_related("studio", "client").get(pk=project.pk)
        current = locked.status
        due = locked.deposit_due_minor
        received = deposit_received_minor(locked)
        problem = transition_problem(
            current,
            target,
            deposit_due_minor=due,
            deposit_received_minor=received,
            override_reason=reason or locked.deposit_override_reason,
            currency=locked.currency,
        )
        if problem:
            raise ProjectError(problem)

        today = locked.studio.local_now(now).date()
        fields = ["status", "updated_at"]
        locked.status = target
        if target == Status.IN_PROGRESS and due > 0 and received < due and reason:
            locked.deposit_override_reason = reason[:300]
            locked.deposit_override_by = by
            locked.deposit_override_at = now
            fields += ["deposit_override_reason", "deposit_override_by", "deposit_override_at"]
        was_active = current in Project.ACTIVE_STATUSES
        is_active = target in Project.ACTIVE_STATUSES
        if is_active and not was_active:
            locked.active_from, locked.active_until = today, None
            fields += ["active_from", "active_until"]
        elif was_active and not is_active:
            locked.active_until = today
            fields += ["active_until"]
        # Deposit reminders (R11) count from the moment the project started waiting for its deposit.
        if target == Status.AWAITING_DEPOSIT:
            locked.deposit_requested_at = now
            fields += ["deposit_requested_at"]
        elif current == Status.AWAITING_DEPOSIT:
            locked.deposit_requested_at = None
            fields += ["deposit_requested_at"]
        if target == Status.LAUNCHED:
            locked.launched_on = today
            fields += ["launched_on"]
        elif target == Status.COMPLETED:
            locked.completed_on = today
            fields += ["completed_on"]
        locked.save(update_fields=fields)
        if target == Status.LAUNCHED:
            project_launch_followups(project=locked, now=now)
        elif target == Status.COMPLETED:
            schedule_due_now(locked.studio_id, SURVEYS_JOB, now)  # the invitation may be due today
            fields += ["maintenance_offer_draft"]

    for field in fields:
        setattr(project, field, getattr(locked, field))
    return locked


# --- after launch -----------------------------------------------------------------------------------


def suggested_maintenance_minor(*, price_minor: int | None, currency: str) -> int:
    """5 % of the agreed price per month, rounded half up to whole units, at least 50 units."""
    scale = 1 if currency in ZERO_DECIMAL_CURRENCIES else 100
    units = ((price_minor or 0) * MAINTENANCE_PERCENT + 50 * scale) // (100 * scale)
    return max(units, MAINTENANCE_MINIMUM_UNITS) * scale


def maintenance_offer_text(*, project: Project, today: date) -> str:
    """The drafted maintenance offer, in the client's language (dates included)."""
    monthly = suggested_maintenance_minor(price_minor=project.price_minor, currency=project.currency)
    with translation.override(project.client.language):
        return _(
            "Hi %(client)s,\n\n"
            "Thank you for working with us on %(project)s: it's live, and we're proud of it.\n\n"
            "A website needs a little care to stay fast and safe. Our maintenance plan covers:\n"
            "- updates to the software, themes and plugins\n"
            "- regular backups, kept off the server\n"
            "- small edits: texts, images, opening hours and the like\n"
            "- uptime checks, so we hear about trouble before your visitors do\n\n"
            "For %(project)s we suggest %(monthly)s per month, and you can stop at the end of any month.\n\n"
            "Next steps:\n"
            "Reply 'yes' and we'll start on %(start)s.\n"
        ) % {
            "client": project.client.name,
            "project": project.title,
            "monthly": format_money(monthly, project.currency, cents=False),
            "start": long_date(first_of_next_month(today)),
        }


def maintenance_offer_subject(*, project: Project) -> str:
    """The maintenance offer's subject line, in the client's language."""
    with translation.override(project.client.language):
        return _("Looking after %(project)s after launch") % {"project": project.title}


def maintenance_followup_text(project: Project) -> str:
    """Our next step after launch, until the offer has gone (``maintenance_offer_sent``)."""
    return f"Send the maintenance offer to {project.client.name}"[:300]


def maintenance_offer_sent(*, project: Project, now: datetime) -> int:
    """The offer is on its way: our open "send the maintenance offer" step is done. Returns how many closed."""
    return project.action_items.filter(
        owner=ActionItem.Owner.US, text=maintenance_followup_text(project), done_at__isnull=True
    ).update(done_at=now)


def project_launch_followups(*, project: Project, now: datetime) -> None:
    """After launch: draft the maintenance offer and remind us to send it (in 3 local days).

    Idempotent: an existing draft (perhaps edited) is kept, and no second reminder is added
    while an open one with the same text exists, so launching again changes nothing.
    """
    today = project.studio.local_now(now).date()
    if not project.maintenance_offer_draft.strip():
        project.maintenance_offer_draft = maintenance_offer_text(project=project, today=today)
        project.save(update_fields=["maintenance_offer_draft", "updated_at"])
    text = maintenance_followup_text(project)
    if not project.action_items.filter(owner=ActionItem.Owner.US, text=text, done_at__isnull=True).exists():
        ActionItem.objects.create(
            project=project,
            owner=ActionItem.Owner.US,
            text=text,
            due_on=today + timedelta(days=MAINTENANCE_FOLLOWUP_DAYS),
        )


# --- moved dates ------------------------------------------------------------------------------------


def _next_step_text(project: Project) -> str:
    upcoming = project.milestones.filter(done_at__isnull=True).order_by(F("due_on").asc(nulls_last=True), "order", "pk")
    milestone = upcoming.first()
    if milestone is None:
        return _("We'll keep you posted every Friday.")
    if milestone.due_on is None:
        return _("Next up is “%(milestone)s”. We'll keep you posted every Friday.") % {"milestone": milestone.title}
    return _("Next up is “%(milestone)s”, due %(date)s. We'll keep you posted every Friday.") % {
        "milestone": milestone.title,
        "date": long_date(milestone.due_on),
    }


def _greeting_name(project: Project) -> str:
    contact = project.client.contacts.filter(is_primary=True).first()
    return contact.name if contact else project.client.name


def deadline_notice(
    *, project: Project, milestone: Milestone | None, old_date: date | None, new_date: date, reason: str
) -> tuple[str, str]:
    """The drafted subject and text telling the client a date moved, why, and what comes next.

    Written in the client's language, dates included.
    """
    with translation.override(project.client.language):
        values = {
            "project": project.title,
            "milestone": milestone.title if milestone else "",
            "old_date": long_date(old_date) if old_date else "",
            "new_date": long_date(new_date),
            "deadline": long_date(project.deadline_on) if project.deadline_on else "",
        }
        if milestone is None and old_date is None:
            moved = _("We've set the deadline for %(project)s to %(new_date)s.") % values
        elif milestone is None:
            moved = _("We're moving the deadline for %(project)s from %(old_date)s to %(new_date)s.") % values
        elif old_date is None:
            moved = _("We've set “%(milestone)s” to %(new_date)s.") % values
        else:
            moved = _("We're moving “%(milestone)s” from %(old_date)s to %(new_date)s.") % values
        if milestone and project.deadline_on:
            moved += " " + _("The project deadline stays %(deadline)s.") % values
        if milestone:
            subject = _("New date for %(project)s: “%(milestone)s”: %(new_date)s") % values
        else:
            subject = _("New date for %(project)s: %(new_date)s") % values
        paragraphs = [
            _("Hi %(name)s,") % {"name": _greeting_name(project)},
            moved,
            _("Why: %(reason)s") % {"reason": reason},
            _("What happens next: %(next_step)s") % {"next_step": _next_step_text(project)},
        ]
    return subject[:200], "\n\n".join(paragraphs) + "\n"


def deadline_change(
    *, project: Project, new_date: date, reason: str, by: User | None, milestone: Milestone | None = None
) -> DeadlineChange:
    """Move the project's deadline (or a milestone's due date) and keep the change for ever.

    `reason` is required (the client reads it). The date must change. A project deadline
    can't be before `start_on`; a milestone must fall within the project's start and deadline
    (each when set). Stores a `DeadlineChange` with a drafted notice to the client.
    """
    reason = reason.strip()
    if not reason:
        raise ProjectError(_("Say why the date moves: the client will read it."))
    if milestone is not None and milestone.project_id != project.pk:
        raise ProjectError(_("That milestone belongs to another project."))
    old_date = milestone.due_on if milestone else project.deadline_on
    if new_date == old_date:
        raise ProjectError(_("The date is already %(date)s.") % {"date": long_date(new_date)})
    if milestone is None:
        if project.start_on and new_date < project.start_on:
            raise ProjectError(
                _("The deadline can't be before the project starts (%(date)s).") % {"date": long_date(project.start_on)}
            )
    else:
        if project.start_on and new_date < project.start_on:
            raise ProjectError(
                _("“%(milestone)s” can't be due before the project starts (%(date)s).")
                % {"milestone": milestone.title, "date": long_date(project.start_on)}
            )
        if project.deadline_on and new_date > project.deadline_on:
            raise ProjectError(
                _("“%(milestone)s” can't be due after the project deadline (%(date)s). Move the deadline first.")
                % {"milestone": milestone.title, "date": long_date(project.deadline_on)}
            )

    with transaction.atomic():
        if milestone is None:
            project.deadline_on = new_date
            project.save(update_fields=["deadline_on", "updated_at"])
        else:
            milestone.due_on = new_date
            milestone.save(update_fields=["due_on"])
        subject, text = deadline_notice(
            project=project, milestone=milestone, old_date=old_date, new_date=new_date, reason=reason
        )
        return DeadlineChange.objects.create(
            project=project,
            milestone=milestone,
            old_date=old_date,
            new_date=new_date,
            reason=reason,
            changed_by=by,
            notice_subject=subject,
            notice_text=text,
        )


# --- change requests --------------------------------------------------------------------------------


def change_request_decide(
    *, change_request: ChangeRequest, approve: bool, by_name: str, now: datetime
) -> ChangeRequest:
    """Approve or decline a proposed change request, recording who and when.

    Only a proposed request can be decided (`ProjectError` otherwise, e.g. a second click);
    `by_name` (the person deciding, as they gave it) is required.
    """
    by_name = by_name.strip()
    if not by_name:
        raise ProjectError(_("Say who decided."))
    with transaction.atomic():
        # Race condition: the client may decide in the portal while we look at it.
        locked = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
        if locked.status != ChangeRequest.Status.PROPOSED:
            raise ProjectError(
                _("“%(title)s” was already %(status)s by %(name)s.")
                % {
                    "title": locked.title,
                    "status": str(ChangeRequest.Status(locked.status).label).lower(),
                    "name": locked.decided_by_name or _("someone"),
                }
            )
        locked.status = ChangeRequest.Status.APPROVED if approve else ChangeRequest.Status.DECLINED
        locked.decided_at = now
        locked.decided_by_name = by_name[:200]
        locked.save(update_fields=["status", "decided_at", "decided_by_name"])
    for field in ("status", "decided_at", "decided_by_name"):
        setattr(change_request, field, getattr(locked, field))
    return locked


ACCEPTANCE_FIELDS = (
    "agreement_accepted_at",
    "agreement_accepted_name",
    "agreement_accepted_email",
    "agreement_accepted_ip",
)


def agreement_accept(*, project: Project, name: str, email: str, ip: str | None, now: datetime) -> Project:
    """Record that the client accepted scope, deliverables, price and deposit (from the portal).

    Kept as evidence: who, from which address, when. Accepting twice is refused, so the
    first acceptance is never overwritten.
    """
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.agreement_accepted_at is not None:
            raise ProjectError(
                _("The agreement was already accepted by %(name)s on %(date)s.")
                % {
                    "name": locked.agreement_accepted_name,
                    "date": long_date(locked.agreement_accepted_at.astimezone(project.studio.zoneinfo).date()),
                }
            )
        if not name.strip():
            raise ProjectError(_("Type your name to accept the agreement."))
        locked.agreement_accepted_at = now
        locked.agreement_accepted_name = name.strip()[:200]
        locked.agreement_accepted_email = email
        locked.agreement_accepted_ip = ip
        locked.save(update_fields=[field for field in vars(locked) if field.startswith("agreement_accepted_")])
    for field in (
        "agreement_accepted_at",
        "agreement_accepted_name",
        "agreement_accepted_email",
        "agreement_accepted_ip",
    ):
        setattr(project, field, getattr(locked, field))
    return project


def installment_add(
    *,
    project: Project,
    amount_minor: int,
    due_on: date | None = None,
    after_milestone: Milestone | None = None,
    days_after_milestone: int = 0,
) -> Installment:
    """A payment due after the deposit: on a fixed date, or some days after a milestone is done.

    The deposit plus all installments may not exceed the agreed price, when one is set.
    """
    if amount_minor <= 0:
        raise ProjectError(_("An installment needs an amount above zero."))
    if (due_on is None) == (after_milestone is None):
        raise ProjectError(_("Give either a due date or the milestone it follows, not both."))
    if after_milestone is not None and after_milestone.project_id != project.pk:
        raise ProjectError(_("That milestone belongs to another project."))
    if project.price_minor is not None:
        planned = project.deposit_due_minor + sum(project.installments.values_list("amount_minor", flat=True))
        if planned + amount_minor > project.price_minor:
            room = max(project.price_minor - planned, 0)
            raise ProjectError(
                _(
                    "The deposit and installments would add up to more than the agreed price: "
                    "at most %(amount)s is left to schedule."
                )
                % {"amount": format_money(room, project.currency)}
            )
    return Installment.objects.create(
        project=project,
        amount_minor=amount_minor,
        due_on=due_on,
        after_milestone=after_milestone,
        days_after_milestone=days_after_milestone if after_milestone else 0,
    )
