"""What the freelancer's project page shows, read in a fixed number of queries compiled once per process.

Every read is bound to the project's id, and the project itself to the request's studio: the rows
of its lists all hang off that project.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from clients.models import Payment
from comms.models import OutboxEmail
from kernel.queries import Prepared
from projects.models import (
    ActionItem,
    ChangeRequest,
    DeadlineChange,
    Installment,
    MaintenancePlan,
    Milestone,
    Project,
    Resource,
    StatusUpdate,
)
from projects.services import WORK_STARTED_TEMPLATE

PROJECT = Prepared(
    lambda studio, project: Project.objects.select_related("client", "deposit_override_by").filter(
        studio_id=studio, pk=project
    )
)
MILESTONES = Prepared(lambda project: Milestone.objects.filter(project=project).order_by("order", "due_on", "pk"))
ACTION_ITEMS = Prepared(lambda project: ActionItem.objects.filter(project=project))
DEADLINE_CHANGES = Prepared(lambda project: DeadlineChange.objects.filter(project=project).select_related("changed_by"))
CHANGE_REQUESTS = Prepared(lambda project: ChangeRequest.objects.filter(project=project))
RESOURCES = Prepared(lambda project: Resource.objects.filter(projects=project))
LIBRARY = Prepared(lambda studio, project: Resource.objects.filter(studio_id=studio).exclude(projects=project))
INSTALLMENTS = Prepared(lambda project: Installment.objects.filter(project=project).select_related("after_milestone"))
UPDATES = Prepared(lambda project: StatusUpdate.objects.filter(project=project))
PAID_BY_CURRENCY = Prepared(
    lambda project: Payment.objects.filter(project=project)
    .order_by()
    .values("currency")
    .annotate(total=Sum("amount_minor"))
    .values_list("currency", "total")
)
# As `services.work_started_email`; that email always goes to the project's client, and the client's index
# finds it where SQLite's statistics can take the project's for unselective (most mail has no project).
WORK_STARTED_EMAIL = Prepared(
    lambda studio, client, project: OutboxEmail.objects.filter(
        studio_id=studio, client_id=client, project=project, kind=WORK_STARTED_TEMPLATE
    )
    .only("pk", "status", "send_after", "sent_at")
    .order_by("-created_at", "-pk")[:1]
)
MAINTENANCE_PLANS = Prepared(lambda client: MaintenancePlan.objects.filter(client=client))


@dataclass
class ProjectDetail:
    project: Project
    milestones: list[Milestone]
    action_items: list[ActionItem]
    deadline_changes: list[DeadlineChange]
    change_requests: list[ChangeRequest]
    resources: list[Resource]
    library: list[Resource]  # the studio's resources not attached yet
    installments: list[Installment]
    updates: list[StatusUpdate]
    received: int  # as `services.deposit_received_minor`: paid in the project's currency, refunds subtracted
    work_started_email: OutboxEmail | None
    plans: list[MaintenancePlan]  # the client's


def project_detail(*, studio: int, pk: int) -> ProjectDetail | None:
    """The project ``pk`` of ``studio`` with everything its page lists, or None."""
    found = PROJECT(studio=studio, project=pk)
    if not found:
        return None
    project = found[0]
    paid = dict(PAID_BY_CURRENCY(project=pk))
    started = WORK_STARTED_EMAIL(studio=studio, client=project.client_id, project=pk)
    return ProjectDetail(
        project=project,
        milestones=MILESTONES(project=pk),
        action_items=ACTION_ITEMS(project=pk),
        deadline_changes=DEADLINE_CHANGES(project=pk),
        change_requests=CHANGE_REQUESTS(project=pk),
        resources=RESOURCES(project=pk),
        library=LIBRARY(studio=studio, project=pk),
        installments=INSTALLMENTS(project=pk),
        updates=UPDATES(project=pk),
        received=paid.get(project.currency) or 0,
        work_started_email=started[0] if started else None,
        plans=MAINTENANCE_PLANS(client=project.client_id),
    )
