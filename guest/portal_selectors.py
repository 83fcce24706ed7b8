"""What the guest portal's pages show, read in a fixed number of queries whatever a project's size.

Only what a client may see leaves here: no difficulty, markup, tier, revenue, internal notes, drafts,
our own to-dos or another client's rows. Dates in the page are the client's (their time zone when
set, else the studio's): see `visitor_zone`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from email.utils import parseaddr

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.dates import MONTHS_ALT
from django.utils.translation import gettext_lazy as _

from clients.models import Payment
from comms.models import Message
from kernel import workhours
from kernel.queries import Prepared
from projects.models import (
    ActionItem,
    ChangeRequest,
    DeadlineChange,
    Installment,
    Milestone,
    Project,
    Resource,
    StatusUpdate,
)
from projects.portal_access import PortalVisitor, visitor_projects_of

Status = Project.Status

# Each status in one plain sentence for someone who isn't a designer.
STATUS_EXPLAINED = {
    Status.QUOTED: _("We've sent you our proposal. Once you accept the agreement, we ask for the deposit."),
    Status.AWAITING_DEPOSIT: _("The plan is agreed. We start work as soon as your deposit arrives."),
    Status.IN_PROGRESS: _("We're working on it. You get an update from us every Friday."),
    Status.IN_REVIEW: _("There is work for you to look at. Your feedback moves the project forward."),
    Status.WAITING_ON_CLIENT: _("We need something from you before we can go on: see your next steps."),
    Status.LAUNCHED: _("It's live! We keep an eye on it to make sure everything runs smoothly."),
    Status.COMPLETED: _("Finished and handed over. Thank you for working with us."),
    Status.ON_HOLD: _("Paused for now. We'll tell you before we pick it up again."),
}

UPDATES_SHOWN = 3
MESSAGES_SHOWN = 50
# A client's conversation: mail both ways and what they wrote in the portal (not logged calls or notes).
CONVERSATION_CHANNELS = (Message.Channel.EMAIL, Message.Channel.PORTAL)


def status_explained(status: str) -> str:
    return str(STATUS_EXPLAINED.get(status, ""))


def visitor_zone(visitor: PortalVisitor) -> tzinfo:
    """The client's time zone when it is set and known, else the studio's."""
    return visitor.zone


# --- home -------------------------------------------------------------------------------------------


def _home_projects(*, studio: int, client: int):
    next_milestone = Milestone.objects.filter(
        project=OuterRef("pk"), done_at__isnull=True, due_on__isnull=False
    ).order_by("due_on", "order", "pk")
    open_steps = (
        ActionItem.objects.filter(project=OuterRef("pk"), owner=ActionItem.Owner.CLIENT, done_at__isnull=True)
        .order_by()
        .values("project")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return visitor_projects_of(studio=studio, client=client).annotate(
        open_steps=Subquery(open_steps),
        next_milestone_title=Subquery(next_milestone.values("title")[:1]),
        next_milestone_on=Subquery(next_milestone.values("due_on")[:1]),
    )


HOME_PROJECTS = Prepared(_home_projects)


def home_projects(visitor: PortalVisitor) -> list[Project]:
    """The visitor's projects with their open next steps and next milestone (one query)."""
    rows = HOME_PROJECTS(studio=visitor.studio.pk, client=visitor.client.pk)
    for project in rows:
        project.open_steps = project.open_steps or 0
        project.explained = status_explained(project.status)
    return rows


# --- one project ------------------------------------------------------------------------------------


@dataclass
class ProjectPage:
    project: Project
    explained: str
    milestones: list[Milestone]
    milestones_done: int
    deadline_changes: list[DeadlineChange]
    updates: list[StatusUpdate]
    steps: list[ActionItem]
    resources: list[Resource]

    @property
    def milestones_total(self) -> int:
        return len(self.milestones)

    @property
    def progress_percent(self) -> int:
        return self.milestones_done * 100 // self.milestones_total if self.milestones else 0

    @property
    def open_steps(self) -> int:
        return sum(1 for step in self.steps if step.done_at is None)


def client_steps(project: Project | int):
    return ActionItem.objects.filter(project=project, owner=ActionItem.Owner.CLIENT)


MILESTONES = Prepared(lambda project: Milestone.objects.filter(project=project))
DEADLINE_CHANGES = Prepared(lambda project: DeadlineChange.objects.filter(project=project).select_related("milestone"))
SENT_UPDATES = Prepared(
    lambda project: StatusUpdate.objects.filter(project=project, sent_at__isnull=False).order_by("-sent_at", "-pk")[
        :UPDATES_SHOWN
    ]
)
CLIENT_STEPS = Prepared(client_steps)
RESOURCES = Prepared(lambda studio, project: Resource.objects.filter(studio_id=studio, projects=project))


def project_page(project: Project) -> ProjectPage:
    """Everything the project page shows, in five queries."""
    milestones = MILESTONES(project=project.pk)
    return ProjectPage(
        project=project,
        explained=status_explained(project.status),
        milestones=milestones,
        milestones_done=sum(1 for milestone in milestones if milestone.done_at is not None),
        deadline_changes=DEADLINE_CHANGES(project=project.pk),
        updates=SENT_UPDATES(project=project.pk),
        steps=CLIENT_STEPS(project=project.pk),
        resources=RESOURCES(studio=project.studio_id, project=project.pk),
    )


def proposed_and_decided_changes(project: Project) -> list[ChangeRequest]:
    """The project's change requests, the ones awaiting a decision first."""
    changes = list(ChangeRequest.objects.filter(project=project))
    changes.sort(key=lambda change: change.status != ChangeRequest.Status.PROPOSED)
    return changes


# --- payments ---------------------------------------------------------------------------------------


@dataclass
class InstallmentRow:
    installment: Installment
    due_on: date | None
    overdue: bool


@dataclass
class PaymentsPage:
    project: Project
    deposit_due: int
    received: int
    payments: list[Payment]
    installments: list[InstallmentRow]

    @property
    def deposit_received(self) -> bool:
        return self.deposit_due > 0 and self.received >= self.deposit_due

    @property
    def left_to_pay(self) -> int | None:
        if self.project.price_minor is None:
            return None
        return max(self.project.price_minor - self.received, 0)


def payments_page(project: Project, *, today: date, tz: tzinfo) -> PaymentsPage:
    """Deposit, installments and payments of one project (two queries).

    An installment that follows a milestone falls due ``days_after_milestone`` after the (studio-local)
    day the milestone was done. Received counts the project's payments in its own currency, refunds subtracted, as
    `projects.services.deposit_received_minor` does.
    """
    payments = list(Payment.objects.filter(studio_id=project.studio_id, project=project).order_by("-paid_on", "-pk"))
    rows = []
    for installment in Installment.objects.filter(project=project).select_related("after_milestone"):
        due_on = installment.due_on
        milestone = installment.after_milestone
        if due_on is None and milestone is not None and milestone.done_at is not None:
            due_on = milestone.done_at.astimezone(tz).date() + timedelta(days=installment.days_after_milestone)
        overdue = installment.paid_at is None and due_on is not None and due_on < today
        rows.append(InstallmentRow(installment=installment, due_on=due_on, overdue=overdue))
    return PaymentsPage(
        project=project,
        deposit_due=project.deposit_due_minor,
        received=sum(payment.amount_minor for payment in payments if payment.currency == project.currency),
        payments=payments,
        installments=rows,
    )


# --- contact card -----------------------------------------------------------------------------------


@dataclass
class WorkingDay:
    """One opening of the studio this week, as wall-clock times in both zones (naive: shown as is)."""

    studio_opens: datetime
    studio_closes: datetime
    client_opens: datetime | None = None
    client_closes: datetime | None = None
    holiday: bool = False

    @property
    def client_day_differs(self) -> bool:
        return self.client_opens is not None and self.client_opens.date() != self.studio_opens.date()

    @property
    def client_closes_next_day(self) -> bool:
        return (
            self.client_opens is not None
            and self.client_closes is not None
            and self.client_closes.date() != self.client_opens.date()
        )


@dataclass
class WorkingWeek:
    studio_zone: str
    client_zone: str = ""
    days: list[WorkingDay] = field(default_factory=list)


def working_week(visitor: PortalVisitor, *, now: datetime) -> WorkingWeek:
    """The studio's working hours of the current (studio-local) week, in the client's zone too.

    A weekday that is normally open but a public holiday this week is listed as closed.
    """
    studio = visitor.studio
    studio_tz = studio.zoneinfo
    zone = visitor.client.own_zone()
    same_zone = zone is not None and zone.key == getattr(studio_tz, "key", "")
    week = WorkingWeek(studio_zone=studio.timezone, client_zone=zone.key if zone and not same_zone else "")
    today = now.astimezone(studio_tz).date()
    monday = today - timedelta(days=today.weekday())
    hours = studio.working_hours
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if day.weekday() not in hours:
            continue
        opening = workhours.opening_hours_on(day, tz=studio_tz, working_hours=hours, holidays=studio.holiday_spec)
        if opening is None:
            opens, closes = hours[day.weekday()]
            week.days.append(
                WorkingDay(
                    studio_opens=datetime.combine(day, opens),
                    studio_closes=datetime.combine(day, closes),
                    holiday=True,
                )
            )
            continue
        opens_at, closes_at = opening
        row = WorkingDay(
            studio_opens=opens_at.astimezone(studio_tz).replace(tzinfo=None),
            studio_closes=closes_at.astimezone(studio_tz).replace(tzinfo=None),
        )
        if week.client_zone:
            row.client_opens = opens_at.astimezone(zone).replace(tzinfo=None)
            row.client_closes = closes_at.astimezone(zone).replace(tzinfo=None)
        week.days.append(row)
    return week


def studio_address(visitor: PortalVisitor) -> str:
    """The studio's own address, where a portal message is "sent"."""
    return parseaddr(visitor.studio.from_email)[1]


# --- messages ---------------------------------------------------------------------------------------


CONVERSATION = Prepared(
    lambda studio, client: Message.objects.filter(
        studio=studio,
        client=client,
        channel__in=CONVERSATION_CHANNELS,
        is_automatic=False,
    )
    .only("pk", "direction", "from_name", "from_email", "subject", "text", "text_new", "sent_at", "channel")
    .order_by("-sent_at", "-pk")[:MESSAGES_SHOWN]
)


def conversation(visitor: PortalVisitor) -> list[Message]:
    """The client's latest mail and portal messages, both ways, oldest first (one query).

    Logged calls, meetings and notes are the studio's own records and stay out, as do auto-replies
    and bounces; only the plain text is shown. Each message carries ``sent_iso`` and ``sent_label``,
    its time in the current time zone as ``|date:"c"`` and ``|date:"j E, H:i"`` write it.
    """
    messages = list(reversed(CONVERSATION(studio=visitor.studio.pk, client=visitor.client.pk)))
    for message in messages:
        local = timezone.localtime(message.sent_at)
        message.sent_iso = local.isoformat()
        message.sent_label = f"{local.day} {MONTHS_ALT[local.month]}, {local:%H:%M}"
    return messages
